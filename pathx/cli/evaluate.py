"""`pathx eval`: metrics of a bundle, fit folder or rule engine on labelled JSONL (training.evaluation)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from pathx.cli.errors import command_errors


@click.command("eval")
@click.argument("model_path", type=click.Path(path_type=Path))
@click.argument("data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--base", default=None, help="Base model path when the bundle's base is not a shipped one.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1 ...")
@click.option("--confusion", is_flag=True, help="Also print confusion matrices.")
@click.option("--json", "as_json", is_flag=True, help="Print metrics as JSON.")
@click.option("--null-is-not-reported", is_flag=True, help="Score null gold labels as 'not reported'.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write per field a confusion-matrix PNG and (bundles: engines with probabilities) a "
                   "reliability diagram PNG into this folder (made if missing).")
@command_errors()
def eval_cmd(model_path, data_file, base, device, confusion, as_json, null_is_not_reported, plots_dir):
    """Accuracy, macro-F1, AUROC and confusion per field of a bundle (or fit folder) on labelled JSONL.

    \b
    MODEL_PATH is a bundle file, a fit folder, or a rule engine's name (`rules`, `naive`) to score the
    rule engines on the same data (e.g. before deciding whether a new bundle should replace them):
      pathx eval bundles/NAME-1.0.0.safetensors held_out.jsonl
      pathx eval rules held_out.jsonl --plots plots/

    The table also shows, per field, the auto-accept coverage (share of values the engine does not flag
    for review, as `pathx run` flags them in its `review` column) and the auto precision (accuracy of
    those auto-accepted values): what a site gets if it checks only the flagged fields.
    """
    from pathx.errors import PathxError
    from pathx.training.evaluation import RULE_ENGINES, evaluate_labeled, evaluate_rules_labeled

    if str(model_path) in RULE_ENGINES:  # the names win over a folder called so (the repo has rules/)
        result = evaluate_rules_labeled(str(model_path), data_file, null_is_not_reported=null_is_not_reported)
    elif not model_path.exists():
        raise PathxError(f"{model_path}: no such bundle or fit folder (or use {' / '.join(RULE_ENGINES)})")
    else:
        result = evaluate_labeled(model_path, data_file, base=base, device=device,
                                  null_is_not_reported=null_is_not_reported)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1))
    else:
        from pathx.training.metrics import print_metrics

        print_metrics(result, title=f"{model_path.name} on {data_file.name}", confusion=confusion)
    if plots_dir is not None:
        _plots(result, plots_dir, title=f"{model_path.name} on {data_file.name}")


def _plots(result, plots_dir: Path, title: str) -> None:
    """The PNGs; notes and where they went on stderr (stdout may be --json)."""
    try:
        from pathx.training.plots import write_plots
    except ImportError as err:
        from pathx.errors import EnvironmentFault

        raise EnvironmentFault(f"--plots needs matplotlib ({err.name or 'import'} missing); rerun install.sh") from None
    written, notes = write_plots(result, plots_dir, title=title)
    for note in notes:
        click.echo(f"pathx eval: {note}", err=True)
    click.echo(f"pathx eval: wrote {len(written)} plot(s) to {plots_dir}", err=True)
