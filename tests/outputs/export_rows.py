"""Hand-made output rows shared by the FHIR and NAACCR export tests: every shape a row can take (details
present or absent, yp, clinical prefixes, M1, nothing found, an error)."""
from __future__ import annotations

from pathx import schema


def row(file: str, specimen: str | None = None, **values) -> dict:
    out = {c: None for c in schema.OUTPUT_COLUMNS}
    out.update(file=file, specimen=specimen, needs_review=False, status="ok", bundle="rules-9.9.9")
    out.update(values)
    return out


FULL = row("site a/r1 & <x>.txt", "left", t_stage="T1", n_stage="N1mi", m_stage="M0", grade="G2", er="Positive",
           pr="Negative", her2="Equivocal", t_stage_confidence=0.9731, t_detail="pT1c(m)", n_detail="pN1mi(sn)",
           m_detail="cM0(i+)", ihc_her2="2+", ish_her2="not amplified", er_percent="95", pr_percent="<1",
           anatomic_stage="IIA", prognostic_stage="IB", needs_review=True)
RIGHT = row("site a/r1 & <x>.txt", "right", t_stage="T2", n_stage="N0", m_stage="M1", grade="G3", er="Negative",
            pr="Negative", her2="Positive", anatomic_stage="IV", prognostic_stage="IV")
YP = row("neo/r2.pdf", None, t_stage="T1", n_stage="N0", grade="G1", er="Positive", t_detail="ypT1c",
         anatomic_stage="IA", prognostic_stage=None)
CLINICAL = row("r3.txt", None, t_stage="T2", m_stage="M1", t_detail="cT2", m_detail="cM1")
BARE = row("r4.txt", "left", t_stage="Tis", n_stage="N3", grade="G1")  # no detail columns at all
EMPTY = row("r5.txt")  # nothing found
ERROR = {**row("broken.pdf"), "status": "error", "needs_review": True,
         "error": "broken.pdf: not a PDF (bad header) & <unreadable>"}

ROWS = [FULL, RIGHT, YP, CLINICAL, BARE, EMPTY, ERROR]
