"""`pathx fit`: train from a recipe (training.recipes.plan_fit), adjusted by --set and the options."""
from __future__ import annotations

from pathlib import Path

import click

from pathx.cli.errors import command_errors
from pathx.cli.options import K_OPTION, SLICE_OPTION, RegistryChoice, tasks_help

# Options of `pathx fit` that set a recipe key (click parameter name -> key). Given on the command line
# they win over the recipe and --set; left out, the recipe decides.
FIT_FLAG_KEYS = {
    "base": "base", "adapter": "adapter", "tasks": "tasks", "pooling": "pooling", "epochs": "epochs",
    "max_steps": "max_steps", "lr": "lr", "micro_batch": "micro_batch", "grad_accum": "grad_accum",
    "max_length": "max_length", "quant": "quant", "class_weights": "class_weights", "eval_every": "eval_every",
    "checkpoint_every": "checkpoint_every", "null_is_not_reported": "unknown_as_not_reported",
    "slice_mode": "slice_mode", "k": "k", "hints": "hints", "hint_values": "hint_values",
    "rule_prior": "rule_prior", "device": "device",
}
RECIPE_DEFAULT = "(default: the recipe's)"


def _recipes_help() -> str:
    """The fit command's epilog: the shipped recipes, read from recipes/."""
    try:
        from pathx.training.recipes import recipe_list

        rows = recipe_list()
    except OSError as err:
        return f"Recipes: none readable ({type(err).__name__})."
    width = max((len(name) for name, _, _ in rows), default=0)
    lines = [f"  {name:<{width}}  {text}" + (" [default]" if default else "") for name, text, default in rows]
    return "\b\nRecipes (recipes/*.toml; recipes/DEFAULT names the default):\n" + "\n".join(lines)


@click.command(epilog=_recipes_help())
@click.argument("train_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Output folder of the fit.")
@click.option("--recipe", default=None, metavar="NAME",
              help="Training recipe: a name listed below, or a .toml file. Default: the one recipes/DEFAULT names.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override one recipe setting (repeatable): any FitConfig field, base, hints, hint_values, "
                   "slice_mode or k; VALUE is read as TOML (2e-3, true, [\"er\", \"pr\"]) or else as a word. "
                   "Precedence: recipe < --set < the options below.")
@click.option("--base", default=None,
              help="Base model: smollm2-135m-instruct, minilm-l6-v2 (shipped), or a local HF folder / .gguf file "
                   + RECIPE_DEFAULT + ".")
@click.option("--adapter", type=RegistryChoice("pathx.model.adapters:names"), default=None,
              help="PEFT arm: LoRA r=16 a=16 on q/k/v/o; (IA)3; prefix tuning (32 tokens); frozen (heads only).")
@click.option("--tasks", default=None,
              help=f"Comma-separated subset (single-task runs) of: {tasks_help()}; default: all of them.")
@click.option("--pooling", type=RegistryChoice("pathx.model.config:POOLINGS", before=("auto",)), default=None,
              help="Vector the heads read: auto = last token (decoders) / mean (encoders), as in the paper; "
                   "task = each head reads the end of its own hint line (one forward pass, seven vectors).")
@click.option("--val", "val_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Validation set; default: a stratified 80/10/10 split of TRAIN_FILE (seed 42).")
@click.option("--test", "test_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Test set scored after training; default: the split's test part.")
@click.option("--epochs", type=int, default=None, help="Passes over the training set " + RECIPE_DEFAULT + ".")
@click.option("--max-steps", type=int, default=None, help="Cap on optimizer steps (the schedule follows the cap).")
@click.option("--lr", type=float, default=None, help="Peak learning rate " + RECIPE_DEFAULT + ".")
@click.option("--micro-batch", type=int, default=None, help="Examples per forward pass " + RECIPE_DEFAULT + ".")
@click.option("--grad-accum", type=int, default=None, help="Micro-batches per optimizer step " + RECIPE_DEFAULT + ".")
@click.option("--max-length", type=int, default=None, help="Tokens per input.")
@click.option("--quant", type=RegistryChoice("pathx.model.config:QUANTS", before=("none",)), default=None,
              help="nf4 = QLoRA: 4-bit NF4 backbone (bitsandbytes) + paged 8-bit AdamW.")
@click.option("--class-weights", default=None,
              help="Tasks weighted by balanced inverse class frequency (paper eq. 7; default her2); 'none' for none.")
@click.option("--eval-every", type=int, default=None, help="Optimizer steps between validations (default: each epoch).")
@click.option("--checkpoint-every", type=int, default=None, help="Optimizer steps between checkpoints (default 50).")
@click.option("--null-is-not-reported", is_flag=True, default=None,
              help="Treat null labels as 'not reported' (fully labelled sets) instead of unknown (masked).")
@SLICE_OPTION
@K_OPTION
@click.option("--hints/--no-hints", default=None, help="Rule-engine hints in the prompt.")
@click.option("--hint-values/--no-hint-values", default=None,
              help="Start each hint line with the rule engine's resolved label (the model learns when to trust it).")
@click.option("--rule-prior/--no-rule-prior", default=None,
              help="Add to each head's logits a learned table indexed by that rule value, started at "
                   "log P(label | rule value) on the training set (needs --hint-values).")
@click.option("--resume", is_flag=True, help="Continue a killed fit in OUTPUT from its last checkpoint.")
@click.option("--from", "from_bundle", type=click.Path(exists=True, path_type=Path), default=None,
              help="Continue a trained bundle (or fit folder) on TRAIN_FILE instead of starting a fresh adapter: "
                   "site adaptation on reviewed rows (`pathx review-import` output). Its base, adapter, pooling, "
                   "input and tasks are kept; the recipe/--set/options give only the training settings (lr, epochs...).")
@click.option("--device", default=None, help="auto (default), cpu, cuda, cuda:1 ...")
@click.pass_context
@command_errors()
def fit(ctx, train_file, output, recipe, sets, val_file, test_file, resume, from_bundle, **flags):
    """Train a multi-task classifier (LLM encoder + adapter + one head per field) on labelled JSONL.

    \b
    TRAIN_FILE is the labelled-data format (see `pathx label`, or `pathx demo`'s gold.jsonl).
    What is trained comes from a recipe (below), adjusted by --set KEY=VALUE and the options.
    Writes OUTPUT/: config.json, adapter_heads.safetensors (best weights), split.json,
    metrics.json (accuracy, macro-F1, AUROC, confusion matrices, time, peak memory),
    pipeline.json (slicing, rule set, review thresholds). Checkpoints every N steps;
    a killed fit continues with --resume. Then: pathx bundle export OUTPUT -o bundles/NAME-1.0.0.safetensors

    \b
    Site adaptation (fix pathx for your own wording without writing rules):
      pathx review out.jsonl ; fill the sheet ; pathx review-import out.review.csv --input reports/ -o c.jsonl
      pathx fit c.jsonl -o runs/site --from bundles/DEFAULT-BUNDLE.safetensors --epochs 3 --lr 5e-4
    """
    from pathx.rules.engine import RuleEngine
    from pathx.training.labeled import fit_labeled
    from pathx.training.metrics import EvalResult, print_metrics

    plan = _plan(ctx, recipe, sets, flags)
    start = None
    if from_bundle is not None:
        from pathx.training.recipes import adapt_plan

        plan, start = adapt_plan(plan, from_bundle)
    engine = RuleEngine.load() if plan.hints else None
    result = fit_labeled(train_file, output, base=plan.base, config=plan.config, options=plan.options,
                         engine=engine, val_path=val_file, test_path=test_file, resume=resume, start_from=start)
    shown = result.metrics.get("test") or result.metrics.get("val")
    if shown:
        print_metrics(EvalResult.from_dict(shown), title=f"{output} ({'test' if result.metrics.get('test') else 'val'})")
    click.echo(f"fit written to {output} (recipe {plan.recipe}, step {result.global_step}, "
               f"best val loss {result.best_val_loss})")


def _plan(ctx: click.Context, recipe, sets, flags: dict):
    """The fit plan: the recipe, then --set, then the options given on the command line (a bad key or
    value is a usage error naming where it came from, exit 2)."""
    from click.core import ParameterSource

    from pathx.training.recipes import RecipeError, plan_fit

    option = {p.name: p.opts[0] for p in ctx.command.params}
    given = {FIT_FLAG_KEYS[name]: (option[name], value) for name, value in flags.items()
             if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    try:
        return plan_fit(recipe, sets, given)
    except RecipeError as err:
        raise click.BadParameter(err.message, param_hint=f"'{err.source}'") from None
