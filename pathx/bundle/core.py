"""Versioned model bundles: one safetensors file a hospital copies to update its model.

A bundle holds the trainable tensors of a fit (LoRA/(IA)3/prefix adapters + the task heads) and,
in the safetensors header's `__metadata__`, everything needed to reproduce its predictions without
the repo: model config (base identity and weights hash, family, pooling, padding side, tokenizer
settings, max length, adapter config), slicing settings, review thresholds, the rule set that
wrote its hints (embedded verbatim), training-data digest and metrics summary.

Integrity: `content_sha256` covers every tensor (name, dtype, shape, bytes) and the metadata;
`verify` recomputes it, so a modified file refuses to load. Loading uses safetensors only: a
pickle or torch.save zip is refused before anything is deserialised.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pathx
from pathx import schema
from pathx.bundle.files import read_header
from pathx.errors import PathxError
from pathx.fsutil import atomic_path

FORMAT = "pathx-bundle-1"
META_KEY = "pathx"  # JSON of all metadata
HASH_KEY = "content_sha256"
SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


class BundleError(PathxError):
    """A bundle cannot be exported, verified or loaded; the message names the file and cause."""


# ---------------------------------------------------------------------------------------------
# Hashing and reading


def content_sha256(tensors: dict, meta_json: str) -> str:
    """sha256 over the metadata JSON and each tensor's name, dtype, shape and raw bytes, by name."""
    import torch

    h = hashlib.sha256(meta_json.encode("utf-8"))
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _refuse_non_safetensors(path: Path) -> None:
    if not path.is_file():
        raise BundleError(f"{path}: no such bundle file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if len(head) >= 9 and head[8:9] == b"{":  # 8-byte header length, then the JSON header
        return
    if head[:2] == b"PK" or head[:1] == b"\x80":  # torch.save zip / pickle protocol 2+
        raise BundleError(f"{path}: is a pickle / torch.save file; pathx loads only safetensors bundles (never pickles)")
    raise BundleError(f"{path}: not a safetensors file")


def read_metadata(path: str | Path) -> dict:
    """Bundle metadata from the header alone (fast; no tensors read, no integrity check)."""
    path = Path(path)
    _refuse_non_safetensors(path)
    try:
        header = read_header(path)
        meta = header.get("__metadata__") or {}
        info = json.loads(meta[META_KEY])
    except (ValueError, KeyError, TypeError) as err:
        raise BundleError(f"{path}: not a pathx bundle (no readable metadata: {type(err).__name__})") from None
    if info.get("format") != FORMAT:
        raise BundleError(f"{path}: bundle format {info.get('format')!r} is not {FORMAT}")
    info[HASH_KEY] = meta.get(HASH_KEY)
    return info


def _load_checked(path: Path) -> tuple[dict, dict]:
    """(metadata, tensors) after the content hash matched."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    info = read_metadata(path)
    stored = info.pop(HASH_KEY)
    try:
        tensors = load_file(str(path))
        meta_json = read_header(path)["__metadata__"][META_KEY]
    except (SafetensorError, OSError, ValueError, KeyError) as err:
        raise BundleError(f"{path}: damaged bundle ({type(err).__name__})") from None
    if not stored or content_sha256(tensors, meta_json) != stored:
        raise BundleError(f"{path}: content hash mismatch; the file was modified or damaged, refusing to load")
    return info, tensors


# ---------------------------------------------------------------------------------------------
# Export


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
    from pathx.model.classifier import CONFIG_FILE, ModelConfig
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
    }


def export(fit_dir: str | Path, out_path: str | Path, *, name: str | None = None, version: str = "1.0.0",
           merge: bool = False) -> Path:
    """Write one bundle file from a `pathx fit` output folder (and optionally a merged copy)."""
    from safetensors.torch import load_file, save_file

    from pathx.model.classifier import CONFIG_FILE, WEIGHTS_FILE
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

    from pathx.model.classifier import NORM_BUFFERS

    info, _ = _load_checked(Path(bundle_path))
    if info["model"].get("quant"):
        raise BundleError(f"{bundle_path}: cannot merge into a 4-bit base; export without --merge")
    if info["model"]["adapter"].get("name") not in ("lora", "frozen"):
        raise BundleError(f"{bundle_path}: only LoRA (or frozen) bundles can be merged")
    model = load_bundle_model(bundle_path, base=base, device="cpu")
    backbone = model.backbone
    if hasattr(backbone, "merge_and_unload"):
        backbone = backbone.merge_and_unload()
    tensors = {f"backbone.{k}": v for k, v in backbone.state_dict().items()}
    tensors.update({f"heads.{k}": v for k, v in model.heads.state_dict().items()})
    tensors.update({f"rule_priors.{k}": v.detach() for k, v in model.rule_priors.items()})
    tensors.update({f"norm.{k}": getattr(model, k).detach().cpu() for k in NORM_BUFFERS})
    # The merged backbone already has the dedicated pad token: ship its own config and tokenizer.
    import tempfile

    with tempfile.TemporaryDirectory() as tok_dir:
        model.tokenizer.save_pretrained(tok_dir)
        tokenizer_files = {p.name: p.read_text(encoding="utf-8") for p in Path(tok_dir).iterdir() if p.is_file()}
    merged = dict(info, merged=True, base_config=backbone.config.to_json_string(), tokenizer_files=tokenizer_files)
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


# ---------------------------------------------------------------------------------------------
# Verify and load


@dataclass
class VerifyResult:
    path: Path
    name: str
    version: str
    content_sha256: str
    base_checked: bool


def verify(path: str | Path, base: str | None = None) -> VerifyResult:
    """Check format, content hash and (with `base`, or for a shipped base) the base model's hash."""
    path = Path(path)
    info, _ = _load_checked(path)
    base_checked = False
    if not info.get("merged"):
        from pathx.model.backbones import SHIPPED, BaseModelError, resolve_base

        spec = base or (info["model"]["base"]["name"] if info["model"]["base"]["name"] in SHIPPED else None)
        if spec:
            try:
                resolve_base(spec, expect_sha256=info["model"]["base"]["sha256"])
            except BaseModelError as err:
                raise BundleError(f"{path}: wrong base model: {err}") from None
            base_checked = True
    return VerifyResult(path, info["name"], info["version"], read_metadata(path)[HASH_KEY], base_checked)


def load_bundle_model(path: str | Path, base: str | None = None, device: str = "auto"):
    """The MultiTaskClassifier a bundle describes, with its trained tensors; integrity checked."""
    from pathx.model.backbones import BaseModelError
    from pathx.model.classifier import ModelConfig, build_from_config

    path = Path(path)
    info, tensors = _load_checked(path)
    if info.get("merged"):
        return _load_merged(path, info, tensors, device)
    config = ModelConfig.from_dict(info["model"])
    try:
        model = build_from_config(config, base=base, device=device)
    except BaseModelError as err:
        raise BundleError(f"{path}: wrong base model: {err}") from None
    try:
        model.load_trainable_state_dict(tensors)
    except (PathxError, KeyError, RuntimeError, ValueError) as err:
        raise BundleError(f"{path}: tensors do not fit the model it describes ({type(err).__name__})") from None
    model.eval()
    return model


def _load_merged(path: Path, info: dict, tensors: dict, device: str):
    """Rebuild a merged bundle from its embedded base config and tokenizer (no base model needed)."""
    import tempfile

    from pathx.model.backbones import BaseModel, family_of
    from pathx.model.classifier import NORM_BUFFERS, ModelConfig, _assemble

    config = ModelConfig.from_dict(info["model"])
    config.adapter = {"name": "frozen"}  # LoRA is already folded into the weights
    tmp = Path(tempfile.mkdtemp(prefix="pathx-merged-"))
    (tmp / "config.json").write_text(info["base_config"], encoding="utf-8")
    for name, text in info["tokenizer_files"].items():
        (tmp / Path(name).name).write_text(text, encoding="utf-8")
    backbone_sd = {k[len("backbone."):]: v for k, v in tensors.items() if k.startswith("backbone.")}
    from safetensors.torch import save_file

    save_file(backbone_sd, str(tmp / "model.safetensors"))
    hf = json.loads(info["base_config"])
    base = BaseModel(name=str(path), path=tmp, source=path, family=family_of(hf, path),
                     model_type=str(hf.get("model_type", "")), sha256=info["model"]["base"]["sha256"])
    model = _assemble(base, config, device, seed=0)
    model.heads.load_state_dict({k[len("heads."):]: v for k, v in tensors.items() if k.startswith("heads.")})
    model.rule_priors.load_state_dict(
        {k[len("rule_priors."):]: v for k, v in tensors.items() if k.startswith("rule_priors.")})
    for k in NORM_BUFFERS:
        getattr(model, k).copy_(tensors[f"norm.{k}"])
    model.eval()
    return model


class LazyBundlePredictor:
    """A BundlePredictor whose model (torch, the base model: seconds) loads on the first predict.

    Name, version (the ledger key), slicing and rule engine come from the bundle's header, read
    without torch, so `pathx run` takes its lock, checks the output and skips unchanged files
    first: a rerun with nothing new, or a second run that finds the lock held, ends at once.
    A model that then fails to load raises EnvironmentFault (the run stops, exit 5).
    """

    def __init__(self, path: str | Path, base: str | None = None, device: str | None = None, batch_size: int = 8):
        self.path, self._base, self._device, self._batch_size = Path(path), base, device, batch_size
        info = read_metadata(self.path)
        content_hash = info.get(HASH_KEY)
        if not content_hash:
            raise BundleError(f"{self.path}: bundle has no content hash")
        self.info = info
        self.name = f"{info['name']}-{info['version']}"
        self.version = f"{self.name}+{content_hash[:12]}"  # as BundlePredictor: same ledger key
        self.rules_version = (info.get("ruleset") or {}).get("version")
        self.slicing = info["slicing"]
        self.thresholds = info.get("thresholds", {})
        self.tasks = info["tasks"]
        self._loaded: BundlePredictor | None = None
        self._engine = None

    @property
    def engine(self):
        """The bundle's rule engine, compiled on first use (~0.3 s: not for a run with nothing to do)."""
        if self._engine is None and self.info.get("hints", True):
            from pathx.errors import EnvironmentFault, RuleFileError
            from pathx.rules.engine import RuleEngine

            ruleset = self.info.get("ruleset")
            try:
                self._engine = RuleEngine.from_files(ruleset["files"]) if ruleset else RuleEngine.load()
            except RuleFileError as err:
                raise EnvironmentFault(f"rule files unusable: {err}") from None
        return self._engine

    def ingest_options(self, **overrides):
        return BundlePredictor.ingest_options(self, **overrides)

    def predict(self, units) -> list[dict]:
        from pathx.errors import EnvironmentFault

        if self._loaded is None:
            try:
                loaded = BundlePredictor.load(self.path, base=self._base, device=self._device,
                                              batch_size=self._batch_size)
            except (PathxError, OSError) as err:
                raise EnvironmentFault(f"cannot load the model of {self.path.name}: {err}") from None
            if loaded.version != self.version:
                raise EnvironmentFault(f"{self.path.name} changed while pathx was running; rerun")
            self._loaded = loaded
        return self._loaded.predict(units)


class BundlePredictor:
    """`pathx run --engine model`: a bundle's model + its embedded rule set and slicing."""

    def __init__(self, path: Path, info: dict, model, engine, content_hash: str, batch_size: int = 8):
        from pathx.model.classifier import Predictor

        self.path, self.info = path, info
        self.name = f"{info['name']}-{info['version']}"
        # The ledger key: a new bundle content reprocesses files, a copied file does not.
        self.version = f"{self.name}+{content_hash[:12]}"
        self.engine = engine
        self.slicing = info["slicing"]
        self.thresholds = info.get("thresholds", {})
        self.tasks = info["tasks"]
        self._predictor = Predictor(model, batch_size=batch_size)

    @classmethod
    def load(cls, path: str | Path, base: str | None = None, device: str | None = None,
             batch_size: int = 8) -> BundlePredictor:
        """A bundle file, or a `pathx fit` output folder (for evaluating before export)."""
        from pathx.rules.engine import RuleEngine

        path = Path(path)
        if path.is_dir():
            from pathx.model.classifier import load_model

            info = fit_dir_info(path, name=path.name, version="0.0.0-dev")
            model = load_model(path, base=base, device=device or "auto")
            content_hash = hashlib.sha256(json.dumps(info, sort_keys=True).encode()).hexdigest()
        else:
            model = load_bundle_model(path, base=base, device=device or "auto")
            info = read_metadata(path)
            content_hash = info[HASH_KEY]
        ruleset = info.get("ruleset")
        engine = RuleEngine.from_files(ruleset["files"]) if ruleset else RuleEngine.load()
        return cls(path, info, model, engine if info.get("hints", True) else None, content_hash, batch_size)

    def ingest_options(self, **overrides):
        from pathx.training.labeled import options_from_info

        options = options_from_info({"slicing": self.slicing, "tasks": self.tasks})
        for k, v in overrides.items():
            setattr(options, k, v)
        return options

    def predict(self, units) -> list[dict]:
        from pathx.outputs.rows import FieldPrediction

        if not units:
            return []
        preds = self._predictor.predict([u.prompt for u in units])
        evidence_engine = self.engine
        out = []
        for unit, pred in zip(units, preds):
            findings = unit.findings_by(evidence_engine) if evidence_engine is not None else {}
            row = {}
            for task in schema.TASKS:
                p = pred.get(task)
                if p is None:  # single-task bundle: other fields are not predicted
                    row[task] = FieldPrediction(label=None)
                    continue
                f = findings.get(task)
                row[task] = FieldPrediction(
                    label=p.label,
                    confidence=round(p.confidence, 4),
                    evidence=f.evidence if f else None,
                    needs_review=p.confidence < self.thresholds.get(task, 0.0),
                )
            out.append(row)
        return out
