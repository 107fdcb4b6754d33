"""What every predictor of `pathx run` is: the contract the runner, the ledger and the CLI rely on.

The rule engine, the naive baseline and the model bundles (pathx.predictors.simple and
pathx.predictors.bundle) implement `Predictor`; `make_predictor` (pathx.predictors.factory)
builds the one `pathx run --engine` names.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Predictor(Protocol):
    """Units in, one {task: FieldPrediction} per unit out, in order.

    name:    the `bundle` output column (e.g. "rules-1.2.0", "minilm-prior-0.2.0").
    version: part of the ledger key; a new bundle content or rule set reprocesses files.
    engine:  the rule engine whose findings give prompts their hints and rows their evidence,
             or None (the naive baseline). A lazy bundle predictor compiles it on first access.

    Optional, looked up with hasattr/getattr by the runner and the CLI:
    `ingest_options(**overrides)` (a bundle slices reports the way it was trained) and
    `rules_version` (the rule-set version, known without compiling the rules).
    """

    name: str
    version: str
    engine: Any

    def predict(self, units) -> list[dict]: ...
