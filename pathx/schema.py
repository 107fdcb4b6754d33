"""Alias of pathx.fields (the field registry), kept so `from pathx import schema` keeps working.

New code imports pathx.fields; this module re-exports its names and adds nothing.
"""
from __future__ import annotations

from pathx.fields import (  # noqa: F401
    ANSWER_STYLES, BY_NAME, FIELD_NAMES, FIELDS, HINT_NAMES, NOT_REPORTED, OUTPUT_COLUMNS, SHORT_NAMES, SPECIMENS, TASKS, VOCAB,
    Field, check_label, field, model_classes,
)
