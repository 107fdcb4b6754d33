"""AJCC 8th ed. breast stage groups (pathx/registry/staging.py, rules/staging/*.toml).

Expectations are written out here from the published tables (AJCC Cancer Staging Manual, 8th ed.,
chapter 48 Breast, January 2018 revision, as reproduced by the NCI PDQ Breast Cancer Treatment HP
summary; sources and footnotes in the headers of rules/staging/*.toml), not derived from the data
files the code reads.
"""
from __future__ import annotations

import itertools
import shutil
import tomllib
from pathlib import Path

import pytest

from pathx.registry import staging
from pathx.errors import RuleFileError
from pathx.registry.staging import anatomic_stage, load_tables, prognostic_stage

P, N_ = "Positive", "Negative"

# --------------------------------------------------------------------------------------------------
# Anatomic Stage Groups: every T x N x M cell of pathx's vocabulary.
# Published rows: 0 Tis N0 M0 | IA T1* N0 M0 | IB T0 N1mi M0, T1* N1mi M0 | IIA T0 N1** M0,
# T1* N1** M0, T2 N0 M0 | IIB T2 N1 M0, T3 N0 M0 | IIIA T0 N2 M0, T1* N2 M0, T2 N2 M0, T3 N1 M0,
# T3 N2 M0 | IIIB T4 N0 M0, T4 N1 M0, T4 N2 M0 | IIIC Any T N3 M0 | IV Any T Any N M1.
# * T1 includes T1mi; ** T0/T1 with N1mi only -> IB (N1mi otherwise counts as N1).
# None: no published row (T0 N0 M0; Tis with N1mi / N1 / N2).

ANATOMIC_M0 = {
    #        N0     N1mi    N1     N2      N3
    "Tis": ("0",   None,   None,  None,   "IIIC"),
    "T0":  (None,  "IB",   "IIA", "IIIA", "IIIC"),
    "T1":  ("IA",  "IB",   "IIA", "IIIA", "IIIC"),
    "T2":  ("IIA", "IIB",  "IIB", "IIIA", "IIIC"),
    "T3":  ("IIB", "IIIA", "IIIA", "IIIA", "IIIC"),
    "T4":  ("IIIB", "IIIB", "IIIB", "IIIB", "IIIC"),
}
N_ORDER = ("N0", "N1mi", "N1", "N2", "N3")

ANATOMIC_CASES = [
    (t, n, "M0", ANATOMIC_M0[t][i]) for t in ANATOMIC_M0 for i, n in enumerate(N_ORDER)
] + [(t, n, "M1", "IV") for t in ANATOMIC_M0 for n in N_ORDER]


def test_anatomic_cases_cover_the_whole_grid():
    assert len(ANATOMIC_CASES) == 6 * 5 * 2
    assert {(t, n, m) for t, n, m, _ in ANATOMIC_CASES} == set(staging.GRID)


@pytest.mark.parametrize(("t", "n", "m", "expected"), ANATOMIC_CASES)
def test_anatomic_every_cell(t, n, m, expected):
    assert anatomic_stage(t, n, m) == expected


# --------------------------------------------------------------------------------------------------
# Pathological Prognostic Stage Groups: cells taken from the published table, row by row.
# Row labels as published; receptors in the table's order HER2, ER, PR.

PROGNOSTIC_CASES = [
    # Tis, N0, M0 | any grade and receptors -> 0
    ("Tis", "N0", "M0", "G3", N_, N_, N_, "0"),
    ("Tis", "N0", "M0", None, None, None, None, "0"),
    # T1, N0, M0; T0, N1mi, M0; T1, N1mi, M0
    ("T1", "N0", "M0", "G1", P, P, P, "IA"),
    ("T1", "N0", "M0", "G1", N_, N_, N_, "IA"),
    ("T1", "N0", "M0", "G2", N_, N_, N_, "IB"),
    ("T1", "N0", "M0", "G3", P, N_, N_, "IA"),
    ("T0", "N1mi", "M0", "G3", N_, N_, N_, "IB"),
    ("T1", "N1mi", "M0", "G3", N_, P, N_, "IA"),
    ("T1", "N1mi", "M0", "G2", N_, N_, P, "IA"),
    # T0, N1, M0; T1, N1, M0; T2, N0, M0
    ("T2", "N0", "M0", "G1", P, P, P, "IA"),
    ("T2", "N0", "M0", "G1", P, P, N_, "IB"),
    ("T1", "N1", "M0", "G1", P, N_, N_, "IIA"),
    ("T0", "N1", "M0", "G2", N_, P, N_, "IIA"),
    ("T2", "N0", "M0", "G2", N_, P, P, "IA"),
    ("T1", "N1", "M0", "G3", N_, P, P, "IB"),
    ("T2", "N0", "M0", "G3", P, P, N_, "IIA"),
    ("T0", "N1", "M0", "G3", N_, N_, N_, "IIA"),
    # T2, N1, M0; T3, N0, M0 (N1 includes N1mi for T2)
    ("T2", "N1", "M0", "G1", P, P, P, "IA"),
    ("T3", "N0", "M0", "G1", N_, P, N_, "IIB"),
    ("T2", "N1", "M0", "G2", P, P, P, "IB"),
    ("T3", "N0", "M0", "G3", N_, P, P, "IIA"),
    ("T2", "N1", "M0", "G3", N_, N_, N_, "IIIA"),
    ("T2", "N1mi", "M0", "G3", N_, N_, N_, "IIIA"),
    # T0, N2, M0; T1, N2, M0; T2, N2, M0; T3, N1, M0; T3, N2, M0
    ("T0", "N2", "M0", "G1", P, P, P, "IB"),
    ("T1", "N2", "M0", "G1", N_, N_, N_, "IIIA"),
    ("T2", "N2", "M0", "G2", N_, N_, N_, "IIIB"),
    ("T3", "N1", "M0", "G2", N_, P, P, "IB"),
    ("T3", "N2", "M0", "G3", P, P, P, "IIA"),
    ("T3", "N1", "M0", "G3", N_, P, P, "IIB"),
    ("T2", "N2", "M0", "G3", N_, N_, N_, "IIIC"),
    ("T3", "N1mi", "M0", "G3", P, N_, P, "IIIA"),
    # T4, N0, M0; T4, N1, M0; T4, N2, M0; Any T, N3, M0
    ("T4", "N0", "M0", "G1", P, P, P, "IIIA"),
    ("T4", "N1", "M0", "G1", N_, N_, N_, "IIIB"),
    ("T4", "N2", "M0", "G2", N_, N_, N_, "IIIC"),
    ("T1", "N3", "M0", "G2", N_, P, P, "IIIA"),
    ("T2", "N3", "M0", "G3", P, P, P, "IIIB"),
    ("T0", "N3", "M0", "G3", N_, P, N_, "IIIC"),
    ("T4", "N1mi", "M0", "G3", N_, N_, P, "IIIC"),
    # Any T, Any N, M1 | any grade and receptors -> IV
    ("T1", "N0", "M1", "G1", P, P, P, "IV"),
    ("T3", "N2", "M1", None, None, None, None, "IV"),
]


def test_prognostic_sample_is_big_enough():
    assert len(PROGNOSTIC_CASES) >= 30


@pytest.mark.parametrize(("t", "n", "m", "grade", "her2", "er", "pr", "expected"), PROGNOSTIC_CASES)
def test_prognostic_published_cells(t, n, m, grade, her2, er, pr, expected):
    # the API takes (t, n, m, grade, er, pr, her2); the table is read HER2, ER, PR
    assert prognostic_stage(t, n, m, grade, er, pr, her2) == expected


def test_prognostic_never_lower_for_a_higher_grade():
    # A sanity property of the published table: with T, N and receptors fixed, the stage never falls as
    # the grade rises. (It is what decided the one cell the two transcriptions disagreed on.)
    order = {s: i for i, s in enumerate(staging.STAGES)}
    for (t, n, m), (er, pr, her2) in itertools.product(staging.GRID, itertools.product((P, N_), repeat=3)):
        stages = [prognostic_stage(t, n, m, g, er, pr, her2) for g in ("G1", "G2", "G3")]
        if None not in stages:
            ranks = [order[s] for s in stages]
            assert ranks == sorted(ranks), (t, n, m, er, pr, her2, stages)


def test_prognostic_defined_wherever_anatomic_is():
    for t, n, m in staging.GRID:
        got = prognostic_stage(t, n, m, "G2", P, P, N_)
        assert (got is None) == (anatomic_stage(t, n, m) is None), (t, n, m)


# --------------------------------------------------------------------------------------------------
# None cases and the documented decisions


@pytest.mark.parametrize(("t", "n", "m"), [
    (None, "N0", "M0"), ("T1", None, "M0"), ("T1", "N0", None), (None, None, None), ("", "N0", "M0"),
    ("T0", "N0", "M0"), ("Tis", "N1", "M0"), ("Tis", "N1mi", "M0"), ("Tis", "N2", "M0"),
])
def test_anatomic_none(t, n, m):
    assert anatomic_stage(t, n, m) is None


def test_m1_is_stage_iv_even_with_t_n_unknown():
    assert anatomic_stage(None, None, "M1") == "IV"
    assert prognostic_stage(None, None, "M1", None, None, None, None) == "IV"
    assert prognostic_stage("T2", "N1", "M1", "G2", P, P, P, yp=True) == "IV"


def test_m_missing_is_none_unless_cm0_assumed():
    assert anatomic_stage("T2", "N1", None) is None
    assert anatomic_stage("T2", "N1", None, assume_cm0=True) == "IIB"
    assert prognostic_stage("T2", "N1", None, "G1", P, P, P) is None
    assert prognostic_stage("T2", "N1", None, "G1", P, P, P, assume_cm0=True) == "IA"


@pytest.mark.parametrize("which", ["er", "pr", "her2"])
def test_equivocal_receptor_gives_no_prognostic_stage(which):
    values = {"er": P, "pr": P, "her2": N_}
    assert prognostic_stage("T1", "N0", "M0", "G1", **values) == "IA"
    values[which] = "Equivocal"
    assert prognostic_stage("T1", "N0", "M0", "G1", **values) is None


@pytest.mark.parametrize("missing", ["grade", "er", "pr", "her2"])
def test_missing_grade_or_receptor_gives_no_prognostic_stage(missing):
    args = {"grade": "G2", "er": P, "pr": P, "her2": N_}
    args[missing] = None
    assert prognostic_stage("T2", "N0", "M0", **args) is None


def test_yp_gives_no_prognostic_stage():
    assert prognostic_stage("T1", "N0", "M0", "G1", P, P, N_) == "IA"
    assert prognostic_stage("T1", "N0", "M0", "G1", P, P, N_, yp=True) is None
    assert prognostic_stage("Tis", "N0", "M0", None, None, None, None, yp=True) is None


def test_unknown_labels_are_errors_not_none():
    with pytest.raises(ValueError):
        anatomic_stage("T5", "N0", "M0")
    with pytest.raises(ValueError):
        anatomic_stage("T1", "N1a", "M0")
    with pytest.raises(ValueError):
        prognostic_stage("T1", "N0", "M0", "G4", P, P, P)
    with pytest.raises(ValueError):
        prognostic_stage("T1", "N0", "M0", "G1", "positive", P, P)


# --------------------------------------------------------------------------------------------------
# The validator


def test_shipped_tables_validate():
    tables = load_tables()
    assert set(tables.anatomic) == set(staging.GRID)
    assert set(tables.prognostic) == set(staging.GRID)


@pytest.fixture
def table_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "staging"
    shutil.copytree(staging.default_dir(), folder)
    assert load_tables(folder)  # an untouched copy loads
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _broken(folder: Path, match: str) -> None:
    with pytest.raises(RuleFileError, match=match):
        load_tables(folder)


def test_validator_rejects_missing_anatomic_cell(table_dir):
    _edit(table_dir / "anatomic.toml", 'tnm = ["T1 N0 M0"]', 'tnm = ["T1 N3 M1"]')
    _broken(table_dir, "appears twice")
    _edit(table_dir / "anatomic.toml", 'tnm = ["T1 N3 M1"]', 'tnm = []')
    _broken(table_dir, "non-empty list")


def test_validator_rejects_anatomic_cell_not_covered(table_dir):
    _edit(table_dir / "anatomic.toml", '"T2 N1mi M0", ', "")
    _broken(table_dir, r"anatomic.toml: no row or `unstaged` entry for T2 N1mi M0")


def test_validator_rejects_duplicate_anatomic_cell(table_dir):
    _edit(table_dir / "anatomic.toml", 'tnm = ["T1 N0 M0"]', 'tnm = ["T1 N0 M0", "T2 N0 M0"]')
    _broken(table_dir, r"T2 N0 M0 appears twice")


def test_validator_rejects_bad_anatomic_values(table_dir):
    _edit(table_dir / "anatomic.toml", 'stage = "IA"', 'stage = "I"')
    _broken(table_dir, r"stage 'I' is not one of")
    _edit(table_dir / "anatomic.toml", 'stage = "I"', 'stage = "IA"')
    _edit(table_dir / "anatomic.toml", 'tnm = ["T1 N0 M0"]', 'tnm = ["T1mi N0 M0"]')
    _broken(table_dir, r"T 'T1mi'")


def test_validator_rejects_missing_prognostic_cell(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    _edit(path, 'tnm = ["T2 N1 M0", "T2 N1mi M0", "T3 N0 M0"]', 'tnm = ["T2 N1 M0", "T3 N0 M0"]')
    _broken(table_dir, r"no row or `unstaged` entry for T2 N1mi M0")


def test_validator_rejects_missing_prognostic_grade_or_column(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    text = path.read_text(encoding="utf-8")
    g3 = next(line for line in text.splitlines() if line.startswith("G3 = ") and '"IIIC"]' in line and "IIB" in line)
    _edit(path, g3 + "\n", "")
    _broken(table_dir, r"no `any` and no G3")


def test_validator_rejects_short_prognostic_row(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    _edit(path, 'G1 = [       "IA",   "IA",   "IA",   "IA",         "IA",   "IA",   "IA",   "IA"]',
          'G1 = [       "IA",   "IA",   "IA",   "IA",         "IA",   "IA",   "IA"]')
    _broken(table_dir, r"G1 must list 8 stages")


def test_validator_rejects_duplicate_prognostic_cell(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    _edit(path, 'tnm = ["T0 N1 M0", "T1 N1 M0", "T2 N0 M0"]', 'tnm = ["T0 N1 M0", "T1 N1 M0", "T2 N0 M0", "T1 N0 M0"]')
    _broken(table_dir, r"T1 N0 M0 appears twice")


def test_validator_rejects_bad_prognostic_values(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    _edit(path, 'any = "IV"', 'any = "IVB"')
    _broken(table_dir, r"stage 'IVB' is not one of")
    _edit(path, 'any = "IVB"', 'any = "IV"')
    _edit(path, '"HER2- ER- PR+", "HER2- ER- PR-",', '"HER2- ER- PR-", "HER2- ER- PR+",')
    _broken(table_dir, r"`columns` must be exactly")


def test_validator_rejects_any_with_grades(table_dir):
    path = table_dir / "pathological_prognostic.toml"
    _edit(path, 'any = "0"', 'any = "0"\nG1 = ["0", "0", "0", "0", "0", "0", "0", "0"]')
    _broken(table_dir, r"has both `any` and G1")


def test_validator_rejects_unknown_key_and_bad_toml(table_dir):
    _edit(table_dir / "anatomic.toml", 'stage = "IA"', 'stage = "IA"\nstgae = "IB"')
    _broken(table_dir, r"unknown key\(s\) stgae")
    (table_dir / "anatomic.toml").write_text("[[group]\n", encoding="utf-8")
    _broken(table_dir, r"anatomic.toml: not valid TOML")
    (table_dir / "anatomic.toml").unlink()
    _broken(table_dir, r"anatomic.toml: staging table missing")


def test_data_files_cite_their_source():
    for name in (staging.ANATOMIC_FILE, staging.PROGNOSTIC_FILE):
        text = (staging.default_dir() / name).read_text(encoding="utf-8")
        assert "AJCC Cancer Staging Manual, 8th edition" in text
        assert "January 2018" in text
        assert "https://www.cancer.gov/types/breast/hp/breast-treatment-pdq" in text
        tomllib.loads(text)  # and are plain TOML
