"""The `.fhir.json` output: one FHIR R4 Bundle (type `collection`) shaped after HL7 mCODE STU4 (4.0.0).

Code tables and their sources: pathx/outputs/codes.py. Resources are built and checked with the
`fhir.resources` library (its R4B models: FHIR 4.3, whose Bundle, Patient, Specimen, Observation and
OperationOutcome are the R4 ones for every element written here), and the test suite parses the written
file back into a Bundle model.

Per row with status ok, in row order (references are `urn:uuid:` fullUrls, uuid5 of the file path and
specimen, so the same ledger gives the same file):

- Patient (once per report file): identifier `urn:pathx:report-file` = the file path. No name, no
  birth date, no MRN: as in the CSV, the file path is the only identifier (pathx output holds no PHI).
- Specimen (one per row): subject the Patient, type v2-0487 TISS, collection.bodySite left / right
  breast (breast structure when the side is not known), identifier `urn:pathx:specimen` =
  `<file>#<left|right|>`. It carries the pathx row as an extension (below).
- Observations, status final, subject the Patient, specimen the Specimen, category laboratory:
  * TNM categories (mCODE TNMPrimaryTumorCategory / TNMRegionalNodesCategory /
    TNMDistantMetastasesCategory): code pT/pN/pM category, or cT/cN/cM when the detail's prefix is c;
    a p or yp prefix or none is pathological. M0 is always cM0 (AJCC 8 has no pM0 category); M1 is pM1
    unless the report wrote cM1. method = AJCC 8th edition. Value: the SNOMED CT AJCC code of the most
    specific category in the table (pN1mi, pN0(i+), pT1c; the group pT2 for pT2(m)), text = the
    category as written (`ypT1c`, `pN1mi(sn)`), else prefix + grouped label. yp values have no SNOMED
    code in the table: text only.
  * Stage group (mCODE TNMStageGroup) from `anatomic_stage`: code pathologic (clinical when the T
    detail is clinical) TNM stage grouping, value the SNOMED "AJCC stage ..." code, text "Stage IIA",
    hasMember the T/N/M observations. `prognostic_stage` is not exported (TNMStageGroup has one value
    and no SNOMED concept distinguishes the prognostic table); the NAACCR export carries it.
  * Tumor markers (mCODE TumorMarkerTest): ER 85337-4, PR 85339-0, HER2 48676-1, value Positive /
    Negative / Equivocal (SNOMED and, for positive/negative, LOINC answer codes), the percentage as
    written in a note. With the detail columns: HER2 IHC score (85319-2, value text "2+") and HER2 ISH
    (85318-4, value Positive / Negative / Equivocal for amplified / not amplified / equivocal; LOINC's
    code says FISH, pathx does not tell FISH from other ISH methods).
  * Histologic grade (mCODE HistologicGrade, code NCIt C18000): G1/G2/G3 as low / intermediate / high
    histologic grade, text "G2 (Nottingham)".
- Rows with no value at all still get their Patient and Specimen, so every (file, specimen) shows.

Error rows (status error) produce no clinical resource: each is one OperationOutcome entry, issue
severity error, code processing, diagnostics = the row's one-line error (which names the file), plus the
row extension. A receiver that imports Observations skips them; a person reading the bundle sees them.

Versions: Bundle.meta.tag `urn:pathx:engine` = pathx's version, `urn:pathx:bundle` = each distinct row
`bundle` (the predictor: a model bundle or the rule set); Bundle.identifier `urn:pathx:export` =
`pathx-<version>-<hash of the rows>`. No timestamps (the same rows give the same bytes; dates of the
report are PHI-adjacent and pathx does not extract them).

Round trip: each Specimen / OperationOutcome carries the extension `urn:pathx:fhir:output-row`, whose
valueString is the pathx row as JSON (the output columns and the detail columns the row has), so
`read_rows` gives back exactly the rows (`pathx run --rebuild-ledger`, `pathx review`); receivers ignore
it.

Known gaps to full mCODE conformance, left on purpose (so resources do not claim mCODE profiles in
meta.profile): no PrimaryCancerCondition (pathx asserts no diagnosis; TNMStageGroup.focus is required by
mCODE), no effective[x] (no dates are extracted), no performer.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from typing import Iterable, TextIO

import pathx
from pathx import schema
from pathx.outputs import codes
from pathx.outputs import csv_writer, jsonl_writer  # noqa: F401  registered first, whoever imports this module
from pathx.outputs.writer import OutputWriter, register

ROW_EXTENSION = "urn:pathx:fhir:output-row"
FILE_SYSTEM = "urn:pathx:report-file"
SPECIMEN_SYSTEM = "urn:pathx:specimen"
EXPORT_SYSTEM = "urn:pathx:export"
ENGINE_TAG = "urn:pathx:engine"
BUNDLE_TAG = "urn:pathx:bundle"
# Optional row keys (issue 17 detail columns), kept in the row extension when a row has them.
EXTRA_COLUMNS = ("t_detail", "n_detail", "m_detail", "ihc_her2", "ish_her2", "er_percent", "pr_percent",
                 "anatomic_stage", "prognostic_stage", "review")
_NS = uuid.UUID("6f1c3d7e-5b0a-4e1f-9c52-0d8a7b3e2f10")  # pathx's uuid5 namespace for resource ids


def row_json(row: dict) -> str:
    """The row as the exports keep it: output columns, then the detail columns it has (no evidence)."""
    obj = {c: row.get(c) for c in schema.OUTPUT_COLUMNS}
    obj.update({c: row[c] for c in EXTRA_COLUMNS if c in row and c not in obj})
    return json.dumps(obj, ensure_ascii=False, sort_keys=False)


def _id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "\x1f".join(parts)))


def _ref(rid: str) -> dict:
    return {"reference": f"urn:uuid:{rid}"}


def _cc(codings: list[tuple[str, str, str]], text: str | None = None) -> dict:
    cc: dict = {"coding": [{"system": s, "code": c, "display": d} for s, c, d in codings]}
    if text:
        cc["text"] = text
    return cc


def _category_cc() -> list[dict]:
    return [_cc([(codes.OBSERVATION_CATEGORY, "laboratory", "Laboratory")])]


class _Builder:
    def __init__(self):
        self.entries: list[dict] = []
        self.patients: set[str] = set()

    def add(self, resource: dict) -> str:
        rid = resource["id"]
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": resource})
        return rid

    def observation(self, key: tuple[str, ...], code: dict, value: dict, patient: str, specimen: str,
                    **extra) -> str:
        obs = {"resourceType": "Observation", "id": _id("obs", *key), "status": "final",
               "category": _category_cc(), "code": code, "subject": _ref(patient),
               "specimen": _ref(specimen), "valueCodeableConcept": value}
        obs.update(extra)
        return self.add(obs)

    # --------------------------------------------------------------------------------------------

    def row(self, row: dict) -> None:
        file = row.get("file") or ""
        if row.get("status") == "error":
            self.add({"resourceType": "OperationOutcome", "id": _id("error", file),
                      "extension": [{"url": ROW_EXTENSION, "valueString": row_json(row)}],
                      "issue": [{"severity": "error", "code": "processing",
                                 "diagnostics": row.get("error") or f"{file}: error"}]})
            return
        side = row.get("specimen")
        patient = _id("patient", file)
        if patient not in self.patients:
            self.patients.add(patient)
            self.add({"resourceType": "Patient", "id": patient,
                      "identifier": [{"system": FILE_SYSTEM, "value": file}]})
        site_code, site_display = codes.BODY_SITE.get(side, codes.BODY_SITE[None])
        specimen = self.add({
            "resourceType": "Specimen", "id": _id("specimen", file, side or ""),
            "extension": [{"url": ROW_EXTENSION, "valueString": row_json(row)}],
            "identifier": [{"system": SPECIMEN_SYSTEM, "value": f"{file}#{side or ''}"}],
            "type": _cc([codes.SPECIMEN_TYPE]),
            "subject": _ref(patient),
            "collection": {"bodySite": _cc([(codes.SNOMED, site_code, site_display)])},
        })
        key = (file, side or "")
        members = self._tnm(row, key, patient, specimen)
        self._stage(row, key, patient, specimen, members)
        self._markers(row, key, patient, specimen)
        self._grade(row, key, patient, specimen)

    def _tnm(self, row, key, patient, specimen) -> list[str]:
        members = []
        for letter, task in (("T", "t_stage"), ("N", "n_stage"), ("M", "m_stage")):
            cat = codes.category(letter, row.get(task), row.get(f"{letter.lower()}_detail"))
            if cat is None:
                continue
            type_code, type_display = codes.STAGING_TYPE[(letter, "p" if cat.pathological else "c")]
            snomed = codes.snomed_category(cat)
            text = cat.written or cat.ajcc
            value = _cc([(codes.SNOMED, snomed[0], f"American Joint Committee on Cancer {snomed[1]}")]
                        if snomed else [], text)
            if not value["coding"]:
                del value["coding"]
            members.append(self.observation(
                key + (task,), _cc([(codes.SNOMED, type_code, type_display)]), value, patient, specimen,
                method=_cc([(codes.SNOMED, *codes.AJCC8_METHOD)])))
        return members

    def _stage(self, row, key, patient, specimen, members) -> None:
        stage = row.get("anatomic_stage")
        if not stage:
            return
        t = codes.category("T", row.get("t_stage"), row.get("t_detail"))
        kind = "c" if t is not None and not t.pathological else "p"
        type_code, type_display = codes.STAGING_TYPE[("stage", kind)]
        known = codes.STAGE_GROUP.get(stage)
        value = _cc([(codes.SNOMED, known[0], f"American Joint Committee on Cancer stage {stage}")] if known else [],
                    f"Stage {stage}")
        if not value["coding"]:
            del value["coding"]
        extra = {"method": _cc([(codes.SNOMED, *codes.AJCC8_METHOD)])}
        if members:
            extra["hasMember"] = [_ref(m) for m in members]
        self.observation(key + ("anatomic_stage",), _cc([(codes.SNOMED, type_code, type_display)]), value,
                         patient, specimen, **extra)

    def _markers(self, row, key, patient, specimen) -> None:
        for task in ("er", "pr", "her2"):
            label = row.get(task)
            if label not in codes.RESULT_VALUE:
                continue
            loinc, display = codes.MARKER_TEST[task]
            extra = {}
            pct = row.get(f"{task}_percent") if task in ("er", "pr") else None
            if pct:
                extra["note"] = [{"text": f"{pct}% of tumour cell nuclei stained (as written in the report)"}]
            self.observation(key + (task,), _cc([(codes.LOINC, loinc, display)]),
                             _cc(codes.RESULT_VALUE[label], label), patient, specimen, **extra)
        ihc = row.get("ihc_her2")
        if ihc in codes.HER2_IHC:
            loinc, display = codes.MARKER_TEST["ihc_her2"]
            self.observation(key + ("ihc_her2",), _cc([(codes.LOINC, loinc, display)]),
                             {"text": f"IHC score {ihc}"}, patient, specimen)
        ish = row.get("ish_her2")
        if ish in codes.ISH_VALUE:
            loinc, display = codes.MARKER_TEST["ish_her2"]
            label = codes.ISH_VALUE[ish]
            self.observation(key + ("ish_her2",), _cc([(codes.LOINC, loinc, display)]),
                             _cc(codes.RESULT_VALUE[label], ish), patient, specimen)

    def _grade(self, row, key, patient, specimen) -> None:
        grade = row.get("grade")
        if grade not in codes.GRADE_VALUE:
            return
        code, display = codes.GRADE_VALUE[grade]
        self.observation(key + ("grade",), _cc([codes.HISTOLOGIC_GRADE_CODE]),
                         _cc([(codes.SNOMED, code, display)], f"{grade} (Nottingham)"), patient, specimen)


def build_bundle(rows: Iterable[dict]):
    """The fhir.resources Bundle model of the rows (validated as it is built)."""
    from fhir.resources.R4B.bundle import Bundle

    rows = list(rows)
    builder = _Builder()
    for row in rows:
        builder.row(row)
    bundles = sorted({str(r.get("bundle")) for r in rows if r.get("bundle")})
    digest = hashlib.sha256("\n".join(row_json(r) for r in rows).encode("utf-8")).hexdigest()[:16]
    tags = [{"system": ENGINE_TAG, "code": pathx.__version__, "display": f"pathx {pathx.__version__}"}]
    tags += [{"system": BUNDLE_TAG, "code": b} for b in bundles]
    return Bundle.model_validate({
        "resourceType": "Bundle",
        "id": _id("bundle", digest),
        "meta": {"tag": tags},
        "identifier": {"system": EXPORT_SYSTEM, "value": f"pathx-{pathx.__version__}-{digest}"},
        "type": "collection",
        "entry": builder.entries,
    }), len(rows)


@register
class FhirWriter(OutputWriter):
    suffix = ".fhir.json"
    name = "fhir"
    help = "FHIR R4 Bundle with mCODE STU4 codes"

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        bundle, count = build_bundle(rows)
        fh.write(bundle.model_dump_json(indent=1, exclude_none=True))
        fh.write("\n")
        return count

    def read_rows(self, text: str) -> list[dict]:
        from fhir.resources.R4B.bundle import Bundle

        bundle = Bundle.model_validate_json(text)
        out = []
        for entry in bundle.entry or []:
            for ext in getattr(entry.resource, "extension", None) or []:
                if ext.url == ROW_EXTENSION:
                    out.append(json.loads(ext.valueString))
        return out
