"""The review page as a person sees it: rendered by headless Chromium from a file:// URL (as from a USB
stick), the flagged values and the highlighted evidence are in the rendered document, and the report's
markup is text, not elements. Skipped when no `chromium` is installed."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from reviewkit import sample_rows

from pathx.review import default_paths, write_review

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


def render(page, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    """Chromium's DOM after loading `page`, with its profile and home in tmp_path (no network is used)."""
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    args = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={tmp_path / 'profile'}", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)


def test_chromium_shows_the_flagged_values_and_marked_evidence(tmp_path):
    page, sheet = default_paths(tmp_path / "out.jsonl")
    write_review(sample_rows(), page, sheet, source_name="out.jsonl")
    done = render(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<title>pathx review: out.jsonl</title>" in dom
    assert "Tumour size 2.3 cm, <mark>pT2</mark> pN0 (sn)." in dom
    assert "<mark>grade 3</mark> &amp; more" in dom
    assert "<mark>&lt;b&gt;ER&lt;/b&gt; positive</mark>" in dom
    for value in (">T2<", ">G3<", ">Positive<", ">Negative<", "not reported"):
        assert value in dom
    assert dom.count("<mark>") == 4  # pr, t_stage, grade, er (m_stage and her2 have no quote)
    assert "&lt;script src=" in dom and "<script" not in dom and "<img" not in dom
    assert "encrypted PDF &lt;no password&gt;" in dom


def test_chromium_renders_a_screenshot(tmp_path):
    """The page paints (a PNG of the first screen). JavaScript-off needs no browser run: the page holds no
    script at all (test_review_page checks that); Chromium's headless dump and screenshot themselves need
    scripting on, so `--blink-settings=scriptEnabled=false` cannot be used here."""
    page, sheet = default_paths(tmp_path / "out.jsonl")
    write_review(sample_rows(), page, sheet, source_name="out.jsonl")
    shot = tmp_path / "page.png"
    done = render(page, tmp_path, "--window-size=1280,900", f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
