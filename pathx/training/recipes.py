"""Training recipes: committed TOML files in `recipes/` (package data `pathx._recipes`), what
`pathx fit DATA --recipe NAME` trains.

A recipe is one flat table of settings, each checked where it lands:
  - `base`: the base model (a shipped name, a local HF folder or a .gguf file);
  - `hints`: rule-engine hints in the prompt (true/false);
  - the IngestOptions keys that shape the prompt: `slice_mode`, `k`, `hint_values`, `max_report_chars`,
    `evidence_hints`;
  - any FitConfig field: `adapter`, `pooling`, `lr`, `epochs`, `rule_prior`, `max_steps`, ...;
  - `description`: one line, shown by `pathx fit --help`.
Keys a recipe leaves out keep FitConfig's and IngestOptions' own defaults (tasks: all of them).
`recipes/DEFAULT` names the recipe `pathx fit` uses without --recipe: the best one measured
(docs/benchmarks.md). Words stand for None where TOML has no null: pooling = "auto", quant = "none",
and "none" for any optional key (max_steps = "none"); tasks and class_weights also take "er,pr".

Precedence, lowest first: the configs' defaults < the recipe < `--set key=value` (in the order given)
< the explicit option flags (`--lr 1e-3`). A bad key or value is a RecipeError naming where it came
from (the recipe file, `--set key` or the flag); the CLI makes it a usage error (exit 2).
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pathx import paths, schema
from pathx.errors import PathxError

DEFAULT_MARKER = "DEFAULT"
OWN_KEYS = ("base", "hints")  # read by `pathx fit` itself
PROMPT_KEYS = ("slice_mode", "k", "hint_values", "max_report_chars", "evidence_hints")  # IngestOptions fields a recipe may set
NONE_WORDS = {"pooling": "auto", "quant": "none"}  # the CLI's words for None
LIST_KEYS = ("tasks", "class_weights")  # also written "er,pr" (flags) or "none" (class_weights: no task)


class RecipeError(PathxError):
    """A recipe, --set or flag value that cannot be used: `source` says where it came from."""

    def __init__(self, source: str, message: str):
        super().__init__(f"{source}: {message}")
        self.source, self.message = source, message


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    description: str
    settings: dict


@dataclass(frozen=True)
class FitPlan:
    """What `pathx fit` trains: checked configs and where every setting came from."""

    recipe: str
    base: str
    hints: bool
    config: object  # training.config.FitConfig
    options: object  # pipeline.IngestOptions
    origin: dict[str, str]  # key -> "recipe NAME" | "--set KEY" | "--flag"


def recipes_dir() -> Path:
    return paths.recipes_dir()


def recipe_names() -> list[str]:
    return sorted(p.stem for p in recipes_dir().glob("*.toml"))


def default_recipe_name() -> str:
    return (recipes_dir() / DEFAULT_MARKER).read_text(encoding="utf-8").strip()


def recipe_list() -> list[tuple[str, str, bool]]:
    """(name, description, is the default) of each shipped recipe, for --help."""
    default = default_recipe_name()
    out = []
    for name in recipe_names():
        try:
            text = _read(recipes_dir() / f"{name}.toml", name).get("description", "")
        except RecipeError as err:
            text = f"unreadable: {err.message}"
        out.append((name, str(text), name == default))
    return out


def known_keys() -> tuple[str, ...]:
    from pathx.training.config import FitConfig

    return OWN_KEYS + PROMPT_KEYS + tuple(f.name for f in dataclasses.fields(FitConfig))


def _read(path: Path, label: str) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RecipeError(f"recipe {label}", f"{path}: {err}") from None


def load_recipe(name: str | None = None) -> Recipe:
    """A shipped recipe by name (None: recipes/DEFAULT's), or a .toml file by path."""
    name = name or default_recipe_name()
    if name.endswith(".toml") or "/" in name:
        path = Path(name)
        if not path.is_file():
            raise RecipeError("--recipe", f"{name}: no such recipe file")
    else:
        path = recipes_dir() / f"{name}.toml"
        if not path.is_file():
            raise RecipeError("--recipe", f"no recipe {name!r}; shipped: {', '.join(recipe_names())}")
    data = _read(path, name)
    description = data.pop("description", "")
    keys = known_keys()
    for key, value in data.items():
        if key not in keys:
            raise RecipeError(f"recipe {name}", f"unknown key {key!r}; known: {', '.join(keys)}")
    return Recipe(name, path, str(description), {k: normalise(k, v) for k, v in data.items()})


def normalise(key: str, value):
    """A recipe, --set or flag value as the configs take it (the words for None, comma lists)."""
    if isinstance(value, str):
        if value == NONE_WORDS.get(key) or (value == "none" and key not in LIST_KEYS + ("adapter",)):
            return None
        if key in LIST_KEYS:
            return [] if value == "none" else [t.strip() for t in value.split(",") if t.strip()]
    if key == "split" and isinstance(value, list):
        return tuple(value)
    return value


def parse_set(item: str) -> tuple[str, object]:
    """`key=value` -> (key, value): the value read as TOML (2e-3, true, ["er"]), else as the bare text."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise RecipeError("--set", f"{item!r}: write key=value")
    if key not in known_keys():
        raise RecipeError("--set", f"unknown key {key!r}; known: {', '.join(known_keys())}")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, normalise(key, value)


def plan_fit(recipe: str | None, sets=(), flags: dict[str, tuple[str, object]] | None = None) -> FitPlan:
    """The recipe, then each `--set key=value`, then `flags` ({key: (option, value)}, the options given on
    the command line), checked by FitConfig's and IngestOptions' own checks."""
    from pathx.configcheck import ConfigError
    from pathx.training.config import FitConfig
    from pathx.ingestion.pipeline import IngestOptions

    chosen = load_recipe(recipe)
    values = dict(chosen.settings)
    origin = {k: f"recipe {chosen.name}" for k in values}
    for item in sets:
        key, value = parse_set(item)
        values[key], origin[key] = value, f"--set {key}"
    for key, (option, value) in (flags or {}).items():
        values[key], origin[key] = normalise(key, value), option

    base, hints = values.pop("base", None), values.pop("hints", True)
    if not isinstance(base, str) or not base:
        raise RecipeError(origin.get("base", "base"), f"base must name a base model, not {base!r}")
    if not isinstance(hints, bool):
        raise RecipeError(origin["hints"], f"hints must be true or false, not {hints!r}")
    prompt = {k: values.pop(k) for k in PROMPT_KEYS if k in values}
    values.setdefault("tasks", None)
    if values["tasks"] is None:
        values["tasks"] = list(schema.TASKS)
    try:
        config = FitConfig(**values)
        if config.rule_prior and not (prompt.get("hint_values") is True and hints):
            raise RecipeError(origin["rule_prior"], "the rule prior reads the rule values in the hint lines: "
                              "add --hint-values (and --hints), or --no-rule-prior")
        hint_values = prompt.pop("hint_values", False)
        options = IngestOptions(**prompt, tasks=tuple(config.tasks),
                                hint_values=hint_values and hints if isinstance(hint_values, bool) else hint_values)
    except ConfigError as err:
        raise RecipeError(origin.get(err.field, err.field), f"{err.field} {err.message}"
                          if origin.get(err.field, "").startswith("recipe") else err.message) from None
    return FitPlan(chosen.name, base, hints, config, options, origin)


# FitConfig fields that shape the model itself: `pathx fit --from` takes them from the bundle it continues.
MODEL_KEYS = ("tasks", "adapter", "pooling", "padding_side", "truncation_side", "max_length", "chat_template",
              "quant", "rule_prior")


def adapt_plan(plan: FitPlan, bundle_path) -> tuple[FitPlan, object]:
    """`pathx fit --from BUNDLE`: the plan with the bundle's base, model shape, prompt input and hints
    (the training settings stay the plan's), and the opened, verified Bundle whose weights start the fit."""
    from pathlib import Path

    from pathx.bundle.reader import fit_dir_bundle, open_bundle
    from pathx.training.labeled import options_from_info

    path = Path(bundle_path)
    bundle = fit_dir_bundle(path) if path.is_dir() else open_bundle(path)
    model = bundle.info["model"]
    shape = {k: model[k] for k in MODEL_KEYS if k in model}
    config = dataclasses.replace(plan.config, **shape)
    options = options_from_info(bundle.info)
    base = plan.base if plan.origin.get("base") == "--base" else model["base"]["name"]  # --base: a local copy
    origin = dict(plan.origin, **{k: f"--from {path.name}" for k in (*shape, "hints")})
    return FitPlan(plan.recipe, base, bool(bundle.info.get("hints", True)), config, options, origin), bundle
