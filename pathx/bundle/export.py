"""Writing bundles: one safetensors file per fit, with everything needed to reproduce its
predictions without the repo in the header's `__metadata__` (see pathx.bundle.core).

    export(fit_dir, out_path, name=..., version="1.2.0")   the adapters + heads of a fit
    export_merged(bundle, out_path)                          LoRA folded into a standalone copy
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from pathlib import Path

import pathx
from pathx.bundle.reader import FORMAT, HASH_KEY, META_KEY, BundleError, content_sha256, load_model, open_bundle
from pathx.errors import PathxError
from pathx.fsutil import atomic_path

SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def _metrics_summary(metrics: dict) -> dict:
    out = {}
    for part in ("val", "test"):
        r = metrics.get(part)
        if r:
            out[part] = {"n": r.get("n_examples"), "mean_macro_f1": r.get("mean_macro_f1"),
                         "macro_f1": {t: m.get("macro_f1") for t, m in r.get("tasks", {}).items()},
                         "accuracy": {t: m.get("accuracy") for t, m in r.get("tasks", {}).items()}}
    for key in ("train_seconds", "peak_memory", "parameters", "examples"):
        if key in metrics:
            out[key] = metrics[key]
    return out


def fit_dir_info(fit_dir: Path, name: str, version: str) -> dict:
    """The metadata a bundle of this fit folder carries."""
    from pathx.model.config import CONFIG_FILE, ModelConfig
    from pathx.training.labeled import PIPELINE_FILE

    config = ModelConfig.load(fit_dir / CONFIG_FILE)
    pipeline = json.loads((fit_dir / PIPELINE_FILE).read_text(encoding="utf-8"))
    metrics_file = fit_dir / "metrics.json"
    metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else {}
    return {
        "format": FORMAT,
        "name": name,
        "version": version,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "pathx_version": pathx.__version__,
        "tasks": config.tasks,
        "classes": config.classes,
        "model": config.to_dict(),  # base identity + hash, family, pooling, padding, tokenizer, adapter
        "slicing": pipeline["slicing"],
        "thresholds": pipeline.get("thresholds", {}),
        "review_precision": pipeline.get("review_precision"),
        "hints": pipeline.get("hints", True),
        "ruleset": pipeline.get("ruleset"),
        "rule_files": pipeline.get("rule_files"),
        "data": pipeline.get("data"),
        "metrics": _metrics_summary(metrics),
        # the learned reader's extras (bench/reader.py writes them into pipeline.json): the rules/model
        # combine policy (predictors/combined.py), its recipe and first-sight evaluation figures
        **{k: pipeline[k] for k in ("combine", "recipe", "evaluation") if pipeline.get(k) is not None},
    }


def export(fit_dir: str | Path, out_path: str | Path, *, name: str | None = None, version: str = "1.0.0",
           merge: bool = False) -> Path:
    """Write one bundle file from a `pathx fit` output folder (and optionally a merged copy)."""
    from safetensors.torch import load_file, save_file

    from pathx.model.config import CONFIG_FILE, WEIGHTS_FILE
    from pathx.training.labeled import PIPELINE_FILE

    fit_dir, out_path = Path(fit_dir), Path(out_path)
    if not SEMVER.match(version):
        raise BundleError(f"version {version!r} is not semantic (MAJOR.MINOR.PATCH)")
    for needed in (CONFIG_FILE, WEIGHTS_FILE, PIPELINE_FILE):
        if not (fit_dir / needed).is_file():
            raise BundleError(f"{fit_dir}: not a finished fit ({needed} missing)")
    if out_path.suffix != ".safetensors":
        raise BundleError(f"{out_path}: bundle files end in .safetensors")
    info = fit_dir_info(fit_dir, name=name or fit_dir.name, version=version)
    tensors = load_file(str(fit_dir / WEIGHTS_FILE))
    meta_json = json.dumps(info, sort_keys=True)
    metadata = {META_KEY: meta_json, HASH_KEY: content_sha256(tensors, meta_json), "format": FORMAT}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # safetensors writes 0600; a bundle is copied between users (admin installs, cron runs): 0644 - umask.
    with atomic_path(out_path, mode=0o644) as tmp:
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=metadata)
    if merge:
        export_merged(out_path, out_path.with_name(out_path.stem + ".merged.safetensors"))
    return out_path


def export_merged(bundle_path: Path, out_path: Path, base: str | None = None) -> Path:
    """A standalone copy: LoRA folded into the base weights, plus heads, base config and tokenizer.

    For sites that prefer one file with no separate base model. Not for 4-bit bases (folding into
    NF4 weights would lose precision) nor for non-LoRA adapters."""
    from safetensors.torch import save_file

    from pathx.model import adapters
    from pathx.model.config import NORM_BUFFERS

    bundle = open_bundle(bundle_path)
    if bundle.info["model"].get("quant"):
        raise BundleError(f"{bundle_path}: cannot merge into a 4-bit base; export without --merge")
    mergeable = [n for n in adapters.names() if adapters.get(n).mergeable]
    try:
        adapter = adapters.make(bundle.info["model"]["adapter"])
    except (PathxError, ValueError) as err:
        raise BundleError(f"{bundle_path}: bad adapter config ({err})") from None
    if not adapter.mergeable:
        raise BundleError(f"{bundle_path}: only {' or '.join(mergeable)} bundles can be merged")
    model = load_model(bundle, base=base, device="cpu")
    backbone = model.backbone
    if hasattr(backbone, "merge_and_unload"):
        backbone = backbone.merge_and_unload()
    tensors = {f"backbone.{k}": v for k, v in backbone.state_dict().items()}
    tensors.update({f"heads.{k}": v for k, v in model.heads.state_dict().items()})
    tensors.update({f"rule_priors.{k}": v.detach() for k, v in model.rule_priors.items()})
    tensors.update({f"norm.{k}": getattr(model, k).detach().cpu() for k in NORM_BUFFERS})
    # The merged backbone already has the dedicated pad token: ship its own config and tokenizer.
    with tempfile.TemporaryDirectory() as tok_dir:
        model.tokenizer.save_pretrained(tok_dir)
        tokenizer_files = {p.name: p.read_text(encoding="utf-8") for p in Path(tok_dir).iterdir() if p.is_file()}
    merged = dict(bundle.info, merged=True, base_config=backbone.config.to_json_string(), tokenizer_files=tokenizer_files)
    meta_json = json.dumps(merged, sort_keys=True)
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    # Tied weights (lm head = embeddings) share storage; safetensors wants distinct tensors.
    seen = {}
    for k, v in list(tensors.items()):
        ptr = v.data_ptr()
        if ptr in seen:
            tensors[k] = v.clone()
        seen[ptr] = k
    with atomic_path(out_path, mode=0o644) as tmp:  # shareable, as export's
        save_file(tensors, str(tmp), metadata={META_KEY: meta_json, HASH_KEY: content_sha256(tensors, meta_json),
                                               "format": FORMAT})
    return out_path
