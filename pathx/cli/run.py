"""`pathx run`: the options of the cron-grade runner; the run itself is pathx.run.runner.run_folder."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from pathx.cli.errors import EXIT_INPUT, CommandError, command_errors, exit_codes_help
from pathx.cli.options import OCR_OPTION, RegistryChoice
from pathx.outputs.writer import UnknownSuffix, suffix_help, writer_for
from pathx.run.faults import EXIT_ENVIRONMENT, EXIT_USAGE


@click.command(epilog=exit_codes_help(skip=(EXIT_INPUT,), width=76))  # run's codes, from the one table
@click.argument("input_path", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help=f"Output file; its suffix picks the format: {suffix_help()}.")
@click.option("--engine", type=RegistryChoice("pathx.training.evaluation:RULE_ENGINES", before=("auto", "combined", "model")),
              default="auto", show_default=True,
              help="model = a trained bundle; rules = the rule engine; naive = the paper's regex baseline; "
                   "combined = two readers, the rules and a reader bundle (evidence input), decided per field by "
                   "the policy the bundle carries (--bundle, or bundles/DEFAULT); "
                   "auto = what bundles/DEFAULT names: a bundle (combined when it carries a policy), or `rules` (shipped: the rule engine, which "
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
                   "stay. Only after a complete run, never for a folder that could not be listed, and only when "
                   "INPUT_PATH is the input the output was built from (its ledger records the path and mount "
                   "point): another folder, or the same path with the share unmounted, is refused (exit 2). "
                   "A moved or renamed report takes over its old rows either way.")
@click.option("--input-moved", is_flag=True,
              help="The reports really moved to INPUT_PATH: record it as this output's input (with --prune, "
                   "prune against it).")
@click.option("--naaccr-ids", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="With a .naaccr.xml OUTPUT: a CSV `path,patient_id` giving files (the output's `file` values) "
                   "the registry's patientIdNumber (1-8 digits); files mapped to one number are one Patient. "
                   "Unmapped files get 8 digits derived from their path; a collision is refused (exit 2), never "
                   "renumbered.")
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
@command_errors(pathx_error=EXIT_ENVIRONMENT, bug_hint=" with `pathx audit show`")
def run(input_path, output, engine, bundle, base, device, ocr, reprocess, prune, input_moved, naaccr_ids, audit_path,
        batch_size, flush_seconds, file_timeout, rebuild_ledger, quiet):
    """Extract T/N/M, grade, ER, PR, HER2 from every report under INPUT_PATH into OUTPUT.

    INPUT_PATH is a folder (searched recursively for .pdf and .txt, symlinked folders followed,
    each folder once), one report file, or a .jsonl file with one report per line
    ({"id": ..., "text": ...}). INPUT_PATH that holds no report file or cannot be listed (an
    unmounted share) is an environment fault: exit 5, nothing read or removed.

    \b
    One row per (file, specimen). Incremental: files already in the ledger beside OUTPUT with the
    same content and bundle are skipped, changed files are replaced. Safe to kill and rerun.

    \b
    Columns: the seven fields, their confidences, needs_review, status, error, bundle, then
    review (fields a person should check, e.g. "t_stage;her2"; see `pathx review`),
    t_detail/n_detail/m_detail (category as written: ypT1c, pN1mi(sn), cM0(i+)), ihc_her2,
    ish_her2, er_percent, pr_percent, anatomic_stage and prognostic_stage (AJCC 8th ed.;
    empty when an input is missing). README "Output" has the full contract.
    """
    if quiet:  # cron mails whatever reaches stderr: dependencies' FutureWarnings must not
        import warnings

        warnings.simplefilter("ignore")
    try:
        writer_for(output)
    except UnknownSuffix as err:
        raise click.UsageError(str(err)) from None
    if file_timeout < 0:
        raise click.UsageError("--file-timeout must be 0 (no limit) or more")
    patient_ids = None
    if naaccr_ids is not None:
        if writer_for(output).name != "naaccr":
            raise click.UsageError("--naaccr-ids needs a .naaccr.xml output")
        from pathx.outputs.naaccr_writer import load_patient_ids

        try:
            patient_ids = load_patient_ids(naaccr_ids)
        except (ValueError, UnicodeDecodeError) as err:
            raise click.UsageError(f"--naaccr-ids {err}") from None
    predictor, options = _engine(engine, bundle, base, device, ocr, quiet)
    from pathx.errors import PathxError
    from pathx.ingestion.pipeline import reports_folder
    from pathx.run.runner import run_folder

    input_errors: list[tuple[str, str]] = []
    try:
        with reports_folder(input_path, output.parent, input_errors) as folder:
            summary = run_folder(folder, output, predictor, options=options, reprocess=reprocess,
                                 audit_path=audit_path, progress="quiet" if quiet else "auto", batch_size=batch_size,
                                 flush_seconds=flush_seconds, rebuild_ledger=rebuild_ledger, file_timeout=file_timeout,
                                 input_errors=input_errors, prune=prune, input_moved=input_moved,
                                 input_identity=input_path, naaccr_ids=patient_ids)
    except PathxError as err:  # the input (a malformed JSONL of reports), not the machine
        raise CommandError(err, EXIT_USAGE) from None
    sys.exit(summary.exit_code)


def _engine(engine: str, bundle, base, device, ocr: str, quiet: bool):
    """(predictor, ingest options); a bundle or rule set that cannot be loaded is exit 5 (the wrapper)."""
    from pathx.bundle.files import default_marker
    from pathx.ingestion.pipeline import IngestOptions
    from pathx.predictors.factory import make_predictor

    rule_options = IngestOptions(ocr=ocr)  # checked before the bundle or any report is read
    # Lazy: a bundle's model loads on the first file that needs it, after the lock is taken
    # and the unchanged files are skipped (a rerun with nothing new never imports torch).
    predictor = make_predictor(engine, bundle=bundle, base=base, device=device, lazy=True)
    if engine == "auto" and not hasattr(predictor, "ingest_options") and not quiet and default_marker() is None:
        click.echo("pathx run: bundles/DEFAULT is absent; using the rule engine", err=True)
    problem = getattr(predictor, "policy_problem", None)
    if problem:  # every field is flagged for review: say why once (a changed or custom rules folder)
        click.echo(f"pathx run: {problem}", err=True)
    # A bundle slices reports the way it was trained; rule engines use the defaults.
    options = predictor.ingest_options(ocr=ocr) if hasattr(predictor, "ingest_options") else rule_options
    return predictor, options
