"""`make_predictor`: the one place an engine name (`pathx run --engine`, `pathx eval`) becomes a
Predictor (pathx.predictors.base): rules, naive, a model bundle (eager or lazy), or both readers
(`combined`: the rules and an evidence-input bundle that carries a combine policy)."""
from __future__ import annotations

from pathlib import Path

from pathx.errors import PathxError

ENGINES = ("auto", "combined", "model", "rules", "naive")


def make_predictor(engine_name: str, bundle=None, base=None, device: str | None = None, lazy: bool = False):
    """Build the predictor `pathx run --engine` names; `auto` = what bundles/DEFAULT names (a bundle or
    `rules`), rules when there is no DEFAULT; a bundle that carries a combine policy runs as
    `combined` under `auto` (both readers), as the model alone under `model`.

    `auto` falls back to rules only when there is no bundles/DEFAULT at all; a DEFAULT naming a
    missing or invalid bundle raises EnvironmentFault (never a silent change of engine).
    lazy=True: a bundle's model is loaded on its first predict (see bundle.LazyBundlePredictor).
    Rule files that cannot be loaded raise EnvironmentFault too.
    """
    from pathx.bundle.files import DefaultBundleMissing, default_bundle_checked
    from pathx.errors import EnvironmentFault, RuleFileError

    asked = engine_name
    try:
        if engine_name in ("auto", "model", "combined") and bundle is None:
            try:
                bundle = default_bundle_checked()
            except DefaultBundleMissing as err:
                raise EnvironmentFault(f"{err}: install that bundle, fix bundles/DEFAULT, or choose "
                                       "--engine rules / --bundle FILE") from None
        if engine_name == "auto":
            engine_name = "model" if bundle else "rules"
        elif engine_name == "combined":
            engine_name = "model"
        if engine_name in ("rules", "naive"):
            from pathx.predictors.simple import NaivePredictor, RulesPredictor

            return RulesPredictor() if engine_name == "rules" else NaivePredictor()
        if engine_name == "model":
            if bundle is None:
                raise PathxError("no bundle given and bundles/DEFAULT names none (it says `rules`, or is absent); "
                                 "pass --bundle FILE (see `pathx bundle list`)")
            from pathx.bundle.reader import BundleError
            from pathx.predictors.bundle import BundlePredictor, LazyBundlePredictor

            try:
                if lazy and not Path(bundle).is_dir():
                    model = LazyBundlePredictor(bundle, base=base, device=device)
                else:
                    model = BundlePredictor.load(bundle, base=base, device=device)
            except (BundleError, OSError) as err:
                cause = str(err) if isinstance(err, BundleError) else f"{bundle}: {err.strerror or type(err).__name__}"
                raise EnvironmentFault(f"cannot use bundle {cause}") from None
            # a bundle that carries a combine policy runs beside the rules (`auto`); `combined` requires one
            return model if asked == "model" else _combined(model, bundle, required=asked == "combined")
    except RuleFileError as err:
        raise EnvironmentFault(f"rule files unusable: {err}") from None
    raise ValueError(f"unknown engine {engine_name!r}; choose {', '.join(ENGINES)}")


def _combined(model, bundle, required: bool):
    """The bundle's model beside the rules, decided per field by the combine policy it carries; the
    model alone when it carries none and `combined` was not asked for by name."""
    from pathx.errors import EnvironmentFault
    from pathx.predictors.combined import CombinedPredictor, CombinePolicy
    from pathx.predictors.simple import RulesPredictor

    policy = model.info.get("combine")
    if not policy:
        if required:
            raise EnvironmentFault(f"bundle {Path(bundle).name} carries no combine policy; use --engine model")
        return model
    try:
        return CombinedPredictor(RulesPredictor(), model, CombinePolicy.from_dict(policy))
    except ValueError as err:
        raise EnvironmentFault(f"bundle {Path(bundle).name}: {err}") from None
