"""Checks that config dataclasses (IngestOptions, FitConfig) run in `__post_init__`, so a bad value
fails where the config is built, with one clear message, instead of deep inside a run or a fit.

A failure is a ConfigError (a ValueError) naming the field; the CLI turns it into a usage error
(exit 2) for the option that set the field, before any file is touched.
"""
from __future__ import annotations

import math
from collections.abc import Iterable


class ConfigError(ValueError):
    def __init__(self, owner: str, field: str, message: str):
        super().__init__(f"{owner}.{field}: {message}")
        self.owner, self.field, self.message = owner, field, message


class Checker:
    """Field checks for one config object: `Checker(self).integer("k", minimum=0)` etc."""

    def __init__(self, config: object):
        self.config = config
        self.owner = type(config).__name__

    def _value(self, field: str):
        return getattr(self.config, field)

    def fail(self, field: str, message: str):
        raise ConfigError(self.owner, field, message)

    def one_of(self, field: str, choices: Iterable, *, optional: bool = False) -> None:
        value, choices = self._value(field), tuple(choices)
        if optional and value is None:
            return
        if value not in choices:
            self.fail(field, f"must be one of {', '.join(map(str, choices))}, not {value!r}")

    def integer(self, field: str, *, minimum: int | None = None, optional: bool = False) -> None:
        value = self._value(field)
        if optional and value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(field, f"must be an integer, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(field, f"must be at least {minimum}, not {value!r}")

    def number(self, field: str, *, minimum: float | None = None, above: float | None = None,
               below: float | None = None, optional: bool = False) -> None:
        value = self._value(field)
        if optional and value is None:
            return
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            self.fail(field, f"must be a finite number, not {value!r}")
        if minimum is not None and value < minimum:
            self.fail(field, f"must be at least {minimum}, not {value!r}")
        if above is not None and value <= above:
            self.fail(field, f"must be greater than {above}, not {value!r}")
        if below is not None and value >= below:
            self.fail(field, f"must be less than {below}, not {value!r}")

    def flag(self, field: str, *, optional: bool = False) -> None:
        value = self._value(field)
        if not (isinstance(value, bool) or (optional and value is None)):
            self.fail(field, f"must be true or false, not {value!r}")

    def names(self, field: str, known: Iterable[str], *, optional: bool = False, empty_ok: bool = False) -> None:
        """A list/tuple of distinct names from `known`."""
        value, known = self._value(field), tuple(known)
        if optional and value is None:
            return
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            self.fail(field, f"must be a list of names, not {value!r}")
        if not value and not empty_ok:
            self.fail(field, "must name at least one of " + ", ".join(known))
        bad = [v for v in value if v not in known]
        if bad:
            self.fail(field, f"unknown {', '.join(map(repr, bad))}; choose from {', '.join(known)}")
        if len(set(value)) != len(value):
            self.fail(field, f"names a value twice: {', '.join(value)}")
