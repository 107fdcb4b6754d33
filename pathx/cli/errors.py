"""The one error wrapper of the `pathx` command line, and its exit codes.

Every command is decorated with `command_errors`: whatever goes wrong becomes ONE line on stderr,
`pathx: error: ...` (file names escaped, names.safe_text; never report text, never a traceback),
and one of the documented exit codes in EXIT_CODES (shown by `pathx --help` and the README):

  ConfigError (a bad option value)        -> click's usage error naming the option, exit 2
  CommandError(err, code)                 -> its code (a command's own mapping of a stage)
  RuleFileError, EnvironmentFault         -> 5 (the machine: rules, bundle, model, OCR, ...)
  PathxError (anything else pathx raises) -> the command's `pathx_error` code (default 1)
  OSError, MemoryError                    -> 5
  KeyboardInterrupt (Ctrl-C)              -> 4
  any other exception (a bug)             -> 70, naming the exception type only

click's own usage errors (exit 2) and sys.exit(code) pass through untouched.
"""
from __future__ import annotations

import functools
import sys
from typing import Callable

import click

from pathx.run.faults import (EXIT_ENVIRONMENT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LEDGER, EXIT_LOCKED, EXIT_OK,
                              EXIT_USAGE)

EXIT_INPUT = 1  # the command refused its input (a bundle, fit folder, labelled file or audit log)
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in pathx; the message names the exception type only

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INPUT: "the input was refused: a bundle, fit folder, labelled data, audit log, run output or review "
                "sheet that is missing, invalid or fails its check (bundle verify/inspect/export, eval, fit, label, "
                "audit show, review, review-import)",
    EXIT_USAGE: "usage error: a bad option or argument (run: also an output suffix it cannot write, an "
                "existing output not written by pathx, a malformed JSONL input, --prune on another INPUT than "
                "the output was built from, a NAACCR patientIdNumber collision; review, review-import: a file "
                "holding a person's work that only --force replaces)",
    EXIT_FAILED: "some inputs failed: run wrote error rows; extract and label could not read some files; "
                 "review-import skipped invalid sheet lines",
    EXIT_INTERRUPTED: "interrupted (SIGINT/SIGTERM, Ctrl-C); rerun to continue",
    EXIT_ENVIRONMENT: "environment fault: rules, bundle, model, OCR engine, permissions, disk full, audit log "
                      "not writable (run: also an INPUT that holds no report file or cannot be listed, an "
                      "unmounted share); fix the machine and rerun",
    EXIT_LEDGER: "run: the ledger beside the output is damaged; rerun with --rebuild-ledger",
    EXIT_INTERNAL: "internal error (a bug in pathx); the message names the exception type only",
    EXIT_LOCKED: "run: another pathx run holds the output's lock (EX_TEMPFAIL); retry later",
}

# Options whose name is not the config field's (--slice sets slice_mode, and so on).
OPTION_OF_FIELD = {"slice_mode": "--slice", "k": "-k"}


class CommandError(Exception):
    """Raised by a command to end with `pathx: error: <err>` and a given exit code."""

    def __init__(self, err: Exception | str, code: int):
        super().__init__(str(err))
        self.code = code


def exit_codes_help(skip: tuple[int, ...] = (), width: int = 96) -> str:
    """The exit-code table for --help (a click paragraph kept as written, wrapped to `width`)."""
    import textwrap

    lines = []
    for code, text in EXIT_CODES.items():
        if code not in skip:
            lines += textwrap.wrap(text, width, initial_indent=f"  {code:>2}  ", subsequent_indent=" " * 6,
                                   break_on_hyphens=False)
    return "\b\nExit codes:\n" + "\n".join(lines)


def fail(message: str, code: int) -> None:
    """One line `pathx: error: ...` on stderr (whitespace collapsed, names escaped), then exit `code`."""
    from pathx.outputs.names import safe_text

    click.echo(f"pathx: error: {safe_text(' '.join(str(message).split()))}", err=True)
    sys.exit(code)


def command_errors(pathx_error: int = EXIT_INPUT, bug_hint: str = "") -> Callable:
    """Decorator of a command's callback: map every failure to one line and a documented exit code.

    `pathx_error` is the code of a PathxError that is neither an EnvironmentFault nor a RuleFileError
    (what the command's input refusal means); `bug_hint` is appended to the internal-error line.
    """

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
                raise
            except BaseException as err:  # noqa: BLE001 - each kind is mapped below; a bug is one line
                message, code = _mapped(err, pathx_error, bug_hint)
                fail(message, code)

        return wrapper

    return wrap


def _mapped(err: BaseException, pathx_error: int, bug_hint: str) -> tuple[str, int]:
    """(message, exit code) of a failure; ConfigError is raised again as click's usage error."""
    from pathx.configcheck import ConfigError
    from pathx.errors import EnvironmentFault, PathxError, RuleFileError

    if isinstance(err, ConfigError):
        option = OPTION_OF_FIELD.get(err.field, "--" + err.field.replace("_", "-"))
        raise click.BadParameter(err.message, param_hint=f"'{option}'") from None
    if isinstance(err, CommandError):
        return str(err), err.code
    if isinstance(err, (EnvironmentFault, RuleFileError)):
        return str(err), EXIT_ENVIRONMENT
    if isinstance(err, PathxError):
        return str(err), pathx_error
    if isinstance(err, MemoryError):
        return "out of memory", EXIT_ENVIRONMENT
    if isinstance(err, OSError):
        return f"{err.strerror or type(err).__name__}" + (f": {err.filename}" if err.filename else ""), EXIT_ENVIRONMENT
    if isinstance(err, KeyboardInterrupt):
        return "interrupted (Ctrl-C); rerun to continue", EXIT_INTERRUPTED
    if not isinstance(err, Exception):  # GeneratorExit and the like: not ours to swallow
        raise err
    # a bug: one line, the type only (a message could quote report text)
    return f"internal error ({type(err).__name__}); please report it{bug_hint}", EXIT_INTERNAL
