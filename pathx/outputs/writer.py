"""Output writers of `pathx run`, registered by file suffix: the output's name picks the format.

A writer is one small class (OutputWriter) in its own module that turns the contract's rows
(rows.prediction_row / rows.error_row, columns `schema.OUTPUT_COLUMNS`) into one file, and reads
such a file back (`--rebuild-ledger`, tests). The registry is keyed by the suffix, lower case;
a compound suffix (`.fhir.json`) is matched before a shorter one it ends with (`.json`), so a
new format never shadows an old one or the other way round.

A new format is one module defining a subclass with `@register`, and one line naming that
module in BUILTIN_WRITERS; the runner and the CLI ask `writer_for`, `suffixes` and
`suffix_help`, so their checks, choices and help text follow. Writers are only ever called
inside `fsutil.atomic_write` (the runner's materialise): they write to a text stream and never
open, rename or fsync the output themselves.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import ClassVar, Iterable, TextIO

# The modules that hold the shipped writers, imported on the first lookup (each registers itself).
BUILTIN_WRITERS = ("pathx.outputs.csv_writer", "pathx.outputs.jsonl_writer", "pathx.outputs.fhir_writer",
                   "pathx.outputs.naaccr_writer")

WRITERS: dict[str, "OutputWriter"] = {}  # suffix (lower case, with the dot) -> writer


class UnknownSuffix(ValueError):
    """The output's name ends in no registered suffix; the message names the suffixes."""


class OutputRefused(ValueError):
    """A writer cannot write these rows as its format requires (a NAACCR patientIdNumber collision): one
    PHI-free line naming the files and the fix. The output is left as it was; `pathx run` exits 2."""


class OutputWriter:
    """One output format. Subclasses set the class attributes and implement write_rows/read_rows."""

    suffix: ClassVar[str]  # ".csv"; may be compound (".fhir.json")
    name: ClassVar[str]  # short name, e.g. "csv": the audit log's `format`
    help: ClassVar[str]  # a few words for --help: what this format holds
    evidence: ClassVar[bool] = False  # writes the rows' `evidence` and `evidence_detail` (JSONL does)

    def stored_row(self, row: dict) -> dict:
        """The row as the run's ledger keeps it: no more text than this format writes (a CSV run's
        ledger holds no evidence)."""
        if self.evidence:
            return row
        return {k: v for k, v in row.items() if k not in ("evidence", "evidence_detail")}

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        """Write every row to the text stream (header included, if any); returns the row count."""
        raise NotImplementedError

    def read_rows(self, text: str) -> list[dict]:
        """The rows of a file this writer wrote, as the file holds them (CSV: strings)."""
        raise NotImplementedError

    def restore(self, row: dict) -> dict:
        """A row from read_rows back to the ledger's types (None, floats, booleans); default: as is."""
        return row


def register(cls: type[OutputWriter]) -> type[OutputWriter]:
    """Class decorator: register one instance of `cls` under its suffix (a duplicate is a bug)."""
    suffix = cls.suffix.lower()
    if not suffix.startswith(".") or suffix in WRITERS:
        raise ValueError(f"output writer suffix {cls.suffix!r} is invalid or taken")
    WRITERS[suffix] = cls()
    return cls


def _load() -> dict[str, OutputWriter]:
    for module in BUILTIN_WRITERS:
        importlib.import_module(module)  # cached after the first time
    return WRITERS


def suffixes() -> tuple[str, ...]:
    """The registered suffixes, in registration order (.csv, .jsonl, ...)."""
    return tuple(_load())


def suffix_list() -> str:
    """The suffixes as words: '.csv or .jsonl', '.csv, .jsonl or .fhir.json'."""
    names = suffixes()
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def suffix_help() -> str:
    """One phrase per format for --help: '.csv (one row per specimen); .jsonl (...)'."""
    return "; ".join(f"{s} ({w.help})" for s, w in _load().items())


def find_writer(path: str | Path) -> OutputWriter | None:
    """The writer whose suffix the file name ends in (longest suffix first), or None."""
    name = Path(path).name.lower()
    for suffix in sorted(_load(), key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):  # ".csv" alone is a hidden file, no suffix
            return WRITERS[suffix]
    return None


def writer_named(name: str) -> OutputWriter:
    """The writer of a format name ('csv', 'jsonl'); UnknownSuffix naming the suffixes otherwise."""
    for writer in _load().values():
        if writer.name == name:
            return writer
    raise UnknownSuffix(f"unknown output format {name!r}; formats: {suffix_list()}")


def writer_for(path: str | Path) -> OutputWriter:
    """The writer for an output path; UnknownSuffix naming the registered suffixes otherwise."""
    writer = find_writer(path)
    if writer is None:
        raise UnknownSuffix(f"{path}: output must end in {suffix_list()}")
    return writer
