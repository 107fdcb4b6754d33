"""pathx.fsutil: atomic replacement and file hashes."""
from __future__ import annotations

import hashlib
import os
import stat

import pytest

from pathx.fsutil import TEMP_PREFIX, atomic_path, atomic_write, atomic_write_text, file_sha256, files_sha256


def test_hashes_match_hashlib(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * (5 << 20) + b"tail")  # more than one read chunk
    b.write_bytes(b"")
    assert file_sha256(a) == hashlib.sha256(a.read_bytes()).hexdigest()
    assert file_sha256(b) == hashlib.sha256(b"").hexdigest()
    assert files_sha256([a, b, a]) == hashlib.sha256(a.read_bytes() * 2).hexdigest()


def test_atomic_write_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "out.csv"
    atomic_write_text(target, "a\r\nb\n")
    assert target.read_bytes() == b"a\r\nb\n"  # newlines exactly as written
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 & ~_umask()
    os.chmod(target, 0o640)
    atomic_write(target, lambda fh: fh.write("new"))
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "m.json"
    target.write_text("old")

    def boom(fh):
        fh.write("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, boom)
    assert target.read_text() == "old"
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_atomic_path_mode_overrides_the_old_permissions(tmp_path):
    target = tmp_path / "b.safetensors"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    with atomic_path(target, mode=0o644) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(TEMP_PREFIX)
        tmp.write_bytes(b"new")
        assert target.read_bytes() == b"old"  # not replaced before the block ends
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
