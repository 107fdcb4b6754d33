"""Training recipes (recipes/*.toml): each parses into checked configs, --set and the flags override them
in the documented order, bad keys and values are usage errors naming the key, and the settings reach the fit."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from pathx import cli, paths, schema
from pathx.training.fit import FitConfig
from pathx.ingestion.pipeline import IngestOptions
from pathx.training.recipes import RecipeError, default_recipe_name, load_recipe, plan_fit, recipe_names

REPO = Path(__file__).resolve().parents[2]
# The flags bench/train_default.sh passed before the recipes existed (besides --checkpoint-every 20).
BENCH_FLAGS = {
    "minilm-prior": "--base minilm-l6-v2 --adapter lora --pooling task --hint-values --rule-prior --epochs 2 "
                    "--lr 2e-3 --micro-batch 4 --grad-accum 4 --max-length 512 --eval-every 60",
    "minilm-values": "--base minilm-l6-v2 --adapter lora --pooling task --hint-values --epochs 2 --lr 2e-3 "
                     "--micro-batch 4 --grad-accum 4 --max-length 512 --eval-every 60",
    "smollm2-values": "--base smollm2-135m-instruct --adapter lora --pooling task --hint-values --epochs 1 "
                      "--max-steps 100 --lr 1e-3 --micro-batch 4 --grad-accum 4 --max-length 512 --eval-every 60",
}


@pytest.fixture
def fit_calls(monkeypatch):
    """`pathx fit` in-process, with fit_labeled replaced by a recorder of what it would train."""
    import pathx.training.labeled

    calls = []

    class Result:
        metrics, global_step, best_val_loss = {}, 0, None

    def record(train_path, out_dir, **kw):
        calls.append(kw)
        return Result()

    monkeypatch.setattr(pathx.training.labeled, "fit_labeled", record)
    return calls


def run_fit(tmp_path, *args):
    data = tmp_path / "train.jsonl"
    data.write_text("")
    return CliRunner().invoke(cli.main, ["fit", str(data), "-o", str(tmp_path / "out"), *map(str, args)])


def test_the_shipped_recipes_are_the_folder_and_each_builds_checked_configs():
    names = recipe_names()
    assert set(BENCH_FLAGS) | {"paper"} <= set(names) and default_recipe_name() in names
    for name in names:
        recipe = load_recipe(name)
        assert recipe.path == paths.recipes_dir() / f"{name}.toml" and recipe.description
        plan = plan_fit(name)
        assert isinstance(plan.config, FitConfig) and isinstance(plan.options, IngestOptions)
        assert plan.base in ("minilm-l6-v2", "smollm2-135m-instruct")


def test_the_default_recipe_is_the_shipped_bundles_and_paper_is_the_old_bare_defaults():
    assert default_recipe_name() == "minilm-prior" and plan_fit(None).recipe == "minilm-prior"
    paper = plan_fit("paper")  # what `pathx fit DATA` trained before the recipes
    assert paper.base == "smollm2-135m-instruct" and paper.hints
    assert paper.config == FitConfig(tasks=list(schema.TASKS))
    assert paper.options == IngestOptions(tasks=schema.TASKS, hint_values=False)


@pytest.mark.parametrize("name", sorted(BENCH_FLAGS))
def test_a_recipe_trains_what_the_bench_flags_trained(fit_calls, tmp_path, name):
    for args in (["--recipe", name], ["--recipe", "paper", *shlex.split(BENCH_FLAGS[name])]):
        result = run_fit(tmp_path, *args)
        assert result.exit_code == 0, result.output
    by_recipe, by_flags = fit_calls
    assert by_recipe.pop("engine") is not None and by_flags.pop("engine") is not None  # hints on
    assert by_recipe == by_flags  # base, FitConfig, IngestOptions
    assert by_recipe["options"].hint_values and by_recipe["config"].pooling == "task"


def test_set_overrides_the_recipe_and_flags_override_set(fit_calls, tmp_path):
    result = run_fit(tmp_path, "--recipe", "minilm-values", "--set", "lr=3e-4", "--set", "max_steps=7",
                     "--set", "tasks=er,pr", "--set", "pooling=auto", "--set", "base=./elsewhere",
                     "--set", "epochs=9", "--epochs", "4")
    assert result.exit_code == 0, result.output
    (call,) = fit_calls
    cfg = call["config"]
    assert (cfg.lr, cfg.max_steps, cfg.tasks, cfg.pooling, cfg.epochs) == (3e-4, 7, ["er", "pr"], None, 4)
    assert call["base"] == "./elsewhere" and call["options"].tasks == ("er", "pr")
    assert cfg.micro_batch == 4 and call["options"].hint_values  # the rest stays the recipe's


def test_no_hints_turns_hint_values_off_and_a_recipe_file_may_be_a_path(fit_calls, tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text('description = "x"\nbase = "minilm-l6-v2"\nhint_values = true\nepochs = 1\n')
    assert run_fit(tmp_path, "--recipe", mine, "--no-hints").exit_code == 0
    (call,) = fit_calls
    assert call["engine"] is None and not call["options"].hint_values and call["config"].epochs == 1


@pytest.mark.parametrize("args, names", [
    (("--set", "lrr=1"), ["--set", "lrr"]),
    (("--set", "lr"), ["--set", "key=value"]),
    (("--set", "lr=-1"), ["--set lr", "greater than 0"]),
    (("--set", "micro_batch=0"), ["--set micro_batch", "at least 1"]),
    (("--set", "pooling=first"), ["--set pooling", "first"]),
    (("--set", "hints=maybe"), ["--set hints", "true or false"]),
    (("--set", "k=-1"), ["--set k", "at least 0"]),
    (("--set", "tasks=er,colour"), ["--set tasks", "colour"]),
    (("--micro-batch", "0"), ["'--micro-batch'"]),
    (("--recipe", "nosuch"), ["--recipe", "nosuch", "minilm-prior"]),
    (("--no-hint-values",), ["--hint-values", "rule prior"]),
    (("--recipe", "paper", "--set", "rule_prior=true"), ["--set rule_prior", "--hint-values"]),
])
def test_bad_recipe_settings_are_usage_errors_naming_the_key(fit_calls, tmp_path, args, names):
    result = run_fit(tmp_path, *args)
    assert result.exit_code == 2 and not fit_calls, result.output
    for name in names:
        assert name in result.output, (name, result.output)


def test_a_bad_recipe_file_names_its_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "minilm-l6-v2"\nlearning_rate = 1e-3\n')
    with pytest.raises(RecipeError, match="learning_rate"):
        plan_fit(str(bad))
    bad.write_text('base = "minilm-l6-v2"\nepochs = 0\n')
    with pytest.raises(RecipeError, match="recipe .*bad.toml.*epochs"):
        plan_fit(str(bad))


def test_fit_help_lists_the_recipes_from_the_folder():
    text = CliRunner().invoke(cli.main, ["fit", "--help"], terminal_width=200).output
    for name in recipe_names():
        assert name in text
    assert "[default]" in text and "--recipe" in text and "--set" in text


def test_bench_trains_with_the_recipes():
    script = (REPO / "bench" / "train_default.sh").read_text()
    for name in BENCH_FLAGS:
        assert f"fit {name} --recipe {name}\n" in script
    assert "--lr" not in script and "--eval-every" not in script
