"""Predict a batch of read files and turn each outcome into its ledger record."""
from __future__ import annotations

import time

from pathx.errors import EnvironmentFault
from pathx.outputs import rows as out
from pathx.registry import registry_columns
from pathx.run.ledger import Record
from pathx.run.outcome import Outcome
from pathx.run.signals import StopNow

PREDICT_STOPPED = "interrupted before its prediction; will be processed next run"


def predict_batch(batch: list[Outcome], predictor, stop=None, ledger=None) -> None:
    """Fill rows of the ok outcomes; a predictor failure is isolated to the files it hits.

    A predictor with a `stop_check` (a bundle's model) checks `stop` (the run's StopFlag) between
    forward batches: after SIGINT/SIGTERM its files are left for the next run (skip_reason, and their
    in-flight marks cleared in `ledger`: a stop is not a crash), so the run stops within one forward batch.
    """
    if stop is None or not hasattr(predictor, "stop_check"):
        return _predict_batch(batch, predictor)

    def stop_check() -> None:
        if stop:
            raise StopNow

    predictor.stop_check = stop_check
    try:
        _predict_batch(batch, predictor)
    except StopNow:
        for o in batch:
            if o.status == "ok":
                o.skip_reason, o.rows = PREDICT_STOPPED, []
                if ledger is not None:
                    ledger.clear_inflight(o.file)
    finally:
        predictor.stop_check = None


def _predict_batch(batch: list[Outcome], predictor) -> None:
    todo = [o for o in batch if o.status == "ok"]
    units = [u for o in todo for u in o.result.units]
    if not units:
        return
    started = time.perf_counter()
    try:
        preds = predictor.predict(units)
        if len(preds) != len(units):
            raise RuntimeError("predictor returned the wrong number of predictions")
        groups, i = [], 0
        for o in todo:
            groups.append(preds[i : i + len(o.result.units)])
            i += len(o.result.units)
        per_file = list(zip(todo, groups))
    except EnvironmentFault:
        raise  # the model cannot be loaded: no file can be predicted, the run stops (exit 5)
    except Exception:
        per_file = [(o, None) for o in todo]  # retry file by file to find the one that fails
    elapsed = (time.perf_counter() - started) / max(len(todo), 1)
    for o, group in per_file:
        t0 = time.perf_counter()
        try:
            if group is None:
                group = predictor.predict(o.result.units)
            engine = getattr(predictor, "engine", None)
            o.rows = [
                out.prediction_row(o.file, u.specimen, p, predictor.name, registry_columns(
                    engine, u.text, {t: f.label for t, f in p.items()},
                    findings=u.findings_by(engine) if engine is not None else None,
                    mentions=u.mentions_by(engine) if engine is not None else None))
                for u, p in zip(o.result.units, group)
            ]
        except EnvironmentFault:
            raise
        except Exception as err:
            o.error = f"{o.file}: prediction failed ({type(err).__name__})"
            o.sha256 = None  # not the file's fault: retried next run
            o.fault = "environment"
            o.rows = []
        o.predict_seconds = elapsed + (time.perf_counter() - t0)


def record_for(o: Outcome, bundle: str) -> Record:
    # Only a file whose content was read and hashed takes over a moved file's rows; a passing
    # failure (no hash) leaves the old rows where they are.
    replaces = o.replaces if o.sha256 else None
    if o.error:  # the signature is kept with a hash (cached) or a retry condition (files.retry_due)
        return Record(o.file, o.sha256, "error", [out.error_row(o.file, o.error, bundle)],
                      o.signature if o.sha256 or o.retry else None, replaces, o.retry)
    return Record(o.file, o.sha256, "ok", o.rows, o.signature, replaces)
