"""The `.fhir.json` writer: a FHIR R4 Bundle after mCODE STU4, parsed back with fhir.resources, with the
codes of pathx/outputs/codes.py, error rows as OperationOutcomes, and the rows read back exactly."""
from __future__ import annotations

import io
import json

import pytest
from export_rows import BARE, CLINICAL, EMPTY, ERROR, FULL, RIGHT, ROWS, YP
from fhir.resources.R4B.bundle import Bundle

import pathx
from pathx import schema
from pathx.outputs import writer as registry
from pathx.outputs.fhir_writer import ROW_EXTENSION

SCT, LOINC = "http://snomed.info/sct", "http://loinc.org"


def written(rows) -> str:
    fh = io.StringIO()
    assert registry.writer_for("x.fhir.json").write_rows(fh, rows) == len(rows)
    return fh.getvalue()


@pytest.fixture(scope="module")
def bundle():
    return Bundle.model_validate_json(written(ROWS))  # fhir.resources validates every resource


def resources(bundle, kind):
    return [e.resource for e in bundle.entry if e.resource.__resource_type__ == kind]


def observations_of(bundle, row):
    """Observations whose Specimen is the row's, by Observation.code (first coding's code)."""
    specimen = next(e for e in bundle.entry if e.resource.__resource_type__ == "Specimen"
                    and e.resource.identifier[0].value == f"{row['file']}#{row['specimen'] or ''}")
    return {o.code.coding[0].code: o for o in resources(bundle, "Observation")
            if o.specimen.reference == specimen.fullUrl}


def codings(cc):
    return {(c.system, c.code) for c in (cc.coding or [])}


def test_bundle_is_a_collection_with_versions_and_resolvable_references(bundle):
    assert bundle.type == "collection"
    tags = {(t.system, t.code) for t in bundle.meta.tag}
    assert ("urn:pathx:engine", pathx.__version__) in tags and ("urn:pathx:bundle", "rules-9.9.9") in tags
    assert bundle.identifier.value.startswith(f"pathx-{pathx.__version__}-")
    urls = {e.fullUrl for e in bundle.entry}
    assert len(urls) == len(bundle.entry)
    for e in bundle.entry:
        assert e.fullUrl == f"urn:uuid:{e.resource.id}"
        refs = json.dumps(e.resource.model_dump(mode="json"))
        for ref in [part.split('"')[0] for part in refs.split('"reference": "')[1:]]:
            assert ref in urls  # subject, specimen, hasMember all point inside the bundle


def test_one_patient_per_file_one_specimen_per_row(bundle):
    patients = resources(bundle, "Patient")
    assert sorted(p.identifier[0].value for p in patients) == sorted({r["file"] for r in ROWS if r is not ERROR})
    specimens = resources(bundle, "Specimen")
    assert len(specimens) == len(ROWS) - 1  # every ok row, EMPTY included
    sites = {s.identifier[0].value: s.collection.bodySite.coding[0].code for s in specimens}
    assert sites[f"{FULL['file']}#left"] == "80248007" and sites[f"{RIGHT['file']}#right"] == "73056007"
    assert sites["r5.txt#"] == "76752008"
    for p in patients:  # no PHI fields: the file path is the only identifier
        assert set(p.model_dump(exclude_none=True)) <= {"resourceType", "id", "identifier"}


def test_tnm_stage_marker_and_grade_codes(bundle):
    obs = observations_of(bundle, FULL)
    t, n, m = obs["384625004"], obs["371494008"], obs["399387003"]  # pT, pN, and cM category
    assert codings(t.valueCodeableConcept) == {(SCT, "1229846008")} and t.valueCodeableConcept.text == "pT1c(m)"
    assert codings(n.valueCodeableConcept) == {(SCT, "1229952008")} and n.valueCodeableConcept.text == "pN1mi(sn)"
    assert codings(m.valueCodeableConcept) == {(SCT, "1229902004")}  # cM0(i+)
    assert all(codings(o.method) == {(SCT, "897275008")} for o in (t, n, m))
    stage = obs["399588009"]
    assert codings(stage.valueCodeableConcept) == {(SCT, "1222766008")}
    assert stage.valueCodeableConcept.text == "Stage IIA"
    assert {h.reference for h in stage.hasMember} == {f"urn:uuid:{o.id}" for o in (t, n, m)}
    er, pr, her2 = obs["85337-4"], obs["85339-0"], obs["48676-1"]
    assert codings(er.valueCodeableConcept) == {(SCT, "10828004"), (LOINC, "LA6576-8")}
    assert "95%" in er.note[0].text
    assert codings(pr.valueCodeableConcept) == {(SCT, "260385009"), (LOINC, "LA6577-6")}
    assert codings(her2.valueCodeableConcept) == {(SCT, "42425007")}
    assert obs["85319-2"].valueCodeableConcept.text == "IHC score 2+"
    assert codings(obs["85318-4"].valueCodeableConcept) == {(SCT, "260385009"), (LOINC, "LA6577-6")}
    grade = obs["C18000"]
    assert codings(grade.valueCodeableConcept) == {(SCT, "1286893008")}
    assert all(o.status == "final" and o.subject.reference.startswith("urn:uuid:") for o in obs.values())


def test_prefixes_pick_pathological_or_clinical(bundle):
    right = observations_of(bundle, RIGHT)
    assert codings(right["371497001"].valueCodeableConcept) == {(SCT, "1229916009")}  # M1, no detail: pM1
    assert codings(right["399588009"].valueCodeableConcept) == {(SCT, "1222837003")}  # stage IV
    yp = observations_of(bundle, YP)
    assert yp["384625004"].valueCodeableConcept.text == "ypT1c"
    assert not yp["384625004"].valueCodeableConcept.coding  # no SNOMED yp code in the table: text only
    clin = observations_of(bundle, CLINICAL)
    assert codings(clin["399504009"].valueCodeableConcept) == {(SCT, "1228929004")}  # cT2
    assert codings(clin["399387003"].valueCodeableConcept) == {(SCT, "1229903009")}  # cM1
    bare = observations_of(bundle, BARE)
    assert codings(bare["384625004"].valueCodeableConcept) == {(SCT, "1228953005")}  # pTis
    assert codings(bare["371494008"].valueCodeableConcept) == {(SCT, "1229962001")}  # pN3
    assert "85319-2" not in bare and "399588009" not in bare  # no IHC score, no stage: no observation
    assert observations_of(bundle, EMPTY) == {}


def test_error_rows_are_operation_outcomes_only(bundle):
    outcomes = resources(bundle, "OperationOutcome")
    assert len(outcomes) == 1
    issue = outcomes[0].issue[0]
    assert issue.severity == "error" and issue.code == "processing" and issue.diagnostics == ERROR["error"]
    assert not any("broken.pdf" in (p.identifier[0].value) for p in resources(bundle, "Patient"))


def test_rows_read_back_exactly_and_output_is_deterministic():
    text = written(ROWS)
    assert written(ROWS) == text  # no timestamps, uuid5 ids
    writer = registry.writer_for("x.fhir.json")
    back = [writer.restore(r) for r in writer.read_rows(text)]
    assert len(back) == len(ROWS)
    for got, want in zip(back, ROWS):
        assert got == want  # output columns, detail columns; no evidence
    assert all(json.loads(e["resource"]["extension"][0]["valueString"])["file"]
               for e in json.loads(text)["entry"] if e["resource"]["resourceType"] in ("Specimen", "OperationOutcome")
               and e["resource"]["extension"][0]["url"] == ROW_EXTENSION)


def test_evidence_never_reaches_the_export():
    r = {**FULL, "evidence": {t: "Patient Name: Quillfeather" for t in schema.TASKS}}
    assert "Quillfeather" not in written([r])
