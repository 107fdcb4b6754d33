"""Exceptions whose message is safe to show: one line, names the file, never report text."""


class PathxError(Exception):
    """Base class; `str(err)` is a one-line message meant for the user."""


class ReportError(PathxError):
    """A report file cannot be processed (unreadable, encrypted, too large, no text, ...)."""


class RuleFileError(PathxError):
    """A rule file under rules/ is malformed; the message names the file and the rule."""


class DataError(PathxError):
    """A labelled-data file has bad lines; the message lists them by number."""
