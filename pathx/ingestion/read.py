"""Read stage: a report file (.pdf or .txt) -> its text, and which path produced it.

PDF pages keep their text layer (pypdf) when it is usable. A page whose layer is empty
(scanned, faxed, flattened to outlines), only a stamp over a page image, or garbage
(a font without a Unicode map extracts as control characters or non-words) is rendered
with pypdfium2 and sent to OCR (pathx/ingestion/ocr.py).

Every bad input raises `ReportError` with one line naming the file and the cause. Messages
never quote file content: it is undeidentified report text (PHI).
"""
from __future__ import annotations

import errno
import io
import logging
import math
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pathx.ingestion import ocr as ocr_engines
from pathx.errors import EnvironmentReportError, ReportError

SUFFIXES = (".pdf", ".txt")

# Size caps: no real pathology report comes near them; anything above is a wrong file.
MAX_TXT_BYTES = 20_000_000
MAX_PDF_BYTES = 500_000_000
# Decompression cap per PDF stream (pypdf's default is 75 MB). A report page's content
# stream is kilobytes; more than this is a decompression bomb.
MAX_STREAM_BYTES = 32_000_000
# Decompression cap for all streams of one PDF together: a bomb split into many streams under
# the per-stream cap (150 x 30 MB in a 4.6 MB file) is stopped here. Each stream is counted
# once, however many pages share it, and its decoded bytes are freed after the check, so memory
# stays at about one stream.
MAX_PDF_DECODED_BYTES = 512_000_000
# Declared size caps for what pdfium would have to allocate when rendering for OCR.
MAX_IMAGE_PIXELS = 150_000_000  # one embedded image (a 600-dpi A3 page is ~70 Mpx)
MAX_RENDER_PIXELS = 40_000_000  # rendered page; larger pages are rendered at lower dpi

OCR_DPI = 200  # measured (bench/ingest.py): same or lower CER than 300 dpi, ~1.5x faster

# Text-layer quality thresholds (see text_layer_problem).
MIN_TEXT_CHARS = 20  # fewer non-space characters: no usable layer
STAMP_CHARS = 100  # a page image with less text than this is a scan with a stamp/header
MAX_BAD_CHAR_SHARE = 0.02  # control / private-use / replacement characters
MAX_SYMBOL_SHARE = 0.10  # symbol characters (Unicode So), e.g. the boxes of unmapped glyphs
MIN_VOWEL_SHARE = 0.2  # of ASCII letters; English report text measures 0.3-0.4
MIN_LETTERS_FOR_STATS = 40
MIN_WORDLIKE_SHARE = 0.5  # share of alphabetic tokens that look like words
MIN_TOKENS_FOR_WORD_TEST = 8


@dataclass
class ReadResult:
    text: str
    pages: int
    method: str  # text | pdf-text | ocr:tesseract | ocr:easyocr | mixed
    page_methods: list[str] = field(default_factory=list)  # per page: pdf-text | ocr:<engine> | skipped
    warnings: list[str] = field(default_factory=list)  # one line each, no report text


def read_report(path: str | Path, ocr: str = "auto", max_pages: int = 200) -> ReadResult:
    """Read one report file; raise ReportError (one line, names the file) on bad input."""
    if ocr not in ocr_engines.OCR_CHOICES:
        raise ValueError(f"ocr must be one of {', '.join(ocr_engines.OCR_CHOICES)}, not {ocr!r}")
    path = Path(path)
    data = _load_bytes(path)
    if path.suffix.lower() == ".txt":
        return _read_txt(path, data)
    return _read_pdf(path, data, ocr, max_pages)


def _fail(path: Path, cause: str, environment: bool = False) -> ReportError:
    """The error for a bad file; environment=True when the machine, not the file, is at fault."""
    return (EnvironmentReportError if environment else ReportError)(f"{path}: {cause}")


# ----------------------------------------------------------------------------- files


def _load_bytes(path: Path) -> bytes:
    """All checks that need no parsing, then the bytes (read once: no check/use race)."""
    try:
        st = os.stat(path)  # follows symlinks; a loop fails with ELOOP
    except FileNotFoundError:
        raise _fail(path, "file not found (or a broken symlink)") from None
    except PermissionError:
        raise _fail(path, "permission denied (cannot reach the file)", environment=True) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _fail(path, "symlink loop (too many levels of symbolic links)") from None
        raise _fail(path, f"cannot access the file ({err.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(path, "is a directory, not a report file")
    if not stat.S_ISREG(st.st_mode):
        # Opening a FIFO would block the run forever.
        raise _fail(path, "not a regular file (device, pipe or socket)")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _fail(path, f"unsupported file type {suffix or '(no suffix)'!r}; pathx reads .pdf and .txt")
    if st.st_size == 0:
        raise _fail(path, "empty file (0 bytes)")
    cap = MAX_TXT_BYTES if suffix == ".txt" else MAX_PDF_BYTES
    if st.st_size > cap:
        raise _fail(path, f"file too large ({st.st_size / 1e6:.0f} MB; limit {cap / 1e6:.0f} MB)")
    try:
        with open(path, "rb") as fh:
            return fh.read(cap + 1)
    except PermissionError:
        raise _fail(path, "permission denied (file is not readable)", environment=True) from None
    except OSError as err:
        raise _fail(path, f"cannot read the file ({err.strerror})") from None


# ----------------------------------------------------------------------------- text files


def _read_txt(path: Path, data: bytes) -> ReadResult:
    warnings: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows "Unicode" text: UTF-16 with a byte-order mark.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(path, "damaged UTF-16 text file") from None
    elif data.lstrip()[:5] == b"%PDF-":
        raise _fail(path, "a PDF saved with a .txt name (rename it to .pdf)")
    elif b"\x00" in data:
        raise _fail(path, "binary data, not a text file (NUL bytes)")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Windows-1252 is what Windows tools write; latin-1 decodes any byte left.
            try:
                text = data.decode("cp1252")
                warnings.append(f"{path.name}: not UTF-8; decoded as Windows-1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
                warnings.append(f"{path.name}: not UTF-8; decoded as Latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _control_share(text) > MAX_BAD_CHAR_SHARE:
        raise _fail(path, "binary data, not a text file (control characters)")
    text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")
    if not text.strip():
        raise _fail(path, "no text (the file holds only whitespace)")
    return ReadResult(text=text, pages=1, method="text", page_methods=["text"], warnings=warnings)


# The same test for ASCII text (most reports), done by the regex engine instead of per character:
# ASCII controls that str.isspace() does not count as blanks.
_ASCII_BAD = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_ASCII_BLANK = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f ]")


def _control_share(text: str) -> float:
    if text.isascii():
        chars = len(text) - len(_ASCII_BLANK.findall(text))
        return len(_ASCII_BAD.findall(text)) / chars if chars else 0.0
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if _is_bad_char(c)) / len(chars)


def _is_bad_char(c: str) -> bool:
    # Cc control, Co private use, Cn unassigned, Cs surrogate, U+FFFD replacement. Not Cf:
    # soft hyphens and zero-width spaces are normal in PDF text.
    return c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs")


# ----------------------------------------------------------------------------- text-layer quality

_ALPHA_TOKEN = re.compile(r"[^\W\d_]{3,}")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")
_CONSONANT_RUN = re.compile(r"[^aeiouyAEIOUY]{6,}")


def _looks_like_word(token: str) -> bool:
    """English-looking: ASCII letters, normal casing, a vowel, no 6-consonant run."""
    return (
        token.isascii()
        and (token.islower() or token.isupper() or token.istitle())
        and _VOWEL.search(token) is not None
        and _CONSONANT_RUN.search(token) is None
    )


def text_layer_problem(text: str) -> str | None:
    """None if a page's extracted text is usable, else "empty" or "garbled".

    A garbled layer (a font whose codes do not map to Unicode, a broken OCR layer) extracts
    as control or private-use characters, "(cid:N)" escapes, box symbols, or letter soup
    ("LQYDVLYH GXFWDO" for "invasive ductal": glyph ids read as character codes). Cheap
    measures, each far from where real report text lies:
    - share of control / private-use / replacement characters (real text: ~0);
    - share of symbol characters such as U+25A0 (real text: ~0; checkboxes stay well under);
    - share of vowels among ASCII letters (English reports, abbreviations and all: 0.3-0.4;
      shifted glyph codes: ~0.1);
    - share of alphabetic tokens that look like words (real text: > 0.8).
    """
    chars = [c for c in text if not c.isspace()]
    if len(chars) < MIN_TEXT_CHARS:
        return "empty"
    if "(cid:" in text:
        return "garbled"
    if sum(map(_is_bad_char, chars)) / len(chars) > MAX_BAD_CHAR_SHARE:
        return "garbled"
    if sum(unicodedata.category(c) == "So" for c in chars) / len(chars) > MAX_SYMBOL_SHARE:
        return "garbled"
    letters = [c for c in chars if c.isascii() and c.isalpha()]
    if len(letters) >= MIN_LETTERS_FOR_STATS:
        if sum(c in "aeiouAEIOU" for c in letters) / len(letters) < MIN_VOWEL_SHARE:
            return "garbled"
    elif sum(c.isalpha() for c in chars) < len(chars) / 4:
        # Hardly any letters at all: digits and punctuation only.
        return "garbled"
    tokens = _ALPHA_TOKEN.findall(text)
    if len(tokens) >= MIN_TOKENS_FOR_WORD_TEST:
        if sum(map(_looks_like_word, tokens)) / len(tokens) < MIN_WORDLIKE_SHARE:
            return "garbled"
    return None


# ----------------------------------------------------------------------------- PDFs


class _CountingHandler(logging.Handler):
    """Counts pypdf's repair messages instead of letting them reach stderr one by one."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _read_pdf(path: Path, data: bytes, ocr: str, max_pages: int) -> ReadResult:
    pypdf_log = logging.getLogger("pypdf")
    repairs = _CountingHandler()
    pypdf_log.addHandler(repairs)
    try:
        result = _read_pdf_pages(path, data, ocr, max_pages)
    finally:
        pypdf_log.removeHandler(repairs)
    if repairs.count:
        result.warnings.insert(0, f"{path.name}: damaged PDF structure; pypdf repaired it "
                                  f"({repairs.count} problem(s) logged)")
    return result


def _read_pdf_pages(path: Path, data: bytes, ocr: str, max_pages: int) -> ReadResult:
    import pypdf

    # The header may follow a little junk (spec: within the first 1024 bytes).
    if b"%PDF-" not in data[:1024]:
        raise _fail(path, "not a PDF (no %PDF header; wrong file type with a .pdf name?)")
    if b"%%EOF" not in data[-2048:]:
        raise _fail(path, "truncated PDF (no %%EOF end marker; the file was cut short)")

    limits = dict(
        zlib_maximum_output_length=MAX_STREAM_BYTES,
        lzw_maximum_output_length=MAX_STREAM_BYTES,
        run_length_maximum_output_length=MAX_STREAM_BYTES,
        jbig2_maximum_output_length=MAX_STREAM_BYTES,
        brotli_maximum_output_length=MAX_STREAM_BYTES,
        array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
        stream_decoding_work_maximum_length=MAX_STREAM_BYTES * 2,
    )
    warnings: list[str] = []
    with pypdf.apply_configuration(**limits):
        reader, n_pages, password = _open_pdf(path, data, max_pages, warnings)
        texts, page_methods = _pages_text(path, data, reader, n_pages, password, ocr, warnings)

    text = "\n".join(t for t in texts if t.strip())
    if not text.strip():
        if ocr == "off" and all(m == "skipped" for m in page_methods):
            raise _fail(path, "image-only PDF (no text layer) and OCR is off (--ocr off)")
        raise _fail(path, f"no text found on any of {n_pages} page(s), even by OCR")
    used = sorted({m for m in page_methods if m != "skipped"})
    method = used[0] if len(used) == 1 else "mixed"
    return ReadResult(text=text, pages=n_pages, method=method, page_methods=page_methods, warnings=warnings)


def _open_pdf(path: Path, data: bytes, max_pages: int, warnings: list[str]):
    """(reader, page count, password) of a PDF that opens within the limits; ReportError otherwise."""
    import pypdf
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PyPdfError

    password = None
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Permission-only encryption (empty user password) opens in every viewer.
            if not reader.decrypt(""):
                raise _fail(path, "password-protected PDF (encrypted with a user password)")
            password = ""
            warnings.append(f"{path.name}: encrypted PDF with an empty user password; read anyway")
        n_pages = len(reader.pages)
    except ReportError:
        raise
    except DependencyError:
        raise _fail(path, "encrypted PDF (AES) and the 'cryptography' package is not installed",
                    environment=True) from None
    except (FileNotDecryptedError, NotImplementedError):
        raise _fail(path, "encrypted PDF with an unsupported encryption method") from None
    except LimitReachedError:
        raise _fail(path, f"decompression bomb (a stream expands past {MAX_STREAM_BYTES // 1_000_000} MB)") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        # Class name only: pypdf messages can quote file bytes.
        raise _fail(path, f"damaged PDF (pypdf {type(err).__name__})") from None
    if n_pages == 0:
        raise _fail(path, "PDF has no pages")
    if n_pages > max_pages:
        raise _fail(path, f"PDF has {n_pages} pages, more than the limit of {max_pages}")
    return reader, n_pages, password


def _pages_text(path: Path, data: bytes, reader, n_pages: int, password, ocr: str,
                warnings: list[str]) -> tuple[list[str], list[str]]:
    """Each page's text: its text layer when usable, else OCR of the rendered page (or skipped)."""
    from pypdf.errors import LimitReachedError, PyPdfError

    texts: list[str] = []
    page_methods: list[str] = []
    renderer = _Renderer(path, data, password)
    engine = None
    decoded = _DecodeBudget()
    try:
        for index in range(n_pages):
            page = reader.pages[index]
            n = index + 1
            try:
                has_image = _decode_page_streams(path, page, n, decoded)
                text = _clean(page.extract_text())
                problem = text_layer_problem(text)
                if problem is None and has_image and _nonspace(text) < STAMP_CHARS:
                    problem = "scan"
            except LimitReachedError:
                raise _fail(path, f"decompression bomb on page {n} (a stream expands past "
                                  f"{MAX_STREAM_BYTES // 1_000_000} MB)") from None
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
                text, problem = "", "unreadable"
                warnings.append(f"{path.name}: page {n}: text layer unreadable (pypdf {type(err).__name__})")
            if problem is None:
                texts.append(text)
                page_methods.append("pdf-text")
                continue
            if problem == "garbled":
                warnings.append(f"{path.name}: page {n}: text layer is garbled (font without a Unicode map?); OCR used")
            if ocr == "off":
                page_methods.append("skipped")
                warnings.append(f"{path.name}: page {n}: no usable text layer and OCR is off; page skipped")
                continue
            if engine is None:
                try:
                    engine = ocr_engines.get_engine(ocr_engines.choose_engine(ocr))
                except ocr_engines.OcrUnavailable as err:
                    raise _fail(path, f"page {n} needs OCR but {err}", environment=True) from None
            image, dpi = renderer.render(index)
            if image.getextrema()[0] >= 250:
                # Nothing darker than near-white: a blank page, no need to OCR it.
                page_methods.append(f"ocr:{engine.name}")
                continue
            try:
                texts.append(_clean(engine.recognize(image, dpi)))
            except ocr_engines.OcrUnavailable as err:  # e.g. the binary vanished from PATH
                raise _fail(path, f"OCR failed on page {n}: {err}", environment=True) from None
            except ocr_engines.OcrFailed as err:
                raise _fail(path, f"OCR failed on page {n}: {err}") from None
            page_methods.append(f"ocr:{engine.name}")
    finally:
        renderer.close()
    return texts, page_methods


def _clean(text: str | None) -> str:
    text = (text or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _nonspace(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


class _DecodeBudget:
    """Decoded bytes of one PDF so far, and the streams already counted (by object number)."""

    def __init__(self) -> None:
        self.used = 0
        self.done: set[int] = set()


def _decode_page_streams(path: Path, page, n: int, budget: _DecodeBudget | None = None) -> bool:
    """Decode every stream the page draws with, under the size caps; True if it has an image.

    pdfium decodes all of them (content, forms, fonts, images) to render a page for OCR, and
    pypdf's text extraction skips some (a page without fonts). Decoding them here first,
    with pypdf's output caps, turns a decompression bomb into a clean error instead of
    gigabytes of memory. Images are also checked by declared size before decoding.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    budget = budget if budget is not None else _DecodeBudget()
    has_image = False
    seen: set[int] = set()
    todo = [page.get(key) for key in ("/Contents", "/Resources", "/Annots")]
    while todo:
        obj = todo.pop()
        idnum = None
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            idnum = obj.idnum
            obj = obj.get_object()
        if isinstance(obj, StreamObject):
            if obj.get("/Subtype") == "/Image":
                has_image = True
                pixels = int(obj.get("/Width", 0)) * int(obj.get("/Height", 0))
                if pixels > MAX_IMAGE_PIXELS:
                    raise _fail(path, f"page {n} holds an image of {pixels / 1e6:.0f} megapixels "
                                      f"(limit {MAX_IMAGE_PIXELS / 1e6:.0f}); refusing to render it")
            if idnum is None or idnum not in budget.done:  # a stream shared by pages is decoded once
                budget.used += len(obj.get_data())  # raises LimitReachedError past the per-stream cap
                if idnum is not None:
                    budget.done.add(idnum)
                    if getattr(obj, "decoded_self", None) is not None:
                        obj.decoded_self = None  # free it: pypdf would keep every decoded stream
                if budget.used > MAX_PDF_DECODED_BYTES:
                    raise _fail(path, f"decompression bomb (its streams expand past "
                                      f"{MAX_PDF_DECODED_BYTES // 1_000_000} MB in total, by page {n})")
        if isinstance(obj, DictionaryObject):  # streams too: a form's /Resources, an image's /SMask
            # /Parent leads up the page tree, /P from an annotation back to the page.
            todo.extend(v for k, v in obj.items() if k not in ("/Parent", "/P"))
        elif isinstance(obj, ArrayObject):
            todo.extend(obj)
    return has_image


class _Renderer:
    """Renders pages for OCR with pdfium; the document is opened on first use only."""

    def __init__(self, path: Path, data: bytes, password: str | None) -> None:
        self.path, self.data, self.password = path, data, password
        self.doc = None

    def render(self, index: int):
        import pypdfium2 as pdfium

        try:
            if self.doc is None:
                self.doc = pdfium.PdfDocument(self.data, password=self.password)
            page = self.doc[index]
            width_pt, height_pt = page.get_size()
            scale = OCR_DPI / 72
            # Oversized pages (a poster-size MediaBox) would need gigabytes at full dpi.
            pixels = width_pt * height_pt * scale * scale
            if pixels > MAX_RENDER_PIXELS:
                scale *= math.sqrt(MAX_RENDER_PIXELS / pixels)
            image = page.render(scale=scale, grayscale=True).to_pil()
            page.close()
        except pdfium.PdfiumError as err:
            raise _fail(self.path, f"cannot render page {index + 1} for OCR (pdfium: {type(err).__name__})") from None
        return image, round(scale * 72)

    def close(self) -> None:
        if self.doc is not None:
            self.doc.close()
            self.doc = None
