"""`pathx run --engine model`: a bundle's model + its embedded rule set and slicing.

    BundlePredictor.load(path)     a bundle file (read and verified once, pathx.bundle.reader)
                                   or a `pathx fit` output folder (for evaluating before export)
    LazyBundlePredictor(path)      the same, with the model loaded on the first predict

Both implement pathx.predictors.base.Predictor. Their `stop_check` (default None) is called between
forward batches and may raise to abandon a predict: `pathx run` sets it so that SIGINT/SIGTERM stops
a prediction within one forward batch (pathx.run.predict.predict_batch).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from pathx import schema
from pathx.bundle.reader import HASH_KEY, Bundle, BundleError, fit_dir_bundle, load_model, open_bundle, read_metadata
from pathx.errors import PathxError


def bundle_engine(info: dict):
    """The rule engine a bundle's prompts were built with (its embedded rule files; the installed
    rules for a bundle without them); None for a bundle trained without hints."""
    if not info.get("hints", True):
        return None
    from pathx.rules.engine import RuleEngine

    ruleset = info.get("ruleset")
    return RuleEngine.from_files(ruleset["files"]) if ruleset else RuleEngine.load()


def _ingest_options(info: dict, overrides: dict):
    from pathx.training.labeled import options_from_info

    options = options_from_info({"slicing": info["slicing"], "tasks": info["tasks"]})
    for k, v in overrides.items():
        setattr(options, k, v)
    return options


class BundlePredictor:
    """A checked bundle's model, rule engine (hints and evidence), slicing and review thresholds."""

    def __init__(self, bundle: Bundle, model, engine, batch_size: int = 8):
        from pathx.model.inference import Inference

        self.path, self.info = bundle.path, bundle.info
        self.name = bundle.name
        self.version = bundle.key  # the ledger key: a new bundle content reprocesses files, a copy does not
        self.engine = engine
        self.slicing = bundle.info["slicing"]
        self.thresholds = bundle.info.get("thresholds", {})
        self.tasks = bundle.info["tasks"]
        self.inference = Inference(model, batch_size=batch_size)
        self.stop_check: Callable[[], None] | None = None  # between forward batches; may raise to stop

    @classmethod
    def load(cls, path: str | Path, base: str | None = None, device: str | None = None,
             batch_size: int = 8) -> BundlePredictor:
        """A bundle file, or a `pathx fit` output folder (for evaluating before export)."""
        path = Path(path)
        bundle = fit_dir_bundle(path) if path.is_dir() else open_bundle(path)
        model = load_model(bundle, base=base, device=device or "auto")
        return cls(bundle, model, bundle_engine(bundle.info), batch_size)

    def ingest_options(self, **overrides):
        return _ingest_options(self.info, overrides)

    def predict(self, units) -> list[dict]:
        from pathx.outputs.rows import FieldPrediction

        if not units:
            return []
        if all(u.field_prompts is not None for u in units):  # evidence input: one prompt per field
            preds = self.inference.predict_fields([u.field_prompts for u in units], stop_check=self.stop_check)
        else:
            preds = self.inference.predict([u.prompt for u in units], stop_check=self.stop_check)
        out = []
        for unit, pred in zip(units, preds):
            findings = unit.findings_by(self.engine) if self.engine is not None else {}
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


class LazyBundlePredictor:
    """A BundlePredictor whose model (torch, the base model: seconds) loads on the first predict.

    Name, version (the ledger key), slicing and rule engine come from the bundle's header, read
    without torch, so `pathx run` takes its lock, checks the output and skips unchanged files
    first: a rerun with nothing new, or a second run that finds the lock held, ends at once.
    The first predict reads and verifies the whole file once (pathx.bundle.reader.open_bundle)
    and reuses this predictor's rule engine. A model that then fails to load raises
    EnvironmentFault (the run stops, exit 5).
    """

    def __init__(self, path: str | Path, base: str | None = None, device: str | None = None, batch_size: int = 8):
        self.path, self._base, self._device, self._batch_size = Path(path), base, device, batch_size
        info = read_metadata(self.path)
        content_hash = info.pop(HASH_KEY, None)
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
        self.stop_check: Callable[[], None] | None = None  # handed to the loaded predictor

    @property
    def engine(self):
        """The bundle's rule engine, compiled on first use (~0.3 s: not for a run with nothing to do)."""
        if self._engine is None and self.info.get("hints", True):
            from pathx.errors import EnvironmentFault, RuleFileError

            try:
                self._engine = bundle_engine(self.info)
            except RuleFileError as err:
                raise EnvironmentFault(f"rule files unusable: {err}") from None
        return self._engine

    def ingest_options(self, **overrides):
        return _ingest_options(self.info, overrides)

    def predict(self, units) -> list[dict]:
        if self._loaded is None:
            self._loaded = self._load()
        self._loaded.stop_check = self.stop_check
        return self._loaded.predict(units)

    def _load(self) -> BundlePredictor:
        from pathx.errors import EnvironmentFault

        try:
            bundle = open_bundle(self.path)
            if bundle.key != self.version:
                raise EnvironmentFault(f"{self.path.name} changed while pathx was running; rerun")
            model = load_model(bundle, base=self._base, device=self._device or "auto")
        except EnvironmentFault:
            raise
        except (PathxError, OSError) as err:
            raise EnvironmentFault(f"cannot load the model of {self.path.name}: {err}") from None
        return BundlePredictor(bundle, model, self.engine, self._batch_size)
