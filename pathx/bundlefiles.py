"""Finding bundle files without importing torch (startup of `pathx run` stays fast)."""
from __future__ import annotations

import json
import struct
from pathlib import Path

from pathx import paths

BUNDLE_SUFFIX = ".safetensors"


def read_header(path: str | Path) -> dict:
    """The JSON header of a safetensors file (tensor index + `__metadata__`), read without torch."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        if len(head) != 8:
            raise ValueError("file too short for a safetensors header")
        (size,) = struct.unpack("<Q", head)
        if size > 100 * 1024 * 1024:
            raise ValueError("safetensors header larger than 100 MB")
        raw = fh.read(size)
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
    """The shipped default: bundles/DEFAULT names it; else None (the caller falls back to rules)."""
    marker = paths.bundles_dir() / "DEFAULT"
    if marker.is_file():
        name = marker.read_text(encoding="utf-8").strip()
        candidate = paths.bundles_dir() / name
        if candidate.is_file():
            return candidate
    return None
