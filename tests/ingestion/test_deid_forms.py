"""De-identification of the forms issue 22 found leaking (first pass), and linear time on long blank runs.

Every sentence here is written for this file; the values are made up. The final scrub has its own
tests for the same forms (test_scrub.py): each net must catch them alone.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys

import pytest

import pathx.ingestion.deid as deid
from pathx.ingestion.deid import DeidRules, deidentify, load_rules
from pathx.ingestion.scrub import scrub

# (text, the PHI values that must be gone, words that must stay)
FORMS = [
    # an outside or prior case in parentheses, part letter glued on, any case
    ("Same tumour as the prior core biopsy (outside QX14-2875B).", ["QX14-2875B", "2875"], ["prior core biopsy"]),
    ("same tumour as the prior core biopsy (outside qx14-2875b).", ["qx14-2875b", "2875"], ["prior core biopsy"]),
    ("Compared with (prior case 20-4471C), unchanged.", ["20-4471C", "4471"], ["unchanged"]),
    ("ER as reported on (outside tz09-30117a) was positive.", ["tz09", "30117"], ["positive"]),
    # names: a container label, titles in lower-case text
    ("Received in formalin labeled with the patient's name (Odessa Kleinfeld) and \"left breast\".",
     ["Odessa", "Kleinfeld"], ["left breast", "formalin"]),
    ("received fresh, labelled with the patient's name (kleinfeld, odessa) and mrn.", ["kleinfeld", "odessa"],
     ["received fresh"]),
    ("ms. kleinfeld had a core biopsy; slides were reviewed by dr. marten vossberg on the day.",
     ["kleinfeld", "marten", "vossberg"], ["had a core biopsy", "slides were reviewed by", "on the day"]),
    ("MS. KLEINFELD was seen. Reviewed with Dr. marten vossberg.", ["KLEINFELD", "marten", "vossberg"], ["was seen"]),
    ("patient: kleinfeld, odessa c.    mrn: [MRN]\nname: ysolde vossberg\nhistory: kleinfeld family.",
     ["kleinfeld", "odessa", "ysolde", "vossberg"], ["history:", "family"]),
    # ages over 89 that end a sentence
    ("Patient age 92.", ["92"], ["Patient age"]),
    ("Age: 97.", ["97"], ["Age:"]),
    ("Clinical history: aged 101. Palpable mass.", ["101"], ["Palpable mass"]),
    # town, state and ZIP without a comma
    ("Home address on file: Brookhaven MS 39601.", ["Brookhaven", "39601"], ["Home address on file"]),
    ("FORWARDED TO NATCHITOCHES LA 71457 FOR REVIEW", ["NATCHITOCHES", "71457"], ["FOR REVIEW"]),
    # parts of a hyphenated surname, written alone or joined the other way
    ("Patient: Odessa Kleinfeld-Marsh\nHistory: Ms. Marsh was told. Kleinfeld relatives present.",
     ["Kleinfeld", "Marsh"], ["was told", "relatives present"]),
    ("Patient: Odessa KLEINFELD-Marsh\nHistory: family of Marsh-Kleinfeld.", ["KLEINFELD", "Marsh", "Kleinfeld"],
     ["family of"]),
]


@pytest.mark.parametrize("text, gone, kept", FORMS)
def test_leaked_forms_are_redacted_by_the_first_pass(text, gone, kept):
    out = deidentify(text).text
    for value in gone:
        assert value not in out, f"{value!r} left in {out!r}"
    for words in kept:
        assert words in out, f"{words!r} lost from {out!r}"


def test_clinical_sentences_with_the_same_shapes_are_kept():
    text = ("Blocks A1-A12 and B1-B3 submitted. ER 95% (SP1), HER2 3+ (4B5). Grade 2 of 3, 2.3 cm, pT2 pN1a(sn).\n"
            "Lymph nodes 3/12 positive. Ki-67 20%. 8 o'clock, 3 cm from nipple. PD-L1 (SP142) 1%.\n"
            "The tumor may be seen by the pathologist. Age 45. Specimen 12 x 5 cm; ER 90% of cells.")
    assert deidentify(text).text == text


# ---- linear time ------------------------------------------------------------------------------------
#
# Counted or forced, never timed against the wall clock. Two ways a long run of blanks can cost
# quadratic time, and one test for each:
# - around the regexes: code that runs a pattern again from every blank (or every line) of the run.
#   Counted: every call on a rule's compiled pattern is wrapped and the characters it may scan are
#   summed; ten times the blanks must cost at most about ten times the work.
# - inside one regex call: a pattern the engine tries at every blank that then reads the rest of the
#   run (issue 22: `[ ]{2,}` and `[ \t]*` before a cue, 60,000 blanks took minutes). Python's `re`
#   reports no step count, so a call's own work cannot be counted from outside; that test runs the
#   whole de-identification, the final scrub and the ingestion of a file in a child process under a
#   forced CPU budget (RLIMIT_CPU, CPU seconds, so a loaded machine does not eat it) about ten times
#   the linear cost and far below the quadratic one.

BLANKS = 60_000


def _texts(blanks: int) -> list[str]:
    """One text per kind of blank run; cues of every rule that scanned blanks around each run, so no
    pre-check skips them."""
    texts = []
    for blank in (" ", "\t", " \t"):
        run = (blank * blanks)[:blanks]
        texts.append("Patient Name: Odessa Kleinfeld   MRN: 1234567   Pathologist: Marten Vossberg, MD\nName:" + run
                     + "Jane Roe, M.D. | DOB: 01/02/1930" + run + "Smith, Jane\n" + run + "Ms. kleinfeld\n")
    return texts


def _assert_redacted(out: str, blanks: int):
    for value in ("Kleinfeld", "kleinfeld", "1234567", "Vossberg", "Roe", "01/02/1930"):
        assert value not in out
    assert out.count(" ") + out.count("\t") >= blanks  # the blanks themselves are kept


class _Tally:
    def __init__(self):
        self.calls = self.chars = 0


class _CountedPattern:
    """A compiled pattern that adds to `tally` the calls made on it and the characters each call may
    scan (endpos - pos): a pattern run again from every blank of a run adds up to quadratic work."""

    def __init__(self, regex: re.Pattern, tally: _Tally):
        self._regex, self._tally = regex, tally
        self.pattern, self.flags, self.groupindex, self.groups = regex.pattern, regex.flags, regex.groupindex, regex.groups

    def _note(self, text, pos=0, endpos=sys.maxsize):
        self._tally.calls += 1
        self._tally.chars += max(0, min(endpos, len(text)) - pos)

    def search(self, text, *args, **kw):
        self._note(text, *args, **kw)
        return self._regex.search(text, *args, **kw)

    def match(self, text, *args, **kw):
        self._note(text, *args, **kw)
        return self._regex.match(text, *args, **kw)

    def fullmatch(self, text, *args, **kw):
        self._note(text, *args, **kw)
        return self._regex.fullmatch(text, *args, **kw)

    def finditer(self, text, *args, **kw):
        self._note(text, *args, **kw)
        return self._regex.finditer(text, *args, **kw)

    def findall(self, text, *args, **kw):
        self._note(text, *args, **kw)
        return self._regex.findall(text, *args, **kw)

    def __getattr__(self, name):  # sub, split, scanner...: not used by deid; fail loudly if they become so
        raise AttributeError(f"_CountedPattern does not count {name!r}; add it")


class _CountingRe:
    """Stands for the `re` module inside deid.py: patterns it compiles at run time (name propagation) count too."""

    def __init__(self, tally: _Tally):
        self._tally = tally

    def compile(self, pattern, flags=0):
        return _CountedPattern(re.compile(pattern, flags), self._tally)

    def __getattr__(self, name):
        return getattr(re, name)


def _counted_rules(tally: _Tally) -> DeidRules:
    def counted(rule):
        lines = rule.only_lines_with
        return dataclasses.replace(rule, regex=_CountedPattern(rule.regex, tally),
                                   only_lines_with=None if lines is None else _CountedPattern(lines, tally))
    rules = load_rules()
    return dataclasses.replace(rules, rules=tuple(map(counted, rules.rules)), scrub=tuple(map(counted, rules.scrub)))


def _work(blanks: int, monkeypatch) -> tuple[int, int]:
    """(calls, characters they may scan) to de-identify and scrub the texts with `blanks` blanks per run."""
    tally = _Tally()
    rules = _counted_rules(tally)
    monkeypatch.setattr(deid, "re", _CountingRe(tally))
    monkeypatch.setattr(deid, "_NAME_PIECE", _CountedPattern(deid._NAME_PIECE, tally))
    try:
        for text in _texts(blanks):
            _assert_redacted(deidentify(text, rules).text, blanks)
            _assert_redacted(scrub(text, rules), blanks)
    finally:
        monkeypatch.undo()
    return tally.calls, tally.chars


def test_the_work_of_deidentification_grows_linearly_with_a_run_of_blanks(monkeypatch):
    """Counted, not timed: ten times the blanks, at most ten times the characters offered to the patterns
    (plus a little) and no more calls. Does not see work inside one regex call: the next test does."""
    n = 1_000
    calls, chars = _work(n, monkeypatch)
    calls10, chars10 = _work(10 * n, monkeypatch)
    assert calls > 0 and chars >= 3 * 3 * n  # the counting proxy did see the patterns run
    assert calls10 <= calls, f"{calls} calls for {n} blanks, {calls10} for {10 * n}"
    assert chars10 <= 10.5 * chars + 10_000, f"{chars} characters scanned for {n} blanks, {chars10} for {10 * n}"


CPU_BUDGET_S = 40  # CPU seconds; the linear code takes about 3 s, the quadratic patterns of issue 22 over 10 min

_CHILD = r"""
import json, resource, sys, tempfile
from pathlib import Path
budget = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 5))
from pathx.ingestion.deid import deidentify
from pathx.ingestion.scrub import scrub
from pathx.ingestion.pipeline import IngestOptions, extract_file
texts = json.loads(sys.stdin.read())
out = {"deid": [deidentify(t).text for t in texts], "scrub": [scrub(t) for t in texts]}
tmp = Path(tempfile.mkdtemp())
path = tmp / "wide.txt"
path.write_text("FINAL DIAGNOSIS: Left breast, invasive ductal carcinoma, Nottingham grade 2." + " " * len(texts[0])
                + "ER positive (95%). HER2 negative (1+). Patient: Odessa Kleinfeld\n")
res = extract_file(path, tmp, None, IngestOptions())
out["ingest"] = {"error": res.error, "units": [u.text for u in res.units]}
print(json.dumps(out))
"""


def test_60000_blanks_are_deidentified_scrubbed_and_ingested_within_a_forced_cpu_budget(tmp_path):
    """Inside one regex call: no pattern may be tried at every blank and read the rest of the run. The
    child process gets RLIMIT_CPU (CPU time, not the wall clock) of CPU_BUDGET_S: about ten times what
    the linear code needs and a small fraction of what one quadratic pattern needs on 60,000 blanks, so
    the kernel stops the child (SIGXCPU) exactly when the work is quadratic. The wall-clock timeout is a
    hang guard only."""
    texts = _texts(BLANKS)
    env = {**os.environ, "PATHX_CACHE_DIR": str(tmp_path / "cache"), "PATHX_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(CPU_BUDGET_S)], input=json.dumps(texts),
                          capture_output=True, text=True, timeout=900, env=env, cwd=tmp_path)
    assert proc.returncode != -signal.SIGXCPU, f"over the budget of {CPU_BUDGET_S} CPU seconds: quadratic work"
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    for text in out["deid"] + out["scrub"]:
        _assert_redacted(text, BLANKS)
    assert out["ingest"]["error"] is None and out["ingest"]["units"]
    assert all("Kleinfeld" not in u for u in out["ingest"]["units"])
