"""The `.naaccr.xml` writer: well-formed NAACCR XML 1.8 (v25 dictionary), parsed back with xml.etree to the
same values: AJCC 8 TNM items, grade, the breast SSDIs, one Patient per file and one Tumor per specimen,
error rows kept outside the Patients, and the rows read back exactly."""
from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from export_rows import BARE, CLINICAL, EMPTY, ERROR, FULL, RIGHT, ROWS, YP

import pathx
from pathx.outputs import codes
from pathx.outputs import writer as registry
from pathx.outputs.naaccr_writer import PX, patient_id

NS = "{http://naaccr.org/naaccrxml}"


def written(rows) -> str:
    fh = io.StringIO()
    assert registry.writer_for("x.naaccr.xml").write_rows(fh, rows) == len(rows)
    return fh.getvalue()


def items(el) -> dict[str, str]:
    return {i.get("naaccrId"): i.text for i in el.findall(f"{NS}Item")}


def tumors_by_file() -> tuple[ET.Element, dict[str, list[dict]]]:
    root = ET.fromstring(written(ROWS))
    out: dict[str, list[dict]] = {}
    for patient in root.findall(f"{NS}Patient"):
        pid = items(patient)["patientIdNumber"]
        for tumor in patient.findall(f"{NS}Tumor"):
            row = json.loads(tumor.find(f"{{{PX}}}Row").text)
            out.setdefault(row["file"], []).append({"pid": pid, "row": row, **items(tumor)})
    return root, out


def test_root_follows_the_naaccr_xml_spec():
    root, _ = tumors_by_file()
    assert root.tag == f"{NS}NaaccrData"
    assert root.get("baseDictionaryUri") == "http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"
    assert root.get("recordType") == "I" and root.get("specificationVersion") == "1.8"
    assert items(root) == {"recordType": "I", "naaccrRecordVersion": "250"}
    export = root.find(f"{{{PX}}}Export")
    assert export.get("engine") == pathx.__version__ and export.get("bundles") == "rules-9.9.9"
    # schema order: Items, then extension elements, then Patients
    kinds = [("item" if c.tag == f"{NS}Item" else "patient" if c.tag == f"{NS}Patient" else "ext") for c in root]
    assert kinds == sorted(kinds, key=["item", "ext", "patient"].index)
    for el in root.iter(f"{NS}Item"):  # every item is a v25 item, with its number
        assert int(el.get("naaccrNum")) == codes.NAACCR_ITEMS[el.get("naaccrId")][0]


def test_values_of_a_full_row():
    _, by_file = tumors_by_file()
    left, right = by_file[FULL["file"]]
    assert left["pid"] == right["pid"] and len(left["pid"]) == 8 and left["pid"].isdigit()
    assert (left["tumorRecordNumber"], right["tumorRecordNumber"]) == ("01", "02")
    expect = {"primarySite": "C509", "laterality": "2", "ajccTnmPathT": "pT1c", "ajccTnmPathTSuffix": "(m)",
              "ajccTnmPathN": "pN1mi", "ajccTnmPathNSuffix": "(sn)", "ajccTnmPathM": "cM0(i+)",
              "ajccTnmPathStageGroup": "1B", "tnmEditionNumber": "08", "gradePathological": "2",
              "estrogenReceptorSummary": "1", "estrogenReceptorPercntPosOrRange": "095",
              "progesteroneRecepSummary": "0", "progesteroneRecepPrcntPosOrRange": "000",
              "her2OverallSummary": "0", "her2IhcSummary": "2", "her2IshSummary": "0"}
    assert {k: left.get(k) for k in expect} == expect
    assert right["laterality"] == "1" and right["ajccTnmPathM"] == "pM1" and right["ajccTnmPathStageGroup"] == "4"
    assert right["her2OverallSummary"] == "1" and right["estrogenReceptorSummary"] == "0"
    assert "her2IhcSummary" not in right and "estrogenReceptorPercntPosOrRange" not in right


def test_yp_clinical_bare_and_empty_rows():
    _, by_file = tumors_by_file()
    (yp,) = by_file[YP["file"]]
    assert yp["ajccTnmPostTherapyT"] == "ypT1c" and yp["ajccTnmPostTherapyN"] == "ypN0"
    assert yp["ajccTnmPostTherapyStageGroup"] == "1A" and yp["gradePostTherapy"] == "1"
    assert not any(k.startswith("ajccTnmPath") or k == "gradePathological" for k in yp)
    assert yp["laterality"] == "9"
    (clin,) = by_file[CLINICAL["file"]]
    assert clin["ajccTnmClinT"] == "cT2" and clin["ajccTnmPathM"] == "cM1" and "ajccTnmPathT" not in clin
    (bare,) = by_file[BARE["file"]]
    assert (bare["ajccTnmPathT"], bare["ajccTnmPathN"]) == ("pTis", "pN3") and "ajccTnmPathM" not in bare
    assert "ajccTnmPathStageGroup" not in bare  # no prognostic stage in the row
    (empty,) = by_file[EMPTY["file"]]
    assert set(empty) - {"pid", "row"} == {"tumorRecordNumber", "primarySite", "laterality"}


def test_items_are_in_item_number_order():
    root, _ = tumors_by_file()
    for tumor in root.iter(f"{NS}Tumor"):
        nums = [int(i.get("naaccrNum")) for i in tumor.findall(f"{NS}Item")]
        assert nums == sorted(nums)


def test_error_rows_stay_outside_the_patients():
    root, by_file = tumors_by_file()
    assert ERROR["file"] not in by_file
    (err,) = root.findall(f"{{{PX}}}ErrorRow")
    assert err.get("error") == ERROR["error"]


def test_rows_read_back_exactly_and_output_is_deterministic():
    text = written(ROWS)
    assert written(ROWS) == text
    writer = registry.writer_for("x.naaccr.xml")
    back = [writer.restore(r) for r in writer.read_rows(text)]
    key = lambda r: (r["file"], r["specimen"] or "")  # noqa: E731  error rows come first in the file
    assert sorted(back, key=key) == sorted(ROWS, key=key)


def test_patient_ids_are_stable_and_never_shared():
    a = patient_id("x/report.txt")
    assert a == patient_id("x/report.txt") and len(a) == 8 and a.isdigit()
    assert a != patient_id("x/report2.txt")


def _pids(text) -> dict[str, str]:
    root = ET.fromstring(text.encode("utf-8"))
    return {json.loads(t.find(f"{{{PX}}}Row").text)["file"]: items(p)["patientIdNumber"]
            for p in root.findall(f"{NS}Patient") for t in p.findall(f"{NS}Tumor")}


def test_adding_a_report_never_moves_another_reports_id_and_a_collision_is_refused(monkeypatch):
    from export_rows import row

    import pathx.outputs.naaccr_writer as naaccr
    from pathx.outputs.writer import OutputRefused

    monkeypatch.setattr(naaccr, "ID_SPACE", 7)  # a tiny hash space: collisions within a few files
    files = [f"r{i:02d}.txt" for i in range(20)]
    by_id: dict[str, str] = {}
    for f in files:  # find two files whose derived ids meet
        clash = by_id.setdefault(patient_id(f), f)
        if clash != f:
            break
    base = [row(clash, "left", t_stage="T2")]
    before = _pids(written(base))
    with pytest.raises(OutputRefused, match=rf"patientIdNumber {patient_id(f)} would name two patients "
                                            rf"\({clash} and {f}\).*--naaccr-ids"):
        written(base + [row(f, "left", t_stage="T1")])
    # The site maps the newcomer: both are exported, the old report keeps its number.
    fh = io.StringIO()
    registry.writer_for("x.naaccr.xml").with_patient_ids({f: "00000099"}).write_rows(
        fh, base + [row(f, "left", t_stage="T1")])
    after = _pids(fh.getvalue())
    assert after[clash] == before[clash] and after[f] == "00000099"
    # The full digest rides beside the 8 digits, in pathx's extension element.
    keys = [k.text for k in ET.fromstring(fh.getvalue().encode()).iter(f"{{{PX}}}PatientKey")]
    assert naaccr.path_digest(clash) in keys and "00000099" in keys


def test_a_site_mapping_file_names_patients_and_groups_their_reports(tmp_path):
    from export_rows import row

    from pathx.outputs.naaccr_writer import load_patient_ids

    csv_path = tmp_path / "ids.csv"
    csv_path.write_text("path,patient_id\na.txt,4711\nb.txt,4711\n")
    ids = load_patient_ids(csv_path)
    assert ids == {"a.txt": "00004711", "b.txt": "00004711"}
    fh = io.StringIO()
    registry.writer_for("x.naaccr.xml").with_patient_ids(ids).write_rows(
        fh, [row("a.txt", "left", t_stage="T2"), row("b.txt", "right", t_stage="T1")])
    root = ET.fromstring(fh.getvalue().encode())
    (patient,) = root.findall(f"{NS}Patient")  # one patient, two tumours
    assert [items(t)["tumorRecordNumber"] for t in patient.findall(f"{NS}Tumor")] == ["01", "02"]
    csv_path.write_text("path,patient_id\na.txt,47x1\n")
    with pytest.raises(ValueError, match="ids.csv line 2"):
        load_patient_ids(csv_path)


def test_text_xml_cannot_hold_is_escaped_and_still_reads_back():
    from export_rows import row
    bad = {**row("odd\udcfcname.txt", "left", t_stage="T2"), "error": None}
    err = {**row("bell.pdf"), "status": "error", "error": "bell.pdf: \x07 control \ud800 char"}
    text = written([bad, err])
    root = ET.fromstring(text.encode("utf-8"))  # well-formed
    assert root.find(f"{{{PX}}}ErrorRow").get("error") == "bell.pdf: \\x07 control \\ud800 char"
    back = registry.writer_for("x.naaccr.xml").read_rows(text)
    assert {r["file"] for r in back} == {"odd\udcfcname.txt", "bell.pdf"}
