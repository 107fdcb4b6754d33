"""Every test runs with pathx's user folders relocated into temporary ones (as simonw/llm's conftest
isolates its user directory), so no test reads or writes ~/.config, ~/.cache, ~/.local/share or the log
folder, and a developer's own PATHX_* settings (a rules folder, a test hook) cannot leak in.

Config, data and log folders are fresh for each test. The cache folder holds base models converted from
GGUF (minutes of work) and weight hashes: one temporary cache is shared by the whole session. A test
that needs an empty cache sets PATHX_CACHE_DIR itself (its monkeypatch wins over this fixture).
Subprocesses inherit the variables: monkeypatch changes os.environ.
"""
from __future__ import annotations

import os

import pytest

PER_TEST = {"PATHX_CONFIG_DIR": "config", "PATHX_DATA_DIR": "data", "PATHX_LOG_DIR": "log"}
CACHE = "PATHX_CACHE_DIR"


@pytest.fixture(scope="session")
def pathx_session_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pathx-cache")


@pytest.fixture(autouse=True)
def isolated_pathx_dirs(monkeypatch, tmp_path_factory, pathx_session_cache):
    for var in [v for v in os.environ if v.startswith("PATHX_")]:
        monkeypatch.delenv(var)  # PATHX_RULES_DIR, PATHX_TEST_* hooks, a site's own folders
    home = tmp_path_factory.mktemp("pathx-home")
    for var, sub in PER_TEST.items():
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv(CACHE, str(pathx_session_cache))
    return home
