"""Which INPUT a ledger was built from, so that `--prune` never empties an output from the wrong folder.

Contract:
- The identity of INPUT is its resolved path (a `.jsonl` INPUT: that file, not the temporary folder
  made from it) and the mount point that holds it: an unmounted share shows the folder beneath the
  mount point, on another file system, so the mount point differs even where the path is the same.
- The first run of a ledger that records no INPUT (a new ledger, or one from before
  migrations.m002_input_root) records the one it is given, once that run has found report files.
- `--prune` with an INPUT other than the recorded one is refused before anything is read (exit 2,
  one line naming both); `--input-moved` says the reports really moved: the new INPUT is recorded
  and the run (and its --prune) goes on. A run without --prune on another INPUT goes on and keeps
  the recorded INPUT; nothing of the recorded folder's rows is removed by it.
- A --prune in the run that first records the INPUT of a ledger that already holds files removes
  nothing (there was nothing to compare against); the summary says so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pathx.outputs.names import safe_text
from pathx.run.ledger import Ledger


@dataclass(frozen=True)
class InputRoot:
    path: str  # resolved INPUT
    mount: str  # the mount point holding it

    @classmethod
    def of(cls, input_path: str | Path) -> "InputRoot":
        resolved = Path(os.path.realpath(input_path))
        return cls(str(resolved), str(mount_point(resolved)))

    def describe(self) -> str:
        return safe_text(self.path) + ("" if self.mount == "/" else f" (on mount {safe_text(self.mount)})")


def mount_point(path: Path) -> Path:
    """The nearest mount point at or above `path` (`/` at the top)."""
    here = path
    while not os.path.ismount(here) and here.parent != here:
        here = here.parent
    return here


@dataclass
class RootCheck:
    refusal: str | None = None  # --prune refused: the one-line message (exit 2)
    note: str | None = None  # said in the summary and the audit log
    record: bool = False  # record `current` once the run has found report files
    prune_allowed: bool = True


def check_root(ledger: Ledger, current: InputRoot, prune: bool, input_moved: bool) -> RootCheck:
    """Compare INPUT with the root the ledger recorded (see the module doc); nothing is written here."""
    recorded = ledger.input_root()
    if recorded is None:
        has_files = bool(ledger.entries())
        if prune and has_files:
            return RootCheck(record=True, prune_allowed=False,
                             note="--prune removed nothing this run: the ledger did not record its INPUT yet "
                                  "(written by an older pathx); it is recorded now and --prune works from the next run")
        return RootCheck(record=True)
    before = InputRoot(*recorded)
    if before == current:
        return RootCheck()
    what = (f"INPUT {current.describe()} is not the input this output was built from ({before.describe()}, "
            "recorded in its ledger)")
    if input_moved:
        return RootCheck(record=True, note=f"--input-moved: {what}; the new INPUT is recorded")
    if prune:
        return RootCheck(refusal=f"--prune refused: {what}; check that the share is mounted, or pass --input-moved "
                                 "if the reports really moved there", prune_allowed=False)
    return RootCheck(note=f"{what}; rows of files not found are kept, and --prune is refused until --input-moved")
