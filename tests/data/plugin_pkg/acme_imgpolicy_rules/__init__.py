"""ACME's own rule: every archive is in the team's asset inventory."""

from imgpolicy import identity
from imgpolicy.findings import Severity
from imgpolicy.rules.base import Rule

INVENTORY = {"vna-spmc"}


class ArchiveNotInInventory(Rule):
    """Every VNA is in ACME's asset inventory.

    What:
    A device of kind vna whose name is not in the inventory list.

    Why:
    ACME's change board tracks archives by asset tag.

    Bad:
    sites: [{name: A, jurisdiction: US-CA, region: west}]
    devices:
      - {name: vna-other, site: A, kind: vna}

    Good:
    sites: [{name: A, jurisdiction: US-CA, region: west}]
    devices:
      - {name: vna-spmc, site: A, kind: vna}
    """

    code = "ACME001"
    name = "archive-not-in-inventory"
    severity = Severity.WARNING

    def check(self, index):
        for device in index.env.devices:
            if device.kind == "vna" and device.name not in INVENTORY:
                yield self.finding(
                    f"VNA '{device.name}' is not in the asset inventory",
                    index.where(device, "name"),
                    entity=identity.device(device.name),
                )
