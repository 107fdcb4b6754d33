"""Where pathx finds its shipped rules, recipes and bundles: the checkout's folders, or package data in a wheel."""
from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

import pathx
from pathx import paths

REPO = Path(__file__).resolve().parent.parent


def test_a_checkout_reads_its_own_rules_and_bundles(monkeypatch):
    monkeypatch.delenv("PATHX_RULES_DIR", raising=False)
    assert paths.rules_dir() == REPO / "rules"
    assert paths.bundles_dir() == REPO / "bundles"
    assert paths.recipes_dir() == REPO / "recipes"


def test_pathx_rules_dir_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("PATHX_RULES_DIR", str(tmp_path))
    assert paths.rules_dir() == tmp_path


def test_an_installed_package_reads_its_package_data(monkeypatch, tmp_path):
    # Installed from a wheel, the folder above the package is site-packages (no pyproject.toml, and
    # perhaps another distribution's `rules/`): the data comes from pathx/_rules and pathx/_bundles.
    (tmp_path / "rules").mkdir()
    monkeypatch.setattr(paths, "repo_root", lambda: tmp_path)
    paths._shipped.cache_clear()
    try:
        monkeypatch.delenv("PATHX_RULES_DIR", raising=False)
        assert paths.rules_dir() == Path(pathx.__file__).parent / "_rules"
        assert paths.bundles_dir() == Path(pathx.__file__).parent / "_bundles"
        assert paths.recipes_dir() == Path(pathx.__file__).parent / "_recipes"
    finally:
        monkeypatch.undo()
        paths._shipped.cache_clear()


def test_every_tracked_rule_and_bundle_file_is_package_data():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {pkg: Path(folder) for pkg, folder in cfg["package-dir"].items()}
    tracked = subprocess.run(["git", "ls-files", "rules", "recipes", "bundles"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    assert tracked
    for name in tracked:
        f = Path(name)
        # the data package holding f: the mapped folder, plus subfolders as dotted subpackages
        top = next(p for p, d in folders.items() if f.parts[0] == d.parts[0])
        pkg = ".".join([top, *f.parent.parts[1:]])
        assert pkg in cfg["packages"], f"{name}: its folder is no package in pyproject.toml"
        patterns = cfg["package-data"].get(pkg, [])
        assert any(fnmatch.fnmatch(f.name, pat) for pat in patterns), f"{name} would not ship in the wheel"
