"""Exceptions whose message is safe to show: one line, names the file, never report text."""


class PathxError(Exception):
    """Base class; `str(err)` is a one-line message meant for the user."""


class ReportError(PathxError):
    """A report file cannot be processed (unreadable, encrypted, too large, no text, ...)."""


class RuleFileError(PathxError):
    """A rule file under rules/ is malformed; the message names the file and the rule."""


class DataError(PathxError):
    """A labelled-data file has bad lines; the message lists them by number."""


class EnvironmentFault(PathxError):
    """The machine, not the report, is at fault: a missing OCR engine, rule files or model, a
    permission, a full disk. Never recorded against a file's content hash, so the file is tried
    again on the next run once the cause is fixed (docs/cron.md, "Fault kinds")."""


class EnvironmentReportError(ReportError, EnvironmentFault):
    """A report could not be processed because of the environment (e.g. it needs OCR and no OCR
    engine is installed); retried on the next run."""
