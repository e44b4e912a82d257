"""Accepted facts as an osmChange file (OSM API 0.6), for a mapper to review, merge and upload.

A `<modify>` replaces a whole element, so each changed node or way is copied from the source file with all its
attributes, tags and node references, and the accepted tags set on top.
"""

from __future__ import annotations

import bz2
import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from routing.facts import FACT_KINDS, Fact
from routing.osm_import import check_osm_path

REVIEW_NOTE = (
    " Lotse: accessibility facts two volunteers agreed on, set on copies of the source extract's elements. "
    "Versions and other attributes are copied from the source as-is (the 2013 extract has version -1, which the "
    "OpenStreetMap API does not accept): a mapper must review every change and merge it into the current data "
    "(e.g. in JOSM) before uploading. "
)


def _open(path: Path) -> IO[bytes]:
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def osm_tags(facts: Iterable[Fact]) -> dict[tuple[str, int], dict[str, str]]:
    """The OSM tags to set per (element, id)."""
    wanted: dict[tuple[str, int], dict[str, str]] = {}
    for fact in facts:
        wanted.setdefault((fact.element, fact.osm_id), {})[FACT_KINDS[fact.key].osm_tag] = fact.value
    return wanted


def build_osmchange(osm_path: Path, facts: Iterable[Fact]) -> tuple[ET.Element, dict[str, int]]:
    """The osmChange document and counts: elements changed, and elements not found in the source file."""
    wanted = osm_tags(facts)
    changed: dict[tuple[str, int], ET.Element] = {}
    with _open(check_osm_path(osm_path)) as source:
        context = ET.iterparse(source, events=("start", "end"))
        _, root = next(context)
        for event, element in context:
            if event != "end" or element.tag not in ("node", "way", "relation"):
                continue
            key = (element.tag, int(element.get("id", "0")))
            if key in wanted:
                changed[key] = _modified(element, wanted[key])
            root.clear()  # stream: keep no element once it has been read
    document = ET.Element("osmChange", version="0.6", generator="Lotse")
    document.append(ET.Comment(REVIEW_NOTE))
    modify = ET.SubElement(document, "modify")
    for key in sorted(changed, key=lambda k: (k[0] != "node", k[1])):  # nodes first, as the API expects
        modify.append(changed[key])
    return document, {"elements": len(changed), "missing": len(wanted) - len(changed)}


def _modified(element: ET.Element, tags: dict[str, str]) -> ET.Element:
    copy = ET.Element(element.tag, dict(element.attrib))
    for child in element:
        if child.tag == "tag" and child.get("k") in tags:
            continue
        ET.SubElement(copy, child.tag, dict(child.attrib))
    for key, value in sorted(tags.items()):
        ET.SubElement(copy, "tag", k=key, v=value)
    return copy


def write_osmchange(osm_path: Path, facts: Iterable[Fact], out: Path) -> dict[str, int]:
    """Write the osmChange file for `facts` to `out` (UTF-8, indented); returns the counts."""
    document, counts = build_osmchange(osm_path, facts)
    ET.indent(document)
    out.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(document).write(out, encoding="utf-8", xml_declaration=True)
    return counts
