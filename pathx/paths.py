"""Where pathx keeps config, cache (converted base models), data (bundles) and logs."""
from __future__ import annotations

import functools
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
    return Path(__file__).resolve().parent.parent


def rules_dir() -> Path:
    """Rule files: PATHX_RULES_DIR, else the `rules/` folder beside the package."""
    return _dir("PATHX_RULES_DIR", str(repo_root() / "rules"))


def bundles_dir() -> Path:
    return repo_root() / "bundles"
