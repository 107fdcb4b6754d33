"""Where pathx keeps config, cache (converted base models), data (bundles) and logs."""
from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path

import platformdirs

APP = "pathx"


def _dir(env: str, default: str) -> Path:
    # PATHX_* variables let tests and sites relocate every directory.
    return Path(os.environ.get(env) or default)


def config_dir() -> Path:
    return _dir("PATHX_CONFIG_DIR", platformdirs.user_config_dir(APP))


def cache_dir() -> Path:
    return _dir("PATHX_CACHE_DIR", platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    return _dir("PATHX_DATA_DIR", platformdirs.user_data_dir(APP))


def log_dir() -> Path:
    return _dir("PATHX_LOG_DIR", platformdirs.user_log_dir(APP))


@functools.cache  # resolved once: rule files are looked up for every report
def repo_root() -> Path:
    """The folder above the package: the checkout's root (an editable install or the repo on PYTHONPATH),
    or site-packages when pathx is installed from a wheel."""
    return Path(__file__).resolve().parent.parent


@functools.cache
def _shipped(package: str, folder: str) -> Path:
    """A data folder shipped with pathx, as a real path (its files are read with open()).

    In a source checkout it is the checkout's own top-level `folder` (rules/, bundles/), never another
    checkout's that an editable install elsewhere may map the package name to. Installed from a wheel it
    is `pathx/<package>/` inside site-packages, found with importlib.resources.
    """
    root = repo_root()
    if (root / "pyproject.toml").is_file() and (root / folder).is_dir():
        return root / folder
    # pathx.<package> has no __init__.py (it is data), so ask the regular package pathx for it.
    found = importlib.resources.files("pathx").joinpath(package)
    if not isinstance(found, Path):  # a zipped install: the rule loaders need files on disk
        raise RuntimeError(f"pathx.{package} is not a folder on disk ({found}); install pathx unzipped")
    return found


def rules_dir() -> Path:
    """Rule files: PATHX_RULES_DIR, else the shipped `rules/` folder (package data pathx._rules)."""
    return _dir("PATHX_RULES_DIR", str(_shipped("_rules", "rules")))


def recipes_dir() -> Path:
    """Training recipes for `pathx fit --recipe` and the DEFAULT marker: `recipes/` (package data pathx._recipes)."""
    return _shipped("_recipes", "recipes")


def bundles_dir() -> Path:
    """Shipped bundles and the DEFAULT marker: `bundles/` (package data pathx._bundles)."""
    return _shipped("_bundles", "bundles")
