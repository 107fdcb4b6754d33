"""The autouse fixture in conftest.py keeps every test away from the user's pathx folders."""
from __future__ import annotations

import os

import platformdirs

from pathx import paths

USER = {
    "config": platformdirs.user_config_dir("pathx"), "cache": platformdirs.user_cache_dir("pathx"),
    "data": platformdirs.user_data_dir("pathx"), "log": platformdirs.user_log_dir("pathx"),
}


def test_every_pathx_folder_is_a_temporary_one(tmp_path_factory):
    base = tmp_path_factory.getbasetemp()
    got = {"config": paths.config_dir(), "cache": paths.cache_dir(), "data": paths.data_dir(),
           "log": paths.log_dir()}
    for name, where in got.items():
        assert str(where) != USER[name], name
        assert base in where.parents, f"{name} folder {where} is outside pytest's temporary folder"
    assert len({paths.config_dir(), paths.data_dir(), paths.log_dir(), paths.cache_dir()}) == 4


def test_no_pathx_setting_leaks_in():
    assert "PATHX_RULES_DIR" not in os.environ
    assert not [v for v in os.environ if v.startswith("PATHX_TEST_")]


_seen: dict[str, str] = {}


def test_folders_are_fresh_per_test_but_the_cache_is_shared_1():
    _seen["data"], _seen["cache"] = str(paths.data_dir()), str(paths.cache_dir())


def test_folders_are_fresh_per_test_but_the_cache_is_shared_2():
    assert _seen, "run with its sibling test"
    assert str(paths.data_dir()) != _seen["data"]
    assert str(paths.cache_dir()) == _seen["cache"]
