"""File names as safe, reversible text for the ledger, the output, the audit log and the console.

A Linux file name is bytes. Python decodes the bytes that are not UTF-8 (a Latin-1 `M\\xfcller.txt`
from an SMB share or a zip) to lone surrogates (`surrogateescape`), which SQLite, UTF-8 files and
some terminals refuse. `escape_name` turns a name into plain printable text, reversibly:

- a byte that is not UTF-8 (surrogate U+DC80..U+DCFF)     -> `\\xNN` (NN >= 80)
- an ASCII control character (newline, tab, ESC, DEL)      -> `\\xNN` (NN < 80, or 7f)
- any other non-printable character (C1 controls, ...)     -> `\\uNNNN`
- a backslash                                              -> `\\\\`

Everything else (letters in any script, spaces, punctuation) is kept as it is, so the name of a
normal file does not change. `unescape_name(escape_name(s)) == s` for every `s`, and
`os.fsencode(unescape_name(name))` gives back the file's bytes.
"""
from __future__ import annotations

import re
import unicodedata

_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4})")


def _needs_escape(c: str) -> bool:
    if c == "\\":
        return True
    if c.isascii():
        return not c.isprintable()
    return unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp")


def escape_name(name: str) -> str:
    """A file name (str from the OS, surrogates allowed) as printable, reversible text."""
    if name.isascii() and name.isprintable() and "\\" not in name:
        return name  # the common case
    out = []
    for c in name:
        if not _needs_escape(c):
            out.append(c)
        elif c == "\\":
            out.append("\\\\")
        elif 0xDC80 <= ord(c) <= 0xDCFF:
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(f"\\u{ord(c):04x}")
    return "".join(out)


def unescape_name(text: str) -> str:
    """The inverse of escape_name: the OS name (with surrogates for bytes that are not UTF-8)."""

    def back(m: re.Match) -> str:
        code = m.group(1)
        if code == "\\":
            return "\\"
        value = int(code[1:], 16)
        if code[0] == "x" and value >= 0x80:
            return chr(0xDC00 + value)
        return chr(value)

    return _ESCAPE.sub(back, text)


def safe_text(text: str) -> str:
    """A message that may hold raw file names: surrogates and control characters escaped.

    Unlike escape_name it keeps backslashes as they are (a message is not a key to reverse).
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if c == "\\" or not _needs_escape(c) else escape_name(c) for c in text)


# Spreadsheets run a cell that starts with one of these as a formula (=HYPERLINK(...), +cmd|...).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A CSV text cell that a spreadsheet will not run as a formula: a leading `'` is added.

    A value that already starts with `'` gets one too, so `csv_uncell` can always take one off.
    """
    return "'" + value if value.startswith(FORMULA_START + ("'",)) else value


def csv_uncell(value: str) -> str:
    """The inverse of csv_cell (reading an output back)."""
    return value[1:] if value.startswith("'") else value
