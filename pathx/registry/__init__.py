"""Registry output: values a cancer registry needs beyond the seven grouped fields, derived deterministically
from what pathx extracts: detail values (pT1c, pN1mi(sn), HER2 IHC score, ER %), AJCC 8th edition stage groups."""

from pathx import fields



def registry_columns(engine, text: str, labels: dict[str, str | None], *, findings: dict | None = None,
                     mentions: list | None = None) -> dict[str, str | None]:
    """The registry columns of one output row: detail values from the rule engine's evidence in
    `text` (None without a rule engine), kept only where the row's own value (`labels`, which may
    come from a model) is the value the evidence gives; then the AJCC stage groups of the labels.
    `findings`/`mentions`: the engine's results for `text` when already at hand (a Unit's)."""
    from pathx.registry.details import details
    from pathx.registry.staging import anatomic_stage, prognostic_stage

    out: dict[str, str | None] = dict.fromkeys(fields.DETAIL_COLUMNS + fields.STAGE_COLUMNS)
    if engine is not None:
        findings = findings if findings is not None else engine.extract(text)
        for col, value in details(engine, text, findings, mentions).items():
            f = findings.get(fields.DETAILS[col])
            if value is not None and f is not None and labels.get(fields.DETAILS[col]) == f.value:
                out[col] = value
    t, n, m = labels.get("t_stage"), labels.get("n_stage"), labels.get("m_stage")
    out["anatomic_stage"] = anatomic_stage(t, n, m)
    out["prognostic_stage"] = prognostic_stage(t, n, m, labels.get("grade"), labels.get("er"), labels.get("pr"),
                                               labels.get("her2"), yp=(out["t_detail"] or "").startswith("yp"))
    return out
