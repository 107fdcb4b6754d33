"""pathx command line: the root group. Each command group lives in its own module (run, extract, demo,
label, fit, evaluate, bundle, audit, review) and only parses options and calls the library; failures go
through the one wrapper in cli.errors (one line, a documented exit code). See `pathx COMMAND --help`."""
from __future__ import annotations

import click

import pathx
from pathx.cli.audit import audit
from pathx.cli.bundle import bundle
from pathx.cli.demo import demo
from pathx.cli.errors import exit_codes_help
from pathx.cli.evaluate import eval_cmd
from pathx.cli.extract import extract
from pathx.cli.fit import fit
from pathx.cli.label import label
from pathx.cli.review import review, review_import
from pathx.cli.run import run


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=exit_codes_help())
@click.version_option(pathx.__version__, prog_name="pathx")
def main() -> None:
    """pathx: breast pathology reports (PDF, scanned PDF, text) -> T/N/M stage, grade, ER, PR, HER2.

    \b
    Typical use:
      pathx demo samples/                  write synthetic sample reports (with gold labels)
      pathx run samples/ -o out.jsonl      one row per tumour specimen (CSV or .jsonl)
      pathx review out.jsonl               review page + sheet of the fields to check
      pathx review-import out.review.csv --input samples/ --from out.jsonl -o corrections.jsonl
      pathx extract samples/ -o texts.jsonl    see what the model sees: de-identified text, slice, prompt
      pathx label reports/ -o labeled.jsonl    bootstrap labels with the rule engine
      pathx fit labeled.jsonl -o runs/mymodel  train a multi-task LoRA model
      pathx bundle export runs/mymodel -o bundles/mymodel-1.0.0.safetensors

    Everything runs offline; no report text or PHI is ever written to logs. Every failure is one
    `pathx: error:` line on stderr and one of the exit codes below.
    """


for command in (run, review, review_import, extract, demo, label, fit, eval_cmd, bundle, audit):
    main.add_command(command)


if __name__ == "__main__":
    main()
