"""Bad-input corpus builder: broken and hostile report files, generated in a test's tmp folder.

`build(folder)` writes every kind and returns {relative file: Expect}. Each Expect says what
`pathx run` must do with it: an error row whose message contains `cause`, an ok row, or a
skip with a logged reason. Kinds that cannot be made here (unreadable permissions when the
tests run as root) are listed in `not_built` with the reason.
"""
from __future__ import annotations

import os
import random
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from pathxgen.pdfwrite import write_scanned_pdf, write_text_pdf

# Planted in hostile files' bytes: it must never show up in an error message.
SECRET = "Patient Name: Rosalind Featherstonehaugh MRN 99120034"


@dataclass
class Expect:
    status: str  # error | ok | skip
    cause: str = ""  # substring of the error message (or skip reason)


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A minimal, valid PDF from object bodies (object i+1 = objects[i]) with a correct xref."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def bomb_pdf(path: Path, expanded_mb: int = 100) -> Path:
    """One page whose content stream is ~100 KB deflated and `expanded_mb` MB inflated."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(expanded_mb)) + comp.flush()
    stream = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
    path.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        stream,
    ]))
    return path


def many_streams_bomb_pdf(path: Path, streams: int = 150, expanded_mb: int = 30) -> Path:
    """One page drawing `streams` content streams of `expanded_mb` MB each, every one under the
    per-stream cap: 150 x 30 MB = 4.5 GB inflated from a ~4.6 MB file."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(expanded_mb)) + comp.flush()
    stream = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
    refs = " ".join(f"{4 + i} 0 R" for i in range(streams)).encode()
    path.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [" + refs + b"] >>",
        *([stream] * streams),
    ]))
    return path


def one_line_text(path: Path, report: str, size: int = 5_000_000) -> Path:
    """A report repeated on one line up to `size` characters (de-identification and hints are slow on it)."""
    line = " ".join(report.split("\n")) + " "
    path.write_text((line * (size // len(line) + 1))[:size], encoding="utf-8")
    return path


def many_pages_pdf(path: Path, pages: int = 1000) -> Path:
    """A 1,000-page PDF (all pages share one small content stream, so the file stays small)."""
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    content = b"BT /F1 9 Tf 40 700 Td (page) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(pages).encode() + b" >>",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages
    path.write_bytes(_raw_pdf(objs))
    return path


def no_pages_pdf(path: Path) -> Path:
    path.write_bytes(_raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]))
    return path


def encrypted_pdf(path: Path, text: str) -> Path:
    import pypdf

    plain = path.with_suffix(".plain")
    write_text_pdf(plain, text)
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="s3cret-pw", owner_password="owner-pw", algorithm="RC4-128")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def build(folder: Path, report: str) -> tuple[dict[str, Expect], dict[str, str]]:
    """Write the corpus into `folder`; `report` is a good report text reused inside broken files.

    Returns (expected outcome per relative path, kinds not built here with the reason).
    Run it with OCR off (the image-only kind depends on it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    expect: dict[str, Expect] = {}
    not_built: dict[str, str] = {}

    # Good files around the bad ones, so the run shows it carries on.
    (folder / "aa_good.txt").write_text(report, encoding="utf-8")
    write_text_pdf(folder / "aa_good.pdf", report)
    expect["aa_good.txt"] = Expect("ok")
    expect["aa_good.pdf"] = Expect("ok")

    # 1 truncated PDF: a real report PDF cut in half.
    full = write_text_pdf(folder / "truncated.pdf", report).read_bytes()
    (folder / "truncated.pdf").write_bytes(full[: len(full) // 2])
    expect["truncated.pdf"] = Expect("error", "truncated")
    # 2 encrypted with a user password.
    encrypted_pdf(folder / "encrypted.pdf", report)
    expect["encrypted.pdf"] = Expect("error", "password")
    # 3 zero-byte PDF.
    (folder / "zero.pdf").write_bytes(b"")
    expect["zero.pdf"] = Expect("error", "empty")
    # 4 binary junk named .pdf, with report text buried in it.
    (folder / "junk.pdf").write_bytes(rng.randbytes(4000) + SECRET.encode() + rng.randbytes(4000))
    expect["junk.pdf"] = Expect("error", "not a PDF")
    # 5 an HTML page saved with a .pdf name.
    (folder / "saved_page.pdf").write_text(f"<html><body><pre>{SECRET}\n{report}</pre></body></html>")
    expect["saved_page.pdf"] = Expect("error", "not a PDF")
    # 6 decompression bomb: 100 KB that inflates to 100 MB.
    bomb_pdf(folder / "bomb.pdf")
    expect["bomb.pdf"] = Expect("error", "decompression bomb")
    # 6b the same bomb split into 150 streams of 30 MB, each under the per-stream cap.
    many_streams_bomb_pdf(folder / "bomb_streams.pdf")
    expect["bomb_streams.pdf"] = Expect("error", "in total")
    # 7 1,000-page PDF (over the 200-page limit).
    many_pages_pdf(folder / "thousand_pages.pdf")
    expect["thousand_pages.pdf"] = Expect("error", "1000 pages")
    # 8 a PDF with no pages.
    no_pages_pdf(folder / "no_pages.pdf")
    expect["no_pages.pdf"] = Expect("error", "no pages")
    # 9 image-only (scanned) PDF while OCR is off.
    write_scanned_pdf(folder / "scanned.pdf", "FINAL DIAGNOSIS:\nInvasive ductal carcinoma.\nER: Positive")
    expect["scanned.pdf"] = Expect("error", "OCR is off")
    # 10 non-UTF-8 text (Windows-1252): read with a logged warning, not an error.
    (folder / "windows1252.txt").write_bytes(report.replace("Invasive", "Invasive \u00e9").encode("cp1252"))
    expect["windows1252.txt"] = Expect("ok")
    # 11 binary data (NUL bytes) named .txt.
    (folder / "nul_bytes.txt").write_bytes(SECRET.encode() + b"\x00\x01\x02" * 500)
    expect["nul_bytes.txt"] = Expect("error", "binary")
    # 12 empty text file, 13 whitespace-only text file.
    (folder / "empty.txt").write_bytes(b"")
    expect["empty.txt"] = Expect("error", "empty")
    (folder / "whitespace.txt").write_text(" \n\t\n   \r\n\n")
    expect["whitespace.txt"] = Expect("error", "whitespace")
    # 14 huge text file (over read.py's 20 MB cap for .txt).
    with (folder / "huge.txt").open("wb") as fh:
        line = (SECRET + " lorem ipsum\n").encode()
        fh.write(line * (21_000_000 // len(line) + 1))
    expect["huge.txt"] = Expect("error", "too large")
    # 15 symlink loop (two links pointing at each other), 16 dangling symlink.
    os.symlink("loop_b.pdf", folder / "loop_a.pdf")
    os.symlink("loop_a.pdf", folder / "loop_b.pdf")
    expect["loop_a.pdf"] = Expect("error", "symlink loop")
    expect["loop_b.pdf"] = Expect("error", "symlink loop")
    os.symlink("does_not_exist.pdf", folder / "dangling.pdf")
    expect["dangling.pdf"] = Expect("error", "disappeared")
    # 17 a FIFO named like a report: opening it would block the run forever.
    os.mkfifo(folder / "fifo.txt")
    expect["fifo.txt"] = Expect("error", "not a regular file")
    # 18 a directory named like a report.
    (folder / "folder.pdf").mkdir()
    expect["folder.pdf"] = Expect("skip", "directory")
    # 19 unreadable permissions: root reads anything, so only built for a normal user.
    if os.geteuid() == 0:
        not_built["unreadable.txt"] = "tests run as root, which bypasses file permissions (fifo.txt covers a file that cannot be read)"
    else:
        p = folder / "unreadable.txt"
        p.write_text(report)
        p.chmod(0)
        expect["unreadable.txt"] = Expect("error", "permission denied")
    # 20 a file removed mid-run: the test's predictor deletes it while an earlier batch runs.
    (folder / "zz_vanishes.txt").write_text(report)
    expect["zz_vanishes.txt"] = Expect("error", "disappeared")

    # File names: processed like any report, the name escaped reversibly (pathx.outputs.names) in the
    # output, ledger, audit log and console.
    raw = os.fsencode(folder)
    # 21 a Latin-1 name that is not UTF-8 (from an SMB share or a zip), 22 such a folder.
    with open(os.path.join(raw, b"M\xfcller.txt"), "wb") as fh:
        fh.write(report.encode())
    expect["M\\xfcller.txt"] = Expect("ok")
    os.mkdir(os.path.join(raw, b"d\xe9p\xf4t"))
    with open(os.path.join(raw, b"d\xe9p\xf4t", b"r.txt"), "wb") as fh:
        fh.write(report.encode())
    expect["d\\xe9p\\xf4t/r.txt"] = Expect("ok")
    # 23 newline and a terminal escape in a name (would forge console lines, recolour the terminal).
    (folder / "evil\n\x1b[31mred.txt").write_text(report)
    expect["evil\\x0a\\x1b[31mred.txt"] = Expect("ok")
    # 24 a spreadsheet formula as a name (CSV injection): the cell is neutralised, read back as is.
    (folder / "=HYPERLINK(1+1).txt").write_text(report)
    expect["=HYPERLINK(1+1).txt"] = Expect("ok")
    # 24b a 5 MB one-line text (a dump with its newlines lost): reading it is slow, past the
    # per-file budget the test sets (--file-timeout); an error row, the run goes on.
    one_line_text(folder / "one_line_5mb.txt", report)
    expect["one_line_5mb.txt"] = Expect("error", "per-file budget")
    # 27 text that is not a pathology report: no stage may come out of it.
    (folder / "hello.txt").write_text("hello\n")
    expect["hello.txt"] = Expect("error", "not a breast pathology report")
    (folder / "shadow.txt").write_text("root:$6$Qx9v$0mS0nAQ1bYw2:19700:0:99999:7:::\n"
                                       "daemon:*:19700:0:99999:7:::\nnobody:*:19700:0:99999:7:::\n")
    expect["shadow.txt"] = Expect("error", "not a breast pathology report")
    (folder / "minutes.txt").write_text("Minutes of the staff meeting. The T1 line to the annex is down; "
                                        "the N2 printer needs toner. Next meeting on Monday.\n")
    expect["minutes.txt"] = Expect("error", "not a breast pathology report")
    # 28 a report PDF saved with a .txt name (the bytes of a PDF, not its text).
    write_text_pdf(folder / "pdf_bytes.txt", report)
    expect["pdf_bytes.txt"] = Expect("error", "a PDF saved with a .txt name")
    # 29 a dump of 200 reports (200 patients) in one .txt: flagged, not merged into one report's rows.
    dump = [re.sub(r"(?m)^(DOB:\s*).*$", f"\\g<1>01/{k % 28 + 1:02d}/19{k % 60 + 30}", report) for k in range(200)]
    (folder / "dump_200.txt").write_text("\n\n".join(dump), encoding="utf-8")
    expect["dump_200.txt"] = Expect("error", "holds at least 200 reports")
    # 29b the same report pasted 4 times (no patient field differs): its repeated title lines.
    (folder / "pasted_4x.txt").write_text("\n\n".join([report] * 4), encoding="utf-8")
    expect["pasted_4x.txt"] = Expect("error", "holds at least 4 reports")
    # 25 a hidden folder (like `.hidden.txt`, not read: no row).
    (folder / ".hiddendir").mkdir()
    (folder / ".hiddendir" / "x.txt").write_text(report)
    # 26 a sub-folder that cannot be listed: an error row for the folder, not silence.
    if os.geteuid() == 0:
        not_built["locked/"] = ("tests run as root, which lists any folder (test_run.py simulates it: "
                                "test_unlistable_folder_gets_an_error_row)")
    else:
        (folder / "locked").mkdir()
        (folder / "locked" / "r.txt").write_text(report)
        (folder / "locked").chmod(0)
        expect["locked/"] = Expect("error", "cannot list this folder")
    return expect, not_built


def build_jsonl(path: Path, report: str) -> dict[str, Expect]:
    """A JSONL of reports ({"id", "text"} per line) with hostile ids; {output file key: Expect}.

    Every record gets a row: good ones `<id>.txt`, rejected ones `<id> (line N)` with an error.
    """
    import json

    records = [
        ("a1", report, "a1.txt", Expect("ok")),
        ("a1", report.replace("Positive", "Negative"), "a1 (line 2)", Expect("error", "duplicate id")),
        (".hidden", report, ".hidden (line 3)", Expect("error", "starts with '.'")),
        ("../../etc/passwd", report, "../../etc/passwd (line 4)", Expect("error", "looks like a path")),
        ("a/b", report, "a/b (line 5)", Expect("error", "looks like a path")),
        ("a b", report, "a_b.txt", Expect("ok")),
        ("a_b", report, "a_b (line 7)", Expect("error", "duplicate id")),  # the same file name as line 6
        (17, report, "17.txt", Expect("ok")),
        ("", report, " (line 9)", Expect("error", "empty id")),
        ("t", ["not", "text"], "t (line 10)", Expect("error", "'text' must be a string")),
    ]
    with path.open("w", encoding="utf-8") as fh:
        for rid, text, _, _ in records:
            fh.write(json.dumps({"id": rid, "text": text}) + "\n")
    return {key: exp for _, _, key, exp in records}

