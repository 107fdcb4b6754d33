"""Predictors: turn Units into per-field predictions for the output contract.

Every predictor has `name` (the `bundle` column), `version` (part of the ledger key, so a new
bundle or rule set reprocesses files), `engine` (rule engine used for prompt hints, or None)
and `predict(units) -> [{task: FieldPrediction}]`.
"""
from __future__ import annotations

from pathlib import Path

from pathx import schema
from pathx.errors import PathxError
from pathx.outputs.rows import FieldPrediction
from pathx.rules.engine import RuleEngine, naive_extract


class RulesPredictor:
    """The full context-aware rule engine (paper S1.A), evidence kept for registrars."""

    def __init__(self, engine: RuleEngine | None = None):
        self.engine = engine or RuleEngine.load()
        self.name = f"rules-{self.engine.version}"
        self.version = self.name

    def predict(self, units) -> list[dict[str, FieldPrediction]]:
        out = []
        for unit in units:
            findings = unit.findings_by(self.engine)
            row = {}
            for task in schema.TASKS:
                f = findings.get(task)
                row[task] = FieldPrediction(
                    label=f.value if f else None,
                    confidence=None,
                    evidence=f.evidence if f else None,
                    needs_review=False,
                )
            out.append(row)
        return out


class NaivePredictor:
    """The paper's Naive Rule-Based baseline: first match anywhere in the unsegmented report."""

    def __init__(self):
        self.engine = None  # the baseline uses no hints
        self.name = "naive-1"
        self.version = self.name

    def predict(self, units) -> list[dict[str, FieldPrediction]]:
        out = []
        for unit in units:
            labels = naive_extract(unit.report_text or unit.text)
            out.append(
                {
                    t: FieldPrediction(label=labels.get(t), confidence=None, evidence=None, needs_review=False)
                    for t in schema.TASKS
                }
            )
        return out


def make_predictor(engine_name: str, bundle=None, base=None, device: str | None = None, lazy: bool = False):
    """Build the predictor `pathx run --engine` names; `auto` = what bundles/DEFAULT names (a bundle or
    `rules`), rules when there is no DEFAULT.

    `auto` falls back to rules only when there is no bundles/DEFAULT at all; a DEFAULT naming a
    missing or invalid bundle raises EnvironmentFault (never a silent change of engine).
    lazy=True: a bundle's model is loaded on its first predict (see bundle.LazyBundlePredictor).
    Rule files that cannot be loaded raise EnvironmentFault too.
    """
    from pathx.bundle.files import DefaultBundleMissing, default_bundle_checked
    from pathx.errors import EnvironmentFault, RuleFileError

    try:
        if engine_name in ("auto", "model") and bundle is None:
            try:
                bundle = default_bundle_checked()
            except DefaultBundleMissing as err:
                raise EnvironmentFault(f"{err}: install that bundle, fix bundles/DEFAULT, or choose "
                                       "--engine rules / --bundle FILE") from None
        if engine_name == "auto":
            engine_name = "model" if bundle else "rules"
        if engine_name == "rules":
            return RulesPredictor()
        if engine_name == "naive":
            return NaivePredictor()
        if engine_name == "model":
            if bundle is None:
                raise PathxError("no bundle given and bundles/DEFAULT names none (it says `rules`, or is absent); "
                                 "pass --bundle FILE (see `pathx bundle list`)")
            from pathx.bundle.core import BundleError, BundlePredictor, LazyBundlePredictor

            try:
                if lazy and not Path(bundle).is_dir():
                    return LazyBundlePredictor(bundle, base=base, device=device)
                return BundlePredictor.load(bundle, base=base, device=device)
            except (BundleError, OSError) as err:
                cause = str(err) if isinstance(err, BundleError) else f"{bundle}: {err.strerror or type(err).__name__}"
                raise EnvironmentFault(f"cannot use bundle {cause}") from None
    except RuleFileError as err:
        raise EnvironmentFault(f"rule files unusable: {err}") from None
    raise ValueError(f"unknown engine {engine_name!r}; choose model, rules or naive")
