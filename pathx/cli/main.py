"""pathx command line. Only parses options and calls the library; see `pathx COMMAND --help`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

import pathx
from pathx.errors import PathxError

EXIT_USAGE = 2
EXIT_ENVIRONMENT = 5  # rules, model, OCR, permissions, disk: the machine, not the input (pathx.run.runner)
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in pathx; the message names the exception type only

OCR_OPTION = click.option(
    "--ocr",
    type=click.Choice(["auto", "tesseract", "easyocr", "off"]),
    default="auto",
    show_default=True,
    help="OCR for PDF pages without a usable text layer. auto = Tesseract if installed, else EasyOCR.",
)
SLICE_OPTION = click.option(
    "--slice",
    "slice_mode",
    type=click.Choice(["window", "full", "random"]),
    default="window",
    show_default=True,
    help="Model input: +/-K lines around anchor headers (window), whole text (full), or a random window.",
)
K_OPTION = click.option("-k", "k", type=int, default=5, show_default=True, help="Lines kept around each anchor header.")


# Options whose name is not the config field's (--micro-batch sets micro_batch, and so on).
OPTION_OF_FIELD = {"slice_mode": "--slice", "k": "-k"}


def _config(make, **kw):
    """make(**kw) (a config dataclass, checked on construction), or a usage error (exit 2) naming the
    option behind the bad field; called before any input or output file is touched."""
    from pathx.configcheck import ConfigError

    try:
        return make(**kw)
    except ConfigError as err:
        option = OPTION_OF_FIELD.get(err.field, "--" + err.field.replace("_", "-"))
        raise click.BadParameter(err.message, param_hint=f"'{option}'") from None


def _ingest_options(ocr: str, slice_mode: str, k: int):
    from pathx.ingestion.pipeline import IngestOptions

    return _config(IngestOptions, ocr=ocr, slice_mode=slice_mode, k=k)


def _fail(err: Exception, code: int = 1) -> None:
    from pathx.outputs.names import safe_text

    click.echo(f"pathx: error: {safe_text(' '.join(str(err).split()))}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(pathx.__version__, prog_name="pathx")
def main() -> None:
    """pathx: breast pathology reports (PDF, scanned PDF, text) -> T/N/M stage, grade, ER, PR, HER2.

    \b
    Typical use:
      pathx demo samples/                  write synthetic sample reports (with gold labels)
      pathx run samples/ -o out.csv        one row per tumour specimen (CSV or .jsonl)
      pathx extract samples/ -o texts.jsonl    see what the model sees: de-identified text, slice, prompt
      pathx label reports/ -o labeled.jsonl    bootstrap labels with the rule engine
      pathx fit labeled.jsonl -o runs/mymodel  train a multi-task LoRA model
      pathx bundle export runs/mymodel -o bundles/mymodel-1.0.0.safetensors

    Everything runs offline; no report text or PHI is ever written to logs.
    """


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file to write.")
@OCR_OPTION
@SLICE_OPTION
@K_OPTION
@click.option("--hints/--no-hints", default=True, show_default=True, help="Fill the prompt's Hints block from the rule engine.")
def extract(input_path: Path, output: Path, ocr: str, slice_mode: str, k: int, hints: bool) -> None:
    """Show ingestion per file and specimen: de-identified text, slice, prompt, extraction path.

    The registrar's debugging tool when a row looks wrong. Text is de-identified before it is written.
    """
    from pathx.outputs.names import escape_name, safe_text
    from pathx.ingestion.pipeline import discover, extract_file

    options = _ingest_options(ocr, slice_mode, k)
    engine = None
    if hints:
        from pathx.rules.engine import RuleEngine

        engine = RuleEngine.load()
    root = input_path if input_path.is_dir() else input_path.parent
    files = discover(input_path)
    failed = 0
    with output.open("w", encoding="utf-8") as fh:
        for i, path in enumerate(files, 1):
            res = extract_file(path, root, engine, options)
            res.file = escape_name(res.file)  # as `pathx run` shows it (names.py)
            res.error = safe_text(res.error) if res.error else None
            base = {"file": res.file, "method": res.method, "pages": res.pages,
                    "warnings": [safe_text(w) for w in res.warnings]}
            if res.error:
                failed += 1
                fh.write(json.dumps({**base, "specimen": None, "status": "error", "error": res.error}) + "\n")
                click.echo(f"[{i}/{len(files)}] {res.error}", err=True)
                continue
            for u in res.units:
                fh.write(
                    json.dumps(
                        {**base, "specimen": u.specimen, "status": "ok", "text": u.text, "slice": u.sliced,
                         "prompt": u.prompt, "hints": u.hints}
                    )
                    + "\n"
                )
            click.echo(f"[{i}/{len(files)}] {res.file}: {len(res.units)} specimen(s) via {res.method}", err=True)
    sys.exit(3 if failed else 0)


@main.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--n", "n", type=int, default=40, show_default=True, help="Number of reports.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--scanned/--no-scanned", default=True, show_default=True, help="Include image-only (scanned) PDFs.")
def demo(outdir: Path, n: int, seed: int, scanned: bool) -> None:
    """Write synthetic breast pathology reports (txt, PDF, scanned PDF) and their gold labels.

    The reports carry planted, fake PHI so de-identification can be seen working. OUTDIR/gold.jsonl holds
    the true labels in the labelled-data format (usable by `pathx fit` and `pathx eval`).
    """
    import importlib.util

    if importlib.util.find_spec("reportlab") is None:  # the generator writes PDFs with reportlab: the `demo` extra
        raise click.UsageError("pathx demo writes PDFs with reportlab, which is not installed: pip install 'pathx[demo]'")
    from pathxgen import corpus

    formats = ("txt", "pdf", "scanned") if scanned else ("txt", "pdf")
    rows = corpus.generate(outdir, n, seed=seed, formats=formats)
    click.echo(f"wrote {n} reports ({len(rows)} specimens) and gold.jsonl to {outdir}")


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Output file; .csv or .jsonl (JSONL adds the rule engine's evidence per field).")
@click.option("--engine", type=click.Choice(["auto", "model", "rules", "naive"]), default="auto", show_default=True,
              help="model = a trained bundle; rules = the rule engine; naive = the paper's regex baseline; "
                   "auto = what bundles/DEFAULT names: a bundle, or `rules` (shipped: the rule engine, which "
                   "reads real reports better than the shipped bundle; docs/benchmarks.md); rules also when there is "
                   "no DEFAULT file. A DEFAULT naming a missing or invalid bundle is an error, exit 5.")
@click.option("--bundle", "bundle", type=click.Path(path_type=Path), default=None,
              help="Bundle file (.safetensors) for --engine model, e.g. bundles/minilm-prior-0.2.0.safetensors.")
@click.option("--base", type=click.Path(path_type=Path), default=None,
              help="Base model path for a bundle whose base is not a shipped one.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 ...; default: GPU when present.")
@OCR_OPTION
@click.option("--reprocess", is_flag=True, help="Process every file again, even ones the ledger has seen.")
@click.option("--prune", is_flag=True,
              help="Remove the rows of files no longer under INPUT_PATH (deleted reports). Without it their rows "
                   "stay. Only after a complete run, never for a folder that could not be listed, never when "
                   "INPUT_PATH holds no report at all. A moved or renamed report takes over its old rows either way.")
@click.option("--audit", "audit_path", type=click.Path(path_type=Path), default=None,
              help="Audit log (JSONL) path; default: a new file in the user log directory.")
@click.option("--batch-size", type=click.IntRange(min=1), default=128, show_default=True,
              help="Files per batch: read together, predicted in length-sorted forward passes, committed to the "
                   "ledger in one transaction (Ctrl-C finishes the current batch). A batch also closes after "
                   "60 s of reading, so slow OCR input still commits often. Larger batches pad less.")
@click.option("--flush-seconds", type=float, default=30.0, show_default=True,
              help="Rewrite the output at most this often while running (always at the end; the ledger commits "
                   "every batch, so a kill loses nothing).")
@click.option("--file-timeout", type=float, default=300.0, show_default=True,
              help="Seconds one file may take to read (PDF parsing, OCR, de-identification, rule hints); over it the "
                   "file gets an error row and the run goes on. 0 = no limit.")
@click.option("--rebuild-ledger", is_flag=True,
              help="The ledger beside OUTPUT is damaged (exit 6): move it aside, rebuild it from OUTPUT's rows "
                   "(kept) and read every present file again.")
@click.option("--quiet", "-q", is_flag=True, help="No progress output, and no warnings from libraries.")
def run(input_path, output, engine, bundle, base, device, ocr, reprocess, prune, audit_path, batch_size,
        flush_seconds, file_timeout, rebuild_ledger, quiet):
    """Extract T/N/M, grade, ER, PR, HER2 from every report under INPUT_PATH into OUTPUT.

    INPUT_PATH is a folder (searched recursively for .pdf and .txt), one report file, or a
    .jsonl file with one report per line ({"id": ..., "text": ...}).

    \b
    One row per (file, specimen). Incremental: files already in the ledger beside OUTPUT with the
    same content and bundle are skipped, changed files are replaced. Safe to kill and rerun.
    \b
    Exit codes: 0 all ok, 2 usage error, 3 some files failed (see their error rows),
    4 interrupted (SIGINT/SIGTERM; rerun to continue), 5 environment fault (rules, model, OCR,
    permissions, disk: fix and rerun), 6 damaged ledger (rerun with --rebuild-ledger),
    70 internal error (a bug), 75 another run holds OUTPUT's lock.
    """
    if quiet:  # cron mails whatever reaches stderr: dependencies' FutureWarnings must not
        import warnings

        warnings.simplefilter("ignore")
    try:
        _run(input_path, output, engine, bundle, base, device, ocr, reprocess, audit_path, batch_size,
             flush_seconds, file_timeout, rebuild_ledger, quiet, prune)
    except click.exceptions.Exit:
        raise
    except (click.ClickException, SystemExit, KeyboardInterrupt):
        raise
    except MemoryError:
        _fail("out of memory", EXIT_ENVIRONMENT)
    except OSError as err:
        _fail(f"{err.strerror or type(err).__name__}" + (f": {err.filename}" if err.filename else ""),
              EXIT_ENVIRONMENT)
    except Exception as err:  # a bug: one line, the type only (a message could quote report text)
        _fail(f"internal error ({type(err).__name__}); please report it with `pathx audit show`", EXIT_INTERNAL)


def _run(input_path, output, engine, bundle, base, device, ocr, reprocess, audit_path, batch_size,
         flush_seconds, file_timeout, rebuild_ledger, quiet, prune=False) -> None:
    from pathx.errors import EnvironmentFault
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.predictors.simple import make_predictor
    from pathx.run.runner import run_folder

    if output.suffix.lower() not in (".csv", ".jsonl"):
        raise click.UsageError(f"{output}: output must end in .csv or .jsonl")
    if file_timeout < 0:
        raise click.UsageError("--file-timeout must be 0 (no limit) or more")
    rule_options = _config(IngestOptions, ocr=ocr)  # checked before the bundle or any report is read
    try:
        # Lazy: a bundle's model loads on the first file that needs it, after the lock is taken
        # and the unchanged files are skipped (a rerun with nothing new never imports torch).
        predictor = make_predictor(engine, bundle=bundle, base=base, device=device, lazy=True)
    except EnvironmentFault as err:
        _fail(err, EXIT_ENVIRONMENT)
    except PathxError as err:
        _fail(err, EXIT_ENVIRONMENT)
    from pathx.bundle.files import default_marker

    if engine == "auto" and not hasattr(predictor, "ingest_options") and not quiet and default_marker() is None:
        click.echo("pathx run: bundles/DEFAULT is absent; using the rule engine",
                   err=True)
    # A bundle slices reports the way it was trained; rule engines use the defaults.
    options = predictor.ingest_options(ocr=ocr) if hasattr(predictor, "ingest_options") else rule_options
    from pathx.ingestion.pipeline import reports_folder

    input_errors: list[tuple[str, str]] = []
    try:
        with reports_folder(input_path, output.parent, input_errors) as folder:
            summary = run_folder(folder, output, predictor, options=options, reprocess=reprocess,
                                 audit_path=audit_path, progress="quiet" if quiet else "auto", batch_size=batch_size,
                                 flush_seconds=flush_seconds, rebuild_ledger=rebuild_ledger, file_timeout=file_timeout,
                                 input_errors=input_errors, prune=prune)
    except PathxError as err:
        _fail(err, EXIT_USAGE)
    sys.exit(summary.exit_code)


@main.command()
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Labelled JSONL to write.")
@OCR_OPTION
@click.option("--audit-n", type=int, default=50, show_default=True, help="Specimens in the manual-review sample.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the review sample.")
def label(input_path: Path, output: Path, ocr: str, audit_n: int, seed: int) -> None:
    """Bootstrap labels for unlabelled reports with the rule engine (the paper's S1.A loop).

    INPUT_PATH is a folder of .pdf/.txt reports, one file, or a .jsonl with {"id", "text"} per line.

    \b
    Writes OUTPUT (labelled-data JSONL, de-identified text inline, ready for `pathx fit`) and beside it:
      OUTPUT.coverage.txt  which fields found no value, grouped by cause (Coverage Loop)
      OUTPUT.audit.csv     a random sample of specimens with evidence, to check by hand (Accuracy Loop)
    """
    from pathx.rules.bootstrap import coverage_text, label_folder
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.rules.engine import RuleEngine

    options = _config(IngestOptions, ocr=ocr)
    try:
        engine = RuleEngine.load()
    except PathxError as err:
        _fail(err)
    from pathx.ingestion.pipeline import reports_folder

    input_errors: list[tuple[str, str]] = []
    try:
        with reports_folder(input_path, output.parent, input_errors) as folder:
            for _key, message in input_errors:
                click.echo(f"pathx label: skipped {message}", err=True)
            report = label_folder(folder, output, engine, options, audit_n=audit_n, seed=seed)
    except PathxError as err:
        _fail(err)
    click.echo(coverage_text(report), nl=False)
    click.echo(f"wrote {report.units} labelled specimen(s) to {output}")
    sys.exit(3 if report.file_errors else 0)


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


@main.command(epilog=_recipes_help())
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
@click.option("--adapter", type=click.Choice(["lora", "ia3", "prefix", "frozen"]), default=None,
              help="PEFT arm: LoRA r=16 a=16 on q/k/v/o; (IA)3; prefix tuning (32 tokens); frozen (heads only).")
@click.option("--tasks", default=None, help="Comma-separated subset (single-task runs); default: all seven fields.")
@click.option("--pooling", type=click.Choice(["auto", "last", "mean", "cls", "task"]), default=None,
              help="Vector the heads read: auto = last token (decoders) / mean (encoders), as in the paper; "
                   "task = each head reads the end of its own hint line (one forward pass, seven vectors).")
@click.option("--val", "val_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Validation set; default: a stratified 80/10/10 split of TRAIN_FILE (seed 42).")
@click.option("--test", "test_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--epochs", type=int, default=None)
@click.option("--max-steps", type=int, default=None, help="Cap on optimizer steps (the schedule follows the cap).")
@click.option("--lr", type=float, default=None)
@click.option("--micro-batch", type=int, default=None)
@click.option("--grad-accum", type=int, default=None)
@click.option("--max-length", type=int, default=None, help="Tokens per input.")
@click.option("--quant", type=click.Choice(["none", "nf4"]), default=None,
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
@click.option("--device", default=None, help="auto (default), cpu, cuda, cuda:1 ...")
@click.pass_context
def fit(ctx, train_file, output, recipe, sets, val_file, test_file, resume, **flags):
    """Train a multi-task classifier (LLM encoder + adapter + one head per field) on labelled JSONL.

    \b
    TRAIN_FILE is the labelled-data format (see `pathx label`, or `pathx demo`'s gold.jsonl).
    What is trained comes from a recipe (below), adjusted by --set KEY=VALUE and the options.
    Writes OUTPUT/: config.json, adapter_heads.safetensors (best weights), split.json,
    metrics.json (accuracy, macro-F1, AUROC, confusion matrices, time, peak memory),
    pipeline.json (slicing, rule set, review thresholds). Checkpoints every N steps;
    a killed fit continues with --resume. Then: pathx bundle export OUTPUT -o bundles/NAME-1.0.0.safetensors
    """
    from click.core import ParameterSource

    from pathx.training.recipes import RecipeError, plan_fit
    from pathx.training.labeled import fit_labeled

    option = {p.name: p.opts[0] for p in ctx.command.params}
    given = {FIT_FLAG_KEYS[name]: (option[name], value) for name, value in flags.items()
             if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    try:
        plan = plan_fit(recipe, sets, given)
    except RecipeError as err:
        raise click.BadParameter(err.message, param_hint=f"'{err.source}'") from None
    try:
        from pathx.rules.engine import RuleEngine

        engine = RuleEngine.load() if plan.hints else None
        result = fit_labeled(train_file, output, base=plan.base, config=plan.config, options=plan.options,
                             engine=engine, val_path=val_file, test_path=test_file, resume=resume)
    except PathxError as err:
        _fail(err)
    from pathx.training.metrics import EvalResult, print_metrics

    shown = result.metrics.get("test") or result.metrics.get("val")
    if shown:
        print_metrics(EvalResult.from_dict(shown), title=f"{output} ({'test' if result.metrics.get('test') else 'val'})")
    click.echo(f"fit written to {output} (recipe {plan.recipe}, step {result.global_step}, "
               f"best val loss {result.best_val_loss})")


@main.command("eval")
@click.argument("model_path", type=click.Path(path_type=Path))
@click.argument("data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--base", default=None, help="Base model path when the bundle's base is not a shipped one.")
@click.option("--device", default="auto", show_default=True)
@click.option("--confusion", is_flag=True, help="Also print confusion matrices.")
@click.option("--json", "as_json", is_flag=True, help="Print metrics as JSON.")
@click.option("--null-is-not-reported", is_flag=True, help="Score null gold labels as 'not reported'.")
def eval_cmd(model_path, data_file, base, device, confusion, as_json, null_is_not_reported):
    """Accuracy, macro-F1, AUROC and confusion per field of a bundle (or fit folder) on labelled JSONL.

    \b
    MODEL_PATH is a bundle file, a fit folder, or `rules` / `naive` to score the rule engines on
    the same data (e.g. before deciding whether a new bundle should replace them):
      pathx eval bundles/NAME-1.0.0.safetensors held_out.jsonl
      pathx eval rules held_out.jsonl
    """
    from pathx.training.evaluation import RULE_ENGINES, evaluate_labeled, evaluate_rules_labeled

    try:
        if str(model_path) in RULE_ENGINES:  # the names win over a folder called so (the repo has rules/)
            result = evaluate_rules_labeled(str(model_path), data_file, null_is_not_reported=null_is_not_reported)
        elif not model_path.exists():
            raise PathxError(f"{model_path}: no such bundle or fit folder (or use rules / naive)")
        else:
            result = evaluate_labeled(model_path, data_file, base=base, device=device,
                                      null_is_not_reported=null_is_not_reported)
    except PathxError as err:
        _fail(err)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1))
    else:
        from pathx.training.metrics import print_metrics

        print_metrics(result, title=f"{model_path.name} on {data_file.name}", confusion=confusion)


@main.group()
def bundle() -> None:
    """Model bundles: one versioned .safetensors file (adapters + heads + metadata + rule set)."""


@bundle.command("export")
@click.argument("fit_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Bundle file, e.g. bundles/NAME-1.0.0.safetensors.")
@click.option("--name", default=None, help="Bundle name (default: the fit folder's name).")
@click.option("--version", "version", default="1.0.0", show_default=True, help="Semantic version.")
@click.option("--merge", is_flag=True, help="Also write NAME.merged.safetensors with LoRA folded into the base weights.")
def bundle_export(fit_dir: Path, output: Path, name: str | None, version: str, merge: bool) -> None:
    """Write a bundle from a `pathx fit` output folder."""
    from pathx.bundle.core import export

    try:
        path = export(fit_dir, output, name=name, version=version, merge=merge)
    except PathxError as err:
        _fail(err)
    click.echo(f"wrote {path}" + (" (and a merged copy)" if merge else ""))


@bundle.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="All metadata as JSON (rule files included).")
def bundle_inspect(path: Path, as_json: bool) -> None:
    """Show a bundle's metadata: version, base model, tasks, adapter, slicing, metrics."""
    from pathx.bundle.core import read_metadata

    try:
        info = read_metadata(path)
    except PathxError as err:
        _fail(err)
    if as_json:
        click.echo(json.dumps(info, indent=1, sort_keys=True))
        return
    from rich.console import Console
    from rich.table import Table

    m = info["model"]
    test = info.get("metrics", {}).get("test") or info.get("metrics", {}).get("val") or {}
    table = Table(title=f"{path.name}", show_header=False)
    rows = [
        ("name / version", f"{info['name']} {info['version']}"),
        ("created", info.get("created_at", "")),
        ("base model", f"{m['base']['name']} ({m['base']['family']}, sha256 {m['base']['sha256'][:16]}...)"),
        ("adapter", json.dumps(m["adapter"])),
        ("pooling / padding", f"{m['pooling']} / {m['padding_side']}, max length {m['max_length']}"),
        ("rule prior", "yes (logits + a table indexed by the rule value)" if m.get("rule_prior") else "no"),
        ("quantisation", str(m.get("quant") or "none")),
        ("tasks", ", ".join(info["tasks"])),
        ("slicing", json.dumps(info["slicing"])),
        ("rule set", (info.get("ruleset") or {}).get("version", "none")),
        ("review thresholds", ", ".join(f"{t} {v:.3f}" for t, v in info.get("thresholds", {}).items())),
        ("mean macro-F1", f"{test.get('mean_macro_f1'):.3f} on {test.get('n')} examples" if test.get("mean_macro_f1") is not None else "-"),
        ("training data sha256", ((info.get("data") or {}).get("sha256") or "")[:16]),
        ("content sha256", (info.get("content_sha256") or "")[:16]),
        ("merged", "yes" if info.get("merged") else "no"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    Console().print(table)


@bundle.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--base", default=None, help="Also check this base model's weights hash against the bundle's.")
def bundle_verify(path: Path, base: str | None) -> None:
    """Check a bundle's integrity (content hash) and, with --base or a shipped base, its base model."""
    from pathx.bundle.core import verify

    try:
        res = verify(path, base=base)
    except PathxError as err:
        _fail(err)
    click.echo(f"ok: {res.name} {res.version}, content sha256 {res.content_sha256[:16]}..., "
               f"base {'checked' if res.base_checked else 'not checked (pass --base)'}")


@bundle.command("list")
def bundle_list() -> None:
    """Bundles shipped with pathx (bundles/ in a checkout) and in the user data directory."""
    from pathx.bundle.core import read_metadata
    from pathx.bundle.files import bundle_dirs, default_bundle, list_bundles

    default = default_bundle()
    found = list_bundles()
    if not found:
        click.echo("no bundles in " + ", ".join(str(d) for d in bundle_dirs()))
    for p in found:
        try:
            info = read_metadata(p)
            f1 = (info.get("metrics", {}).get("test") or {}).get("mean_macro_f1")
            desc = f"{info['name']} {info['version']}  base {info['model']['base']['name']}" + (
                f"  macro-F1 {f1:.3f}" if f1 is not None else "")
        except PathxError as err:
            desc = f"unreadable: {err}"
        click.echo(f"{'*' if default and p.resolve() == default.resolve() else ' '} {p}  {desc}")


@main.group()
def audit() -> None:
    """Read the per-run audit logs (JSONL; no report text, no PHI)."""


@audit.command("show")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--run-id", default=None, help="Which run in PATH; default: the newest.")
def audit_show(path: Path | None, run_id: str | None) -> None:
    """Summarise a run: files, statuses, extraction paths, errors, timings.

    PATH is an audit file or folder; default: the newest run in the user log directory.
    """
    from pathx.run.audit import audit_summary

    try:
        click.echo(audit_summary(path, run_id).render())
    except (PathxError, OSError, ValueError) as err:
        _fail(err)


if __name__ == "__main__":
    main()
