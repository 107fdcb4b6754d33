"""Options shared by several commands, and choices read from the code's registries.

A choice list that names engines, adapters, OCR modes or slicing modes comes from the module
that defines them (ingestion.ocr.OCR_CHOICES, ingestion.prompt.MODES, model.adapters.names(),
...), so a new one appears in --help and is accepted without touching the CLI. Registries whose
module is heavy (torch) are read only when the option is parsed or its help is shown
(RegistryChoice).
"""
from __future__ import annotations

import importlib
from typing import Sequence

import click

from pathx import schema
from pathx.ingestion.ocr import OCR_CHOICES


class RegistryChoice(click.Choice):
    """A click.Choice whose values come from `module:NAME` (a tuple, dict keys, or a function returning
    them), read on first use,
    with `before`/`after` fixed values around them (`auto`, `none`)."""

    def __init__(self, ref: str, before: Sequence[str] = (), after: Sequence[str] = ()):
        self._ref, self._before, self._after = ref, tuple(before), tuple(after)
        self._values: tuple[str, ...] | None = None
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        if self._values is None:
            module, _, name = self._ref.partition(":")
            found = getattr(importlib.import_module(module), name)
            self._values = (*self._before, *(found() if callable(found) else found), *self._after)
        return self._values

    @choices.setter
    def choices(self, value) -> None:  # click's __init__ would set it; the registry is the source
        self._values = tuple(value)


def tasks_help() -> str:
    return ", ".join(schema.TASKS)


OCR_OPTION = click.option(
    "--ocr",
    type=click.Choice(OCR_CHOICES),
    default="auto",
    show_default=True,
    help="OCR for PDF pages without a usable text layer. auto = Tesseract if installed, else EasyOCR.",
)
SLICE_OPTION = click.option(
    "--slice",
    "slice_mode",
    type=RegistryChoice("pathx.ingestion.prompt:MODES"),
    default="window",
    show_default=True,
    help="Model input: +/-K lines around anchor headers (window), whole text (full), or a random window.",
)
K_OPTION = click.option("-k", "k", type=int, default=5, show_default=True, help="Lines kept around each anchor header.")
