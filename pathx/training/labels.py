"""The labelled-data format: input of `pathx fit`, output of `pathx label` and the demo corpus.

JSONL, one object per unit:
    {"id": str, "text": str | "path": str, "specimen": "left"|"right"|null,
     "labels": {"t_stage": ..., ..., "her2": ...}}
`path` is relative to the JSONL file's folder. A null or missing label means unknown and is
masked out of that task's loss. Every line is validated; bad lines are reported by number.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pathx import schema
from pathx.errors import DataError


@dataclass
class Example:
    id: str
    labels: dict[str, str | None]
    text: str | None = None
    path: str | None = None  # resolved, absolute
    specimen: str | None = None
    extra: dict = field(default_factory=dict)  # other keys kept as they were (style, phenomena, ...)


def _parse_line(obj: object, base: Path) -> Example:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    ex_id = obj.get("id")
    if not isinstance(ex_id, str) or not ex_id:
        raise ValueError("missing or empty 'id'")
    text, path = obj.get("text"), obj.get("path")
    if (text is None) == (path is None):
        raise ValueError("needs exactly one of 'text' or 'path'")
    if text is not None and not isinstance(text, str):
        raise ValueError("'text' is not a string")
    if path is not None and not isinstance(path, str):
        raise ValueError("'path' is not a string")
    specimen = obj.get("specimen")
    if specimen not in schema.SPECIMENS:
        raise ValueError(f"'specimen' must be left, right or null, got {specimen!r}")
    raw_labels = obj.get("labels", {})
    if not isinstance(raw_labels, dict):
        raise ValueError("'labels' is not an object")
    unknown = set(raw_labels) - set(schema.TASKS)
    if unknown:
        raise ValueError(f"unknown label keys: {', '.join(sorted(unknown))}")
    labels = {t: schema.check_label(t, raw_labels.get(t)) for t in schema.TASKS}
    extra = {k: v for k, v in obj.items() if k not in {"id", "text", "path", "specimen", "labels"}}
    return Example(
        id=ex_id,
        labels=labels,
        text=text,
        path=str((base / path).resolve()) if path is not None else None,
        specimen=specimen,
        extra=extra,
    )


def read_labeled(path: str | Path) -> list[Example]:
    """Parse and validate a labelled JSONL file; raise DataError listing every bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot read labelled data ({type(err).__name__})") from None
    examples, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            ex = _parse_line(json.loads(line), path.parent)
            if ex.id in seen:
                raise ValueError(f"duplicate id {ex.id!r}")
            seen.add(ex.id)
            examples.append(ex)
        except json.JSONDecodeError:
            problems.append(f"line {number}: not valid JSON")
        except ValueError as err:
            problems.append(f"line {number}: {err}")
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise DataError(f"{path}: {len(problems)} bad line(s): {shown}")
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def example_to_json(ex: Example, base: Path | None = None) -> dict:
    obj: dict = {"id": ex.id}
    if ex.text is not None:
        obj["text"] = ex.text
    else:
        p = Path(ex.path)
        obj["path"] = str(p.relative_to(base)) if base and p.is_relative_to(base) else str(p)
    obj["specimen"] = ex.specimen
    obj["labels"] = {t: ex.labels.get(t) for t in schema.TASKS}
    obj.update(ex.extra)
    return obj


def write_labeled(path: str | Path, examples: list[Example]) -> None:
    path = Path(path)
    base = path.parent.resolve()
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(example_to_json(ex, base), ensure_ascii=False) + "\n")
