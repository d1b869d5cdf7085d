"""CF: conformance. What each AE declares it can do, checked against the DICOM standard."""

from __future__ import annotations

from collections.abc import Iterator

from .. import dicom, identity
from ..analysis.charsets import repertoire, supported
from ..analysis.index import Index, keyword
from ..findings import Finding, Location, Related, Severity
from ..model.devices import ApplicationEntity
from .base import Option, Rule


def _ae_entity(ae: ApplicationEntity) -> str:
    return identity.ae(ae.ae_title)


def _names(titles: list[str], most: int = 4) -> str:
    shown = ", ".join(titles[:most])
    return shown + (f" and {len(titles) - most} more" if len(titles) > most else "")


def _class_paths(cap) -> list[tuple[str, tuple]]:
    """(SOP class UID, path inside the capability) for each class it names."""
    if cap.sop_class:
        return [(cap.sop_class, ("sop_class",))]
    return [(sop, ("sop_classes", k)) for k, sop in enumerate(cap.sop_classes)]


class ScpWithoutImplicitVR(Rule):
    """An SCP transfer capability does not accept Implicit VR Little Endian.

    What:
        A transfer capability with `role: SCP` whose `transfer_syntaxes` do not include
        `ImplicitVRLittleEndian` (1.2.840.10008.1.2), for a SOP class that is sent in the
        native encoding: classes whose objects are not (video, carried as MPEG or HEVC
        streams, and VL Whole Slide Microscopy images) are left out.
    Why:
        PS3.5 section 10.1 makes Implicit VR Little Endian the DICOM default transfer
        syntax, which every application entity must support; senders (old modalities
        above all) fall back to it when nothing else matches. An SCP without it rejects
        them (practice guide, Step 1, "DICOM conformance validation"). A warning: it
        often only means the conformance statement listed the preferred syntaxes, and a
        route that really has no common syntax is RT003's error.
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [JPEG2000Lossless, ExplicitVRLittleEndian]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
    """

    code = "CF001"
    name = "scp-without-implicit-vr"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        # A capability shared through a YAML anchor is located at the anchor: one finding
        # there, naming every AE that uses it.
        found: dict[Location, tuple[ApplicationEntity, list[str], list[str], str]] = {}
        for _device, ae in index.env.application_entities():
            for i, cap in enumerate(ae.transfer_capabilities):
                if cap.role != "SCP" or dicom.IMPLICIT_VR_LITTLE_ENDIAN in cap.transfer_syntaxes:
                    continue
                if set(cap.classes) <= dicom.NATIVE_IMPRACTICAL_SOP_CLASSES:
                    continue  # video and whole slide images are not sent natively
                where = index.where(ae, "transfer_capabilities", i, "transfer_syntaxes")
                # the capability's classes tell two capabilities of one AE apart
                detail = ",".join(sorted(map(keyword, cap.classes)))
                _first, titles, classes, _ = found.setdefault(where, (ae, [], [], detail))
                if ae.ae_title not in titles:
                    titles.append(ae.ae_title)
                classes.extend(c for c in map(keyword, cap.classes) if c not in classes)
        for where, (ae, titles, classes, detail) in found.items():
            yield self.finding(
                f"SCP capability for {_names(classes)} of {_names(titles)} does not accept "
                "ImplicitVRLittleEndian, the default transfer syntax every SCP must accept "
                "(PS3.5 10.1): add it to transfer_syntaxes (last, as the fallback)",
                where,
                entity=_ae_entity(ae),
                detail=detail,
            )


def _uids(value: object) -> list[str]:
    """CF002's `allow`: SOP classes or transfer syntaxes (keywords or UIDs) pydicom knows."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"expected a list of SOP classes or transfer syntaxes, not {value!r}")
    unknown = [v for v in values if dicom.lookup(v) is None]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))}: no SOP class or transfer syntax of that "
            "name or UID in pydicom's registry"
        )
    return list(values)


class RetiredUID(Rule):
    """A retired SOP class or transfer syntax is in use.

    What:
        A SOP class or transfer syntax that the DICOM standard has retired (pydicom's
        registry says so), in an AE's transfer capabilities or in a route's
        `transfer_syntax`, `transfer_syntaxes` or `match.sop_classes`. Reported at the list
        item.
    Why:
        Retired UIDs are no longer maintained in the standard and newer systems drop them
        (e.g. Explicit VR Big Endian, the hierarchical JPEG processes, the pre-1996
        ultrasound and nuclear medicine image classes): a route that depends on one breaks
        at the next upgrade of either end (retirement is recorded in the PS3.6 UID
        registry, Annex A; practice guide, Step 1, "DICOM conformance validation").
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRBigEndian, ImplicitVRLittleEndian]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
    Options:
        allow: retired UIDs or keywords accepted on purpose (e.g. a legacy modality that
            only speaks UltrasoundImageStorageRetired); default [].
    """

    code = "CF002"
    name = "retired-uid"
    severity = Severity.WARNING
    options = {"allow": Option([], lambda value: _uids(value))}

    def check(self, index: Index) -> Iterator[Finding]:
        allowed = {info.uid for info in map(dicom.lookup, self.settings["allow"]) if info}

        cache: dict[str, bool] = {}

        def retired(uid: str) -> bool:
            if uid not in cache:
                info = dicom.lookup(uid)
                cache[uid] = bool(info and info.retired and info.uid not in allowed)
            return cache[uid]

        listed: dict[tuple[str, ...], bool] = {}

        def any_retired(uids: list[str]) -> bool:
            """Whether a list names a retired UID: asked once per distinct list, since
            thousands of AEs repeat the same few capability lists."""
            key = tuple(uids)
            if key not in listed:
                listed[key] = any(map(retired, key))
            return listed[key]

        # One finding per place: an anchored list shared by many AEs is one fix.
        found: dict[tuple[Location, str], tuple[str, str, list[str]]] = {}

        def note(where: Location, uid: str, entity: str, user: str, place: str) -> None:
            """`place` says where in the entity the UID is (a capability, the route's
            syntax), in words, so that two uses in one entity stay apart."""
            _, _, users = found.setdefault((where, uid), (entity, f"{keyword(uid)} {place}", []))
            if user not in users:
                users.append(user)

        for _device, ae in index.env.application_entities():
            for i, cap in enumerate(ae.transfer_capabilities):
                classes = _class_paths(cap) if any_retired(cap.classes) else []
                for uid, path in classes:
                    if retired(uid):
                        note(
                            index.where(ae, "transfer_capabilities", i, *path),
                            uid,
                            _ae_entity(ae),
                            ae.ae_title,
                            f"as {cap.role}",
                        )
                if not any_retired(cap.transfer_syntaxes):
                    continue
                for j, uid in enumerate(cap.transfer_syntaxes):
                    if retired(uid):
                        capability = f"{cap.role} " + ",".join(sorted(map(keyword, cap.classes)))
                        note(
                            index.where(ae, "transfer_capabilities", i, "transfer_syntaxes", j),
                            uid,
                            _ae_entity(ae),
                            ae.ae_title,
                            f"for {capability}",
                        )
        for route in index.env.routes:
            if route.transfer_syntax and retired(route.transfer_syntax):
                note(
                    index.where(route, "transfer_syntax"),
                    route.transfer_syntax,
                    identity.route(route.name),
                    f"route '{route.name}'",
                    "transfer_syntax",
                )
            for sop, syntax in route.transfer_syntaxes.items():
                for uid in (sop, syntax):
                    if retired(uid):
                        note(
                            index.where_class_syntax(route, sop),
                            uid,
                            identity.route(route.name),
                            f"route '{route.name}'",
                            f"transfer_syntaxes {keyword(sop)}",
                        )
            if route.match:
                for k, uid in enumerate(route.match.sop_classes):
                    if retired(uid):
                        note(
                            index.where(route, "match", "sop_classes", k),
                            uid,
                            identity.route(route.name),
                            f"route '{route.name}'",
                            "match",
                        )
        for (where, uid), (entity, detail, users) in found.items():
            info = dicom.lookup(uid)
            if info is None:  # only UIDs the registry knows as retired get here
                continue
            what = "transfer syntax" if info.is_transfer_syntax else "SOP class"
            label = f"{info.keyword} ({uid})" if info.keyword else f"{uid} ({info.name})"
            yield self.finding(
                f"{label} used by {_names(users)} is a retired {what}: current systems may "
                "not support it; replace it with its current equivalent, or list it in "
                "CF002's allow option for a legacy device that needs it",
                where,
                entity=entity,
                detail=detail,
            )


class CharacterSetMismatch(Rule):
    """A sender uses a character set its receiver does not declare.

    What:
        For each route, the source AE declares a Specific Character Set (0008,0005) that
        the destination AE does not; likewise a worklist provider towards each consumer
        (worklist answers carry the patient's name) and each consumer towards its MPPS
        destination. An AE that declares no character sets supports only the default
        repertoire (ISO_IR 6, ASCII), which every AE supports. `ISO 2022 IR n` and
        `ISO_IR n` of the same single-byte set count as one.
    Why:
        Patient names with accents, umlauts or non-Latin scripts arrive garbled or are
        rejected, and a mangled name breaks patient matching between RIS, PACS and EHR
        (practice guide, Step 1, "DICOM conformance validation: ... character set
        support"; PS3.5 6.1; PS3.15 H.4.3 dicomSupportedCharacterSet: "if no values are
        present, ... only the default character repertoire").
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false, character_sets: [ISO_IR 192]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS, character_sets: [ISO_IR 100]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false, character_sets: [ISO_IR 192]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS, character_sets: [ISO_IR 100, ISO_IR 192]}
        routes:
          - {name: ct-to-pacs, from: CT_1, to: PACS, purpose: reading}
    """

    code = "CF003"
    name = "character-set-mismatch"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        # (sender, receiver) -> the places that make the one send to the other, as
        # (label, item, path, entity); one finding per mismatching pair, at the first place.
        missing: dict[tuple[str, str], list[str]] = {}
        pairs: dict[tuple[str, str], list[tuple[str, object, tuple, str]]] = {}

        def add(source: str, dest: str, label: str, item: object, path: tuple, entity: str) -> None:
            key = (source, dest)
            if key not in missing:
                missing[key] = self._missing(index, source, dest)
            if missing[key]:
                pairs.setdefault(key, []).append((label, item, path, entity))

        for route in index.env.routes:
            add(route.from_, route.to, "route", route, ("to",), route.name)
        for assignment in index.env.worklist:
            for k, consumer in enumerate(assignment.consumers):
                at = ("consumers", k)
                add(assignment.provider, consumer, "worklist", assignment, at, consumer)
                if assignment.mpps_destination:
                    add(consumer, assignment.mpps_destination, "mpps", assignment, at, consumer)
        for (source, dest), places in pairs.items():
            sets = missing[source, dest]
            receiver = index.aes[dest][1]
            declared = (
                ", ".join(receiver.character_sets)
                if receiver.character_sets
                else "none, so only the default ISO_IR 6"
            )
            them = "it" if len(sets) == 1 else "them"
            kind, item, path, name = places[0]
            yield self.finding(
                f"{_label(kind, name)}: {source} may send {', '.join(sets)}, which {dest} "
                f"does not declare (it declares {declared}): names would arrive garbled; add "
                f"{them} to {dest}'s character_sets if it supports {them}, or configure "
                f"{source} to send a set both support",
                index.where(item, *path),
                entity=identity.route(name) if kind == "route" else identity.ae(name),
                detail=f"{kind} {source} -> {dest}",
                related=[
                    Related(
                        index.where(index.aes[source][1], "character_sets"),
                        f"{source}'s character sets",
                    ),
                    Related(
                        index.where(receiver, "character_sets")
                        if receiver.character_sets
                        else index.where(receiver, "ae_title"),
                        f"{dest}'s character sets",
                    ),
                    *(
                        Related(
                            index.where(other, *at),
                            f"{_label(k, n)} also sends from {source} to {dest}",
                        )
                        for k, other, at, n in places[1:4]
                    ),
                ],
            )

    @staticmethod
    def _missing(index: Index, source: str, dest: str) -> list[str]:
        found_source, found_dest = index.aes.get(source), index.aes.get(dest)
        if not found_source or not found_dest or not found_source[1].character_sets:
            return []  # an unknown AE is RT001's (or the worklist rules') finding
        sent, accepted = supported(found_source[1]), supported(found_dest[1])
        if sent <= accepted:
            return []
        return [
            t
            for t in dict.fromkeys(found_source[1].character_sets)
            if repertoire(t) not in accepted
        ]


def _label(kind: str, name: str) -> str:
    return {"route": f"route '{name}'", "worklist": "worklist", "mpps": "MPPS"}[kind]


class InvalidCharacterSetCombination(Rule):
    """An AE that only sends declares character sets that cannot form one Specific Character Set.

    What:
        An application entity with `acceptor: false` (it writes data sets but receives
        none over its own associations) whose `character_sets` combine a stand-alone set
        (`ISO_IR 192`, `GB18030`, `GBK`) with any other, or name more than one single-byte
        set without code extensions (`ISO_IR 100` with `ISO_IR 144`). For such an AE the
        list is the Specific Character Set (0008,0005) value it writes, and those values
        are invalid. An acceptor's list is what it supports for data sets it receives
        (PS3.15 H.4.3 dicomSupportedCharacterSet), alternatives that may be combined
        freely, so acceptors are not checked.
    Why:
        PS3.3 C.12.1.1.2 and PS3.5 6.1.2.5: the stand-alone multi-byte sets cannot be
        combined with code extensions, and a value with several terms must use the ISO
        2022 (code extension) terms. Receivers refuse or misread such data sets, and the
        inventory no longer tells which set the device really uses (practice guide, Step
        1, "character set support").
    Bad:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false, character_sets: [ISO_IR 192, ISO_IR 100]}
    Good:
        devices:
          - name: ct-1
            site: MAIN
            kind: modality
            application_entities:
              - {ae_title: CT_1, acceptor: false, character_sets: [ISO_IR 192]}
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - {ae_title: PACS, character_sets: [ISO_IR 100, ISO_IR 192]}
    """

    code = "CF004"
    name = "invalid-character-set-combination"
    severity = Severity.ERROR

    def check(self, index: Index) -> Iterator[Finding]:
        # A list shared through a YAML anchor is located at the anchor: one finding there.
        found: dict[Location, tuple[ApplicationEntity, list[str], str]] = {}
        for device, ae in index.env.application_entities():
            if ae.acceptor or len(ae.character_sets) < 2:
                continue
            terms = list(dict.fromkeys(ae.character_sets))
            standalone = [t for t in terms if t in dicom.STANDALONE_CHARACTER_SETS]
            single = [t for t in terms if t in dicom.SINGLE_BYTE_CHARACTER_SETS]
            if standalone and len(terms) > 1:
                problem = f"{', '.join(standalone)} cannot be combined with another character set"
            elif len(single) > 1:
                problem = (
                    f"{', '.join(single)} are single-byte sets without code "
                    "extensions, of which a value can hold only one (several terms "
                    "need their 'ISO 2022 IR' forms)"
                )
            else:
                continue
            where = index.where(ae, "character_sets")
            _, titles, _ = found.setdefault(where, (ae, [], f"{', '.join(terms)}: {problem}"))
            titles.append(f"{ae.ae_title} ({device.name})")
        for where, (ae, titles, problem) in found.items():
            accept = "accepts" if len(titles) == 1 else "accept"
            yield self.finding(
                f"character_sets of {_names(titles)}, which {accept} "
                f"no associations and so write them as one Specific Character Set value, "
                f"are {problem} (PS3.3 C.12.1.1.2); declare the one set the device is "
                "configured to write",
                where,
                entity=_ae_entity(ae),
            )


class DuplicateTransferCapability(Rule):
    """An AE declares the same SOP class in the same role twice.

    What:
        A SOP class that appears in two transfer capabilities (or twice in one
        `sop_classes` list) of one AE with the same `role`.
    Why:
        PS3.15 H.1.1.4: a transfer capability is one SOP class in one role with its
        transfer syntaxes in order of preference. Two of them leave the preference order
        and the accepted syntaxes ambiguous, usually because one was edited and the other
        forgotten (practice guide, Step 1, "DICOM conformance validation").
    Bad:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_classes: [CTImageStorage, MRImageStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [JPEG2000Lossless, ImplicitVRLittleEndian]}
    Good:
        devices:
          - name: pacs
            site: MAIN
            kind: pacs
            application_entities:
              - ae_title: PACS
                transfer_capabilities:
                  - {sop_classes: [MRImageStorage], role: SCP, transfer_syntaxes: [ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCP, transfer_syntaxes: [JPEG2000Lossless, ExplicitVRLittleEndian, ImplicitVRLittleEndian]}
                  - {sop_class: CTImageStorage, role: SCU, transfer_syntaxes: [JPEG2000Lossless, ImplicitVRLittleEndian]}
    """

    code = "CF005"
    name = "duplicate-transfer-capability"
    severity = Severity.WARNING

    def check(self, index: Index) -> Iterator[Finding]:
        reported: set[tuple[Location, str]] = set()
        for device, ae in index.env.application_entities():
            first: dict[tuple[str, str], tuple] = {}
            for i, cap in enumerate(ae.transfer_capabilities):
                for uid, path in _class_paths(cap):
                    key = (cap.role, uid)
                    if key not in first:
                        first[key] = ("transfer_capabilities", i, *path)
                        continue
                    where = index.where(ae, "transfer_capabilities", i, *path)
                    if (where, uid) in reported:
                        continue  # the same anchored list, reused by another AE
                    reported.add((where, uid))
                    yield self.finding(
                        f"AE '{ae.ae_title}' ({device.name}) declares {keyword(uid)} as "
                        f"{cap.role} twice: merge the two into one capability with the "
                        "transfer syntaxes in the order the device prefers them",
                        where,
                        entity=_ae_entity(ae),
                        detail=f"{cap.role} {keyword(uid)}",
                        related=[Related(index.where(ae, *first[key]), "first declared here")],
                    )
