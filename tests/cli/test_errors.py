"""The one error wrapper of the CLI (pathx.cli.errors): every failure is one `pathx: error:` line and
an exit code from the documented table, which `pathx --help` shows."""
from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from pathx import cli
from pathx.cli.errors import EXIT_CODES, command_errors
from pathx.configcheck import ConfigError
from pathx.errors import EnvironmentFault, PathxError, RuleFileError


def _command(exc: BaseException, **kw) -> click.Command:
    @click.command()
    @command_errors(**kw)
    def boom() -> None:
        raise exc

    return boom


@pytest.mark.parametrize("exc, code, words", [
    (PathxError("m.safetensors: content hash mismatch"), 1, "content hash mismatch"),
    (EnvironmentFault("model cannot load"), 5, "model cannot load"),
    (RuleFileError("/rules/fields: no rule files"), 5, "no rule files"),
    (OSError(28, "No space left on device", "/out/x.csv"), 5, "No space left on device: /out/x.csv"),
    (MemoryError(), 5, "out of memory"),
    (KeyboardInterrupt(), 4, "interrupted"),
    (RuntimeError("patient John Smith, DOB ..."), 70, "internal error (RuntimeError)"),
    (PathxError("bad \udcfc\nname"), 1, "bad \\xfc name"),  # escaped, one line
])
def test_each_failure_is_one_line_and_a_documented_code(exc, code, words):
    result = CliRunner().invoke(_command(exc), [])
    assert result.exit_code == code and code in EXIT_CODES
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pathx: error: ") and words in lines[0], result.output
    assert "John Smith" not in result.output


def test_a_command_maps_its_own_pathx_errors_and_config_errors_are_usage_errors():
    assert CliRunner().invoke(_command(PathxError("x"), pathx_error=5), []).exit_code == 5
    result = CliRunner().invoke(_command(ConfigError("IngestOptions", "slice_mode", "must be one of window, full")), [])
    assert result.exit_code == 2 and "'--slice'" in result.output and "must be one of" in result.output


def test_every_command_goes_through_the_wrapper_and_help_lists_every_code():
    def leaves(group):
        for sub in group.commands.values():
            yield from leaves(sub) if isinstance(sub, click.Group) else [sub]

    for command in leaves(cli.main):
        assert hasattr(command.callback, "__wrapped__"), command.name  # functools.wraps of command_errors
    text = CliRunner().invoke(cli.main, ["--help"], terminal_width=200).output
    for code in EXIT_CODES:
        assert re.search(rf"^\s+{code}  \S", text, re.M), code
