"""Versioned model bundles: one safetensors file a hospital copies to update its model.

A bundle holds the trainable tensors of a fit (LoRA/(IA)3/prefix adapters + the task heads) and,
in the safetensors header's `__metadata__`, everything needed to reproduce its predictions without
the repo: model config (base identity and weights hash, family, pooling, padding side, tokenizer
settings, max length, adapter config), slicing settings, review thresholds, the rule set that
wrote its hints (embedded verbatim), training-data digest and metrics summary.

Integrity: `content_sha256` covers every tensor (name, dtype, shape, bytes) and the metadata;
`verify` recomputes it, so a modified file refuses to load. Loading uses safetensors only: a
pickle or torch.save zip is refused before anything is deserialised.

This module is the bundle API the CLI uses; the work is in
    pathx.bundle.reader   read once, verify once -> Bundle; load_model(bundle)
    pathx.bundle.export   export, export_merged
    pathx.bundle.files    header without torch, listing, bundles/DEFAULT
    pathx.predictors.bundle  BundlePredictor, LazyBundlePredictor (`pathx run --engine model`)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pathx.bundle.export import SEMVER, export, export_merged, fit_dir_info
from pathx.bundle.reader import (FORMAT, HASH_KEY, META_KEY, Bundle, BundleError, content_sha256, fit_dir_bundle,
                                 load_model, open_bundle, read_metadata)
from pathx.predictors.bundle import BundlePredictor, LazyBundlePredictor


@dataclass
class VerifyResult:
    path: Path
    name: str
    version: str
    content_sha256: str
    base_checked: bool


def verify(path: str | Path, base: str | None = None) -> VerifyResult:
    """Check format, content hash and (with `base`, or for a shipped base) the base model's hash."""
    bundle = open_bundle(path)
    info = bundle.info
    base_checked = False
    bundle.model_config()  # a config that does not check is a broken bundle
    if not bundle.merged:
        from pathx.model.backbones import SHIPPED, BaseModelError, resolve_base

        spec = base or (info["model"]["base"]["name"] if info["model"]["base"]["name"] in SHIPPED else None)
        if spec:
            try:
                resolve_base(spec, expect_sha256=info["model"]["base"]["sha256"])
            except BaseModelError as err:
                raise BundleError(f"{bundle.path}: wrong base model: {err}") from None
            base_checked = True
    return VerifyResult(bundle.path, info["name"], info["version"], bundle.content_sha256, base_checked)


def load_bundle_model(path: str | Path, base: str | None = None, device: str = "auto"):
    """The MultiTaskClassifier a bundle file describes, with its trained tensors; integrity checked."""
    return load_model(open_bundle(path), base=base, device=device)


__all__ = ["FORMAT", "META_KEY", "HASH_KEY", "SEMVER", "Bundle", "BundleError", "BundlePredictor",
           "LazyBundlePredictor", "VerifyResult", "content_sha256", "export", "export_merged", "fit_dir_bundle",
           "fit_dir_info", "load_bundle_model", "load_model", "open_bundle", "read_metadata", "verify"]
