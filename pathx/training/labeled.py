"""Labelled files -> prompts -> `fit` -> review thresholds: what `pathx fit` and `pathx eval` run.

The fit output dir gets, beside fit.py's files, `pipeline.json`: the slicing settings, the
rule set that wrote the hints (embedded verbatim, so a bundle reproduces its prompts without
the repo), a digest of the training data, and per-task confidence thresholds for `needs_review`.
"""
from __future__ import annotations

import json
from pathlib import Path

from pathx import paths, schema
from pathx.fsutil import files_sha256
from pathx.training.labels import Example, read_labeled
from pathx.ingestion.pipeline import IngestOptions, units_for_examples
from pathx.training.thresholds import REVIEW_PRECISION, model_thresholds

PIPELINE_FILE = "pipeline.json"


def prompt_examples(examples: list[Example], engine, options: IngestOptions):
    """Labelled examples -> fit.PromptExample list (prompts built exactly as `pathx run` builds them)."""
    from pathx.training.data import PromptExample

    units, warnings = units_for_examples(examples, engine, options)
    if options.slice_mode == "evidence":  # one example per (unit, labelled field): its own prompt
        return [PromptExample(f"{ex.id}#{t}", u.field_prompts[t], {t: ex.labels.get(t)})
                for ex, u in zip(examples, units) for t in options.tasks if ex.labels.get(t) is not None], warnings
    return [PromptExample(ex.id, u.prompt, dict(ex.labels)) for ex, u in zip(examples, units)], warnings


def data_digest(paths: list[Path]) -> str:
    """sha256 over the labelled files' bytes, in order (a bundle's training-data fingerprint)."""
    return files_sha256(paths)


def fit_labeled(train_path: Path, out_dir: Path, *, base: str, config, options: IngestOptions, engine,
                val_path: Path | None = None, test_path: Path | None = None, resume: bool = False,
                progress_stream=None, start_from=None):
    """`pathx fit`: read, prompt, train, then write pipeline.json with review thresholds.

    `start_from` (a pathx.bundle.reader.Bundle, `pathx fit --from`): continue that bundle's model on
    these labels (site adaptation); its combine policy is carried over and the new fit names it."""
    from pathx.training.fit import fit

    files = [Path(p) for p in (train_path, val_path, test_path) if p]
    train_ex = read_labeled(train_path)
    train, warnings = prompt_examples(train_ex, engine, options)
    val = test = None
    if val_path:
        val, w = prompt_examples(read_labeled(val_path), engine, options)
        warnings += w
    if test_path:
        test, w = prompt_examples(read_labeled(test_path), engine, options)
        warnings += w
    result = fit(train, out_dir, base=base, config=config, val=val, test=test, resume=resume,
                 progress_stream=progress_stream, init_weights=start_from.tensors if start_from is not None else None)

    # Review thresholds come from the validation examples fit actually used.
    split = json.loads((Path(out_dir) / "split.json").read_text())
    by_id = {e.id: e for e in (val or train)}
    val_ids = split.get("val") or [e.id for e in (val or [])]
    val_examples = [by_id[i] for i in val_ids if i in by_id]
    thresholds = {}
    if result.model is not None and val_examples:
        thresholds = model_thresholds(result.model, val_examples, config.eval_batch_size, config.unknown_as_not_reported)
    extra = None
    if start_from is not None:
        extra = {"adapted_from": {"bundle": start_from.name, "sha256": start_from.content_sha256},
                 **({"combine": start_from.info["combine"]} if start_from.info.get("combine") else {})}
    write_pipeline_info(out_dir, options, engine, files, thresholds, warnings, extra)
    return result


def write_pipeline_info(out_dir: Path, options: IngestOptions, engine, data_files: list[Path],
                        thresholds: dict[str, float], warnings: list[str], extra: dict | None = None) -> None:
    """pipeline.json of a fit folder; `extra` adds keys (a site-adapted fit's origin and combine policy)."""
    info = {
        "slicing": {"mode": options.slice_mode, "k": options.k, "seed": options.seed,
                    "max_report_chars": options.max_report_chars, "hint_values": options.hint_values,
                    **({"evidence_hints": options.evidence_hints} if options.slice_mode == "evidence" else {})},
        "tasks": list(options.tasks),
        "hints": engine is not None,
        "ruleset": {"version": engine.version, "digest": engine.digest, "files": engine.files()} if engine else None,
        # Every rule file the prompts passed through (de-identification, segmentation, anchors), verbatim.
        "rule_files": {p.relative_to(paths.rules_dir()).as_posix(): p.read_text(encoding="utf-8")
                       for p in sorted(paths.rules_dir().rglob("*.toml"))},
        "data": {"files": [p.name for p in data_files], "sha256": data_digest(data_files)},
        "thresholds": thresholds,
        "review_precision": REVIEW_PRECISION,
        "warnings": warnings[:50],
        **(extra or {}),
    }
    (Path(out_dir) / PIPELINE_FILE).write_text(json.dumps(info, indent=1), encoding="utf-8")


def read_pipeline_info(out_dir: Path) -> dict:
    return json.loads((Path(out_dir) / PIPELINE_FILE).read_text(encoding="utf-8"))


def options_from_info(info: dict) -> IngestOptions:
    s = info["slicing"]
    return IngestOptions(slice_mode=s["mode"], k=s["k"], seed=s["seed"],
                         max_report_chars=s.get("max_report_chars", IngestOptions.max_report_chars),
                         tasks=tuple(info.get("tasks") or schema.TASKS), hint_values=bool(s.get("hint_values", False)),
                         evidence_hints=bool(s.get("evidence_hints", True)))
