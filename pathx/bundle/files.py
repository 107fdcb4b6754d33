"""Finding bundle files without importing torch (startup of `pathx run` stays fast)."""
from __future__ import annotations

import json
import struct
from pathlib import Path

from pathx import paths

BUNDLE_SUFFIX = ".safetensors"


MAX_HEADER = 100 * 1024 * 1024


def read_header(path: str | Path) -> dict:
    """The JSON header of a safetensors file (tensor index + `__metadata__`), read without torch."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        size = _header_size(head)
        raw = fh.read(size)
    return _parse_header(raw, size)


def header_of(data: bytes) -> dict:
    """The JSON header of a safetensors file already read into memory (see read_header)."""
    size = _header_size(data[:8])
    return _parse_header(data[8 : 8 + size], size)


def _header_size(head: bytes) -> int:
    if len(head) != 8:
        raise ValueError("file too short for a safetensors header")
    (size,) = struct.unpack("<Q", head)
    if size > MAX_HEADER:
        raise ValueError("safetensors header larger than 100 MB")
    return size


def _parse_header(raw: bytes, size: int) -> dict:
    if len(raw) != size:
        raise ValueError("truncated safetensors header")
    return json.loads(raw)


def bundle_dirs() -> list[Path]:
    return [paths.bundles_dir(), paths.data_dir() / "bundles"]


def list_bundles() -> list[Path]:
    found = []
    for d in bundle_dirs():
        if d.is_dir():
            found.extend(sorted(p for p in d.glob(f"*{BUNDLE_SUFFIX}") if ".merged" not in p.name))
    return found


def default_bundle() -> Path | None:
    """The shipped default: bundles/DEFAULT names it; else None, also when DEFAULT names a missing
    file (listing only: `pathx run` uses default_bundle_checked, which refuses that)."""
    try:
        return default_bundle_checked()
    except DefaultBundleMissing:
        return None


class DefaultBundleMissing(Exception):
    """bundles/DEFAULT exists but names no readable bundle file (an installation fault)."""


# What bundles/DEFAULT says when the rule engine is the better default (no bundle beats it).
RULES_DEFAULT = "rules"


def default_marker() -> str | None:
    """The text of bundles/DEFAULT (stripped); None when there is no DEFAULT file."""
    marker = paths.bundles_dir() / "DEFAULT"
    if not marker.exists():
        return None
    try:
        return marker.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as err:
        raise DefaultBundleMissing(f"{marker} cannot be read ({type(err).__name__})") from None


def default_bundle_checked() -> Path | None:
    """bundles/DEFAULT's bundle; None when there is no DEFAULT file at all, or when DEFAULT says
    `rules` (the rule engine is the chosen default): `--engine auto` then runs the rule engine.

    A DEFAULT that names a missing file (or cannot be read) raises DefaultBundleMissing:
    `pathx run --engine auto` must never change engine silently because a file went missing.
    """
    marker = paths.bundles_dir() / "DEFAULT"
    name = default_marker()
    if name is None or name == RULES_DEFAULT:
        return None
    candidate = paths.bundles_dir() / name
    if not name or "/" in name or not candidate.is_file():
        raise DefaultBundleMissing(f"{marker} names {name!r}, which is not a file in {paths.bundles_dir()}")
    return candidate
