"""AJCC 8th edition breast stage groups from pathx's T / N / M, grade, ER, PR and HER2 labels.

The tables are data, not code: `rules/staging/anatomic.toml` (Anatomic Stage Groups) and
`rules/staging/pathological_prognostic.toml` (Pathological Prognostic Stage Groups), both from the
AJCC Cancer Staging Manual, 8th ed., chapter 48 (Breast), January 2018 revision, as reproduced by
the NCI PDQ "Breast Cancer Treatment (Health Professional Version)". Each file's header cites its
source and lists the footnotes applied. They are validated when loaded: every T x N x M cell of
pathx's vocabulary present exactly once, every stage and receptor column valid.

Inputs are pathx labels (pathx/fields.py VOCAB); None or "" means "not reported". A result of None
means "no stage group": an input is missing, the published table has no row for the combination,
or the table does not apply. Decisions (see docs in the data files and the function docstrings):

- M1 gives stage IV in both tables whatever else is known or missing ("Any T, Any N, M1").
- M not reported: None by default. AJCC stages a pathological case with cM0 when there is no
  clinical or radiographic evidence of metastasis, but that is a clinical finding a pathology
  report does not state; a caller who knows the patient is cM0 passes `assume_cm0=True`.
- Equivocal ER, PR or HER2: the prognostic table has no Equivocal column, so no prognostic stage
  (None) rather than a guess. (AJCC stages HER2 that is equivocal *by ISH* under the 2013 ASCO/CAP
  guideline as HER2 negative; pathx's "Equivocal" does not say whether ISH was done. AJCC also says
  a case whose biomarkers are not available is reported as unstaged in the prognostic tables; see
  the summary of chapter 48 at https://www.registrypartners.com/?p=9179.)
- yp (after neoadjuvant therapy): the pathological prognostic stage is not assigned (None), except
  M1, which stays stage IV.
- The Oncotype DX (recurrence score < 11) variant of the prognostic table is not applied: pathx does
  not extract a recurrence score.
"""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pathx import paths
from pathx.errors import RuleFileError
from pathx.schema import VOCAB

STAGES: tuple[str, ...] = ("0", "IA", "IB", "IIA", "IIB", "IIIA", "IIIB", "IIIC", "IV")
T_VALUES: tuple[str, ...] = VOCAB["t_stage"]
N_VALUES: tuple[str, ...] = VOCAB["n_stage"]
M_VALUES: tuple[str, ...] = VOCAB["m_stage"]
GRADES: tuple[str, ...] = VOCAB["grade"]
RECEPTOR_VALUES: tuple[str, ...] = ("Positive", "Negative")  # the table's columns; no Equivocal

# Column order of the prognostic table rows: HER2, then ER, then PR, Positive before Negative.
COLUMNS: tuple[str, ...] = tuple(
    f"HER2{h} ER{e} PR{p}" for h in "+-" for e in "+-" for p in "+-"
)
_SIGN = {"Positive": "+", "Negative": "-"}

ANATOMIC_FILE = "anatomic.toml"
PROGNOSTIC_FILE = "pathological_prognostic.toml"

Cell = tuple[str, str, str]  # (T, N, M)
GRID: tuple[Cell, ...] = tuple((t, n, m) for m in M_VALUES for t in T_VALUES for n in N_VALUES)


@dataclass(frozen=True)
class StagingTables:
    """The two tables, expanded: one entry per T x N x M cell of GRID.

    anatomic[cell] is a stage or None (no published row). prognostic[cell] is None (no row), a stage
    (a row for any grade / receptors), or a dict {(grade, column): stage} with column one of COLUMNS.
    """

    anatomic: dict[Cell, str | None]
    prognostic: dict[Cell, str | dict[tuple[str, str], str] | None]


# ---------------------------------------------------------------------------------------------------
# Loading and validation


def default_dir() -> Path:
    """The shipped tables: `rules/staging/` (package data pathx._rules.staging).

    Not redirected by PATHX_RULES_DIR: these are published reference tables, not tunable rules.
    """
    return paths._shipped("_rules", "rules") / "staging"


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise RuleFileError(f"{path.name}: staging table missing ({path})") from err
    except (OSError, UnicodeDecodeError) as err:
        raise RuleFileError(f"{path.name}: cannot read staging table: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise RuleFileError(f"{path.name}: not valid TOML: {err}") from err


def _parse_cell(name: str, where: str, text: Any) -> Cell:
    parts = text.split() if isinstance(text, str) else []
    if len(parts) != 3:
        raise RuleFileError(f"{name}: {where}: {text!r} is not 'T N M' (e.g. 'T1 N0 M0')")
    t, n, m = parts
    for value, allowed, what in ((t, T_VALUES, "T"), (n, N_VALUES, "N"), (m, M_VALUES, "M")):
        if value not in allowed:
            raise RuleFileError(f"{name}: {where}: {what} {value!r} in {text!r} is not one of {', '.join(allowed)}")
    return (t, n, m)


def _check_stage(name: str, where: str, value: Any) -> str:
    if value not in STAGES:
        raise RuleFileError(f"{name}: {where}: stage {value!r} is not one of {', '.join(STAGES)}")
    return value


def _cell_list(name: str, where: str, value: Any) -> list[Cell]:
    if not isinstance(value, list) or not value:
        raise RuleFileError(f"{name}: {where}: `tnm` must be a non-empty list of 'T N M' strings")
    return [_parse_cell(name, where, item) for item in value]


def _unstaged(name: str, doc: dict[str, Any]) -> list[Cell]:
    value = doc.get("unstaged", [])
    if not isinstance(value, list):
        raise RuleFileError(f"{name}: `unstaged` must be a list of 'T N M' strings")
    return [_parse_cell(name, "unstaged", item) for item in value]


def _check_cover(name: str, seen: dict[Cell, str], cell: Cell, where: str) -> None:
    if cell in seen:
        raise RuleFileError(f"{name}: {' '.join(cell)} appears twice ({seen[cell]} and {where})")
    seen[cell] = where


def _check_complete(name: str, seen: dict[Cell, str]) -> None:
    missing = [" ".join(c) for c in GRID if c not in seen]
    if missing:
        raise RuleFileError(f"{name}: no row or `unstaged` entry for {', '.join(missing)}")


def _check_keys(name: str, where: str, table: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise RuleFileError(f"{name}: {where}: unknown key(s) {', '.join(extra)}")


def validate_anatomic(doc: dict[str, Any], name: str = ANATOMIC_FILE) -> dict[Cell, str | None]:
    """Check a parsed anatomic table and expand it to {cell: stage or None}; RuleFileError if broken."""
    _check_keys(name, "top level", doc, {"unstaged", "group"})
    groups = doc.get("group")
    if not isinstance(groups, list) or not groups:
        raise RuleFileError(f"{name}: no [[group]] tables")
    seen: dict[Cell, str] = {}
    out: dict[Cell, str | None] = {}
    for cell in _unstaged(name, doc):
        _check_cover(name, seen, cell, "unstaged")
        out[cell] = None
    for i, group in enumerate(groups, 1):
        where = f"group {i}"
        if not isinstance(group, dict):
            raise RuleFileError(f"{name}: {where} is not a table")
        _check_keys(name, where, group, {"stage", "tnm"})
        stage = _check_stage(name, where, group.get("stage"))
        where = f"group {i} (stage {stage})"
        for cell in _cell_list(name, where, group.get("tnm")):
            _check_cover(name, seen, cell, where)
            out[cell] = stage
    _check_complete(name, seen)
    return out


def validate_prognostic(
    doc: dict[str, Any], name: str = PROGNOSTIC_FILE
) -> dict[Cell, str | dict[tuple[str, str], str] | None]:
    """Check a parsed prognostic table and expand it; RuleFileError if broken."""
    _check_keys(name, "top level", doc, {"columns", "unstaged", "row"})
    if doc.get("columns") != list(COLUMNS):
        raise RuleFileError(f"{name}: `columns` must be exactly {list(COLUMNS)}")
    rows = doc.get("row")
    if not isinstance(rows, list) or not rows:
        raise RuleFileError(f"{name}: no [[row]] tables")
    seen: dict[Cell, str] = {}
    out: dict[Cell, str | dict[tuple[str, str], str] | None] = {}
    for cell in _unstaged(name, doc):
        _check_cover(name, seen, cell, "unstaged")
        out[cell] = None
    for i, row in enumerate(rows, 1):
        where = f"row {i}"
        if not isinstance(row, dict):
            raise RuleFileError(f"{name}: {where} is not a table")
        _check_keys(name, where, row, {"source", "tnm", "any", *GRADES})
        if row.get("source") is not None:
            where = f"row {i} ({row['source']})"
        cells = _cell_list(name, where, row.get("tnm"))
        has_grades = [g for g in GRADES if g in row]
        value: str | dict[tuple[str, str], str]
        if "any" in row:
            if has_grades:
                raise RuleFileError(f"{name}: {where}: has both `any` and {', '.join(has_grades)}")
            value = _check_stage(name, where, row["any"])
        else:
            if len(has_grades) != len(GRADES):
                missing = [g for g in GRADES if g not in row]
                raise RuleFileError(f"{name}: {where}: no `any` and no {', '.join(missing)}")
            value = {}
            for grade in GRADES:
                stages = row[grade]
                if not isinstance(stages, list) or len(stages) != len(COLUMNS):
                    raise RuleFileError(f"{name}: {where}: {grade} must list {len(COLUMNS)} stages, one per column")
                for column, stage in zip(COLUMNS, stages):
                    value[(grade, column)] = _check_stage(name, f"{where} {grade} {column}", stage)
        for cell in cells:
            _check_cover(name, seen, cell, where)
            out[cell] = value
    _check_complete(name, seen)
    return out


def load_tables(folder: Path | None = None) -> StagingTables:
    """Read and validate both tables from `folder` (default: the shipped rules/staging/)."""
    if folder is None:
        return _default_tables()
    return _load(Path(folder))


def _load(folder: Path) -> StagingTables:
    anatomic = validate_anatomic(_read(folder / ANATOMIC_FILE), ANATOMIC_FILE)
    prognostic = validate_prognostic(_read(folder / PROGNOSTIC_FILE), PROGNOSTIC_FILE)
    return StagingTables(anatomic=anatomic, prognostic=prognostic)


@functools.cache
def _default_tables() -> StagingTables:
    return _load(default_dir())


# ---------------------------------------------------------------------------------------------------
# Lookups


def _norm(field: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if value not in allowed:
        raise ValueError(f"{field}: {value!r} is not one of {', '.join(allowed)} (or None)")
    return value


def _resolve_m(m: str | None, assume_cm0: bool) -> str | None:
    m = _norm("m_stage", m, M_VALUES)
    if m is None and assume_cm0:
        return "M0"
    return m


def anatomic_stage(
    t: str | None, n: str | None, m: str | None, *, assume_cm0: bool = False,
    tables: StagingTables | None = None,
) -> str | None:
    """AJCC 8th ed. Anatomic Stage Group of a (T, N, M), or None.

    M1 -> "IV" whatever T and N are ("Any T, Any N, M1"). M None -> None unless `assume_cm0`
    (the caller knows the patient is clinically M0). T or N None -> None. A combination no row of the
    published table covers (T0 N0, Tis with N1mi / N1 / N2) -> None.
    """
    t = _norm("t_stage", t, T_VALUES)
    n = _norm("n_stage", n, N_VALUES)
    m = _resolve_m(m, assume_cm0)
    if m == "M1":
        return "IV"
    if m is None or t is None or n is None:
        return None
    return (tables or _default_tables()).anatomic[(t, n, m)]


def prognostic_stage(
    t: str | None, n: str | None, m: str | None, grade: str | None,
    er: str | None, pr: str | None, her2: str | None,
    *, yp: bool = False, assume_cm0: bool = False, tables: StagingTables | None = None,
) -> str | None:
    """AJCC 8th ed. Pathological Prognostic Stage Group, or None.

    M1 -> "IV" (also when yp). yp=True (staged after neoadjuvant therapy) -> None otherwise: the
    pathological prognostic stage applies only when surgery was the first treatment. M None -> None
    unless `assume_cm0`. Tis N0 M0 -> "0" whatever grade and receptors are. Otherwise T, N, grade,
    ER, PR and HER2 must all be reported; an Equivocal receptor -> None (the table has no Equivocal
    column). The Oncotype DX recurrence-score variant is not applied.
    """
    t = _norm("t_stage", t, T_VALUES)
    n = _norm("n_stage", n, N_VALUES)
    m = _resolve_m(m, assume_cm0)
    grade = _norm("grade", grade, GRADES)
    er = _norm("er", er, VOCAB["er"])
    pr = _norm("pr", pr, VOCAB["pr"])
    her2 = _norm("her2", her2, VOCAB["her2"])
    if m == "M1":
        return "IV"
    if yp or m is None or t is None or n is None:
        return None
    row = (tables or _default_tables()).prognostic[(t, n, m)]
    if row is None or isinstance(row, str):
        return row
    if grade is None or any(v not in RECEPTOR_VALUES for v in (her2, er, pr)):
        return None
    column = f"HER2{_SIGN[her2]} ER{_SIGN[er]} PR{_SIGN[pr]}"
    return row[(grade, column)]
