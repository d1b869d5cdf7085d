"""Which law applies where: one place that decides whether a site is under US federal law.

US federal rules (MQSA 21 CFR 900, FDA device clearance, HIPAA 45 CFR 164, CMS 42 CFR 482)
bind only facilities in the United States; a Canadian or Norwegian site with a mammography
unit is not an MQSA facility. Rules ask `is_us()` instead of each parsing jurisdictions.
"""

from __future__ import annotations


def is_us(jurisdiction: str) -> bool:
    """True for the United States (`US`) and its states and territories (`US-xx`)."""
    return jurisdiction == "US" or jurisdiction.startswith("US-")
