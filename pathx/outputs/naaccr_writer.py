"""The `.naaccr.xml` output: NAACCR XML (specification 1.8, NAACCR v25 base dictionary), one Patient per
report file and one Tumor per (file, specimen) row. Item numbers, naaccrIds and codes, with their sources:
pathx/outputs/codes.py.

Root: `<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri=".../naaccr-dictionary-250.xml"
recordType="I" specificationVersion="1.8">` with the items recordType (10) `I` and naaccrRecordVersion (50)
`250`. recordType I (incidence): every item written is allowed in A, M, C and I records. No timeGenerated:
the same rows give the same bytes.

Patient: patientIdNumber (20; NAACCR v25: 8 characters, digits, left zero-padded, no longer item allows
record type I), stable and never reassigned:
- from a site mapping (`pathx run --naaccr-ids FILE`, a CSV with the header `path,patient_id`: the
  output's `file` value and 1-8 digits), which is how a registry's own patient numbers get in; files
  mapped to one number are one Patient (one Tumor per row of each, numbered in file order);
- otherwise derived from the file path alone: the SHA-256 of the path, as a number, modulo 10^8
  (zero-padded). The number never depends on the other files, so adding, removing or renaming a
  report never moves another report's number. 8 digits hold 10^8 values: two files of one export may
  meet on one number (about 1 in 200 for 1,000 files, 2 in 5 for 10,000); the export is then refused
  (OutputRefused: `pathx run` exits 2 naming both files) rather than renumbered, and the cure is a
  mapping file. Whether mapped or derived, one number on two Patients is refused.
The number does not reveal the path. Each Patient carries `<px:PatientKey source="path-sha256|site">`
(an extension element, before its Tumors): for a derived number the full SHA-256 of the path, which
never collides; for a mapped one the mapping's number. The path itself travels, as in the CSV, in the
pathx extension element below, not in a NAACCR item.

Tumor, items in item-number order (an item is left out when pathx has no value for it):

- tumorRecordNumber (60) 01, 02 ... within the patient; primarySite (400) C509 (breast, NOS: pathx
  reads breast pathology reports and does not extract the subsite); laterality (410) 2 left, 1 right,
  9 side not known.
- AJCC 8th edition TNM as registries record it, prefix included: ajccTnmPathT / N / M (1011-1013) with
  the suffixes ajccTnmPathTSuffix (1032, "(m)" for multiple tumours) and ajccTnmPathNSuffix (1035,
  "(sn)" / "(f)"). A category without a written prefix is taken as pathological (a pathology report).
  A yp category (post-neoadjuvant) goes to the post-therapy items 1021-1023, 1033, 1036 instead; a c
  category (a clinical T or N quoted in the report) to ajccTnmClinT / N (1001, 1002, 1031, 1034); in a
  yp case the other of T and N is yp too (pN0 beside ypT2 is written ypN0). M0 is
  always cM0 (AJCC 8 has no pM0; registries record cM0 in the pathological M item); M1 is pM1 unless the
  report wrote cM1. tnmEditionNumber (1060) 08 whenever a TNM item is written.
  Note: the "TNM Path T/N/M/Stage Group" items 880-910 (naaccrIds tnmPathT ...) are the pre-2018
  4-character fields; AJCC 8 (2018+) cases use the AJCC TNM items, as here.
- ajccTnmPathStageGroup (1014) = `prognostic_stage` (AJCC 8 chapter 48: US registries record the
  Pathological Prognostic Stage Group for breast), as the AJCC code (1A, 2B, 3C, 4, 0); for a yp case
  ajccTnmPostTherapyStageGroup (1024) = `anatomic_stage` (post-neoadjuvant breast stage uses the
  anatomic table). Empty when pathx has no such stage.
- gradePathological (3844) 1 / 2 / 3 (Nottingham G1-G3), or gradePostTherapy (3845) for a yp case.
- SSDIs: estrogenReceptorSummary (3827) and progesteroneRecepSummary (3915): 1 positive, 0 negative,
  9 equivocal (the SSDI has no equivocal code: "cannot be determined"); the Percent Positive or Range
  items (3826, 3914) from er_percent / pr_percent when written as a whole number 0-100 (zero-padded) or
  "<1" (000), else left out; her2OverallSummary (3855): 1 positive, 0 negative or equivocal (its code 0
  is "HER2 negative; equivocal"); her2IhcSummary (3850) 0 / 1 / 2 / 3 from the IHC score;
  her2IshSummary (3854) 0 not amplified, 2 equivocal, 3 amplified.

pathx's own data rides in NAACCR XML extension elements (the schema allows elements of another namespace
after the items of NaaccrData, Patient and Tumor; readers that do not know the namespace skip them),
namespace `urn:pathx:naaccr:1`, prefix px:

- `<px:Export engine="0.1.0" bundles="..."/>` under NaaccrData: pathx's version and the distinct
  predictor versions (`bundle` column) of the rows;
- `<px:Row>` under each Tumor: the pathx row as JSON (output columns and the detail columns it has;
  file path included), so `read_rows` gives back exactly the rows;
- `<px:ErrorRow>` under NaaccrData, one per error row (status error: no Patient, no Tumor, since there
  is no tumour to report), its text the row as JSON, attribute `error` the one-line error.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, TextIO

import pathx
from pathx.outputs import codes
from pathx.outputs.fhir_writer import row_json
from pathx.outputs.names import safe_text
from pathx.outputs.writer import OutputRefused, OutputWriter, register

PX = "urn:pathx:naaccr:1"
N = codes.NAACCR_NAMESPACE
ET.register_namespace("", N)
ET.register_namespace("px", PX)

_NUM = {k: v[0] for k, v in codes.NAACCR_ITEMS.items()}


ID_SPACE = 10**8  # patientIdNumber is 8 digits


def path_digest(file: str) -> str:
    return hashlib.sha256(file.encode("utf-8", "surrogatepass")).hexdigest()


def patient_id(file: str) -> str:
    """The 8-digit patientIdNumber derived from the file path alone (see the module docstring)."""
    return f"{int(path_digest(file), 16) % ID_SPACE:08d}"


def load_patient_ids(path: str | Path) -> dict[str, str]:
    """A site's `path,patient_id` CSV -> {file: 8-digit id}. ValueError (one line, no values quoted
    except the file name and line number) on a malformed file."""
    path = Path(path)
    mapping: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [c.strip().lower() for c in next(reader, [])]
        if header != ["path", "patient_id"]:
            raise ValueError(f"{path.name}: the first line must be the header path,patient_id")
        for number, cells in enumerate(reader, 2):
            if not cells or not any(c.strip() for c in cells):
                continue
            if len(cells) != 2 or not cells[0] or not re.fullmatch(r"[0-9]{1,8}", cells[1].strip()):
                raise ValueError(f"{path.name} line {number}: expected a path and a patient_id of 1-8 digits")
            if cells[0] in mapping:
                raise ValueError(f"{path.name} line {number}: the path is listed twice")
            mapping[cells[0]] = f"{int(cells[1]):08d}"
    return mapping


def _assign_ids(files: list[str], mapped: dict[str, str]) -> dict[str, tuple[str, str]]:
    """file -> (patientIdNumber, source); OutputRefused when one number would name two patients."""
    out: dict[str, tuple[str, str]] = {}
    owner: dict[str, tuple[str, str]] = {}  # id -> (first file, source)
    for file in files:
        pid, source = (mapped[file], "site") if file in mapped else (patient_id(file), "path-sha256")
        first = owner.setdefault(pid, (file, source))
        if first[0] != file and not (source == "site" and first[1] == "site"):
            raise OutputRefused(
                f"NAACCR patientIdNumber {pid} would name two patients ({safe_text(first[0])} and {safe_text(file)}): "
                "8 digits derived from the path collided; give these files their registry's numbers with "
                "--naaccr-ids FILE (a CSV path,patient_id); nothing is renumbered")
        out[file] = (pid, source)
    return out


_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: a character it cannot (a control character, a lone surrogate) as \\xNN / \\uNNNN."""
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


def _row_text(row: dict) -> str:
    """The row as ASCII JSON (always valid XML text; json escapes everything else)."""
    return json.dumps(json.loads(row_json(row)), ensure_ascii=True)


def _percent(value) -> str | None:
    text = re.sub(r"\s", "", str(value or ""))
    if text == "<1":
        return "000"
    if text.isdigit() and 0 <= int(text) <= 100:
        return f"{int(text):03d}"
    return None


def _stage_code(stage: str | None) -> str | None:
    known = codes.STAGE_GROUP.get(stage or "")
    return known[1] if known else None


def tumor_items(row: dict) -> dict[str, str]:
    """naaccrId -> code for one ok row (see the module docstring), in item-number order."""
    items: dict[str, str] = {"primarySite": codes.PRIMARY_SITE_BREAST,
                             "laterality": codes.LATERALITY.get(row.get("specimen"), "9")}
    t = codes.category("T", row.get("t_stage"), row.get("t_detail"))
    n = codes.category("N", row.get("n_stage"), row.get("n_detail"))
    m = codes.category("M", row.get("m_stage"), row.get("m_detail"))
    post = any(c is not None and c.post_therapy for c in (t, n))
    group = "PostTherapy" if post else "Path"
    for cat in (t, n):
        if cat is None:
            continue
        where = "Clin" if cat.prefix in ("c", "yc") and not post else group
        # the T and N of a post-neoadjuvant specimen are ypT / ypN, whatever prefix the other one had
        items[f"ajccTnm{where}{cat.letter}"] = "yp" + cat.core if post and cat.prefix == "p" else cat.ajcc
        if cat.letter == "T" and cat.multiple:
            items[f"ajccTnm{where}TSuffix"] = "(m)"
        if cat.letter == "N" and cat.node_suffix:
            items[f"ajccTnm{where}NSuffix"] = cat.node_suffix
    if m is not None:
        items[f"ajccTnm{group}M"] = m.ajcc
    stage = _stage_code(row.get("anatomic_stage") if post else row.get("prognostic_stage"))
    if stage:
        items["ajccTnmPostTherapyStageGroup" if post else "ajccTnmPathStageGroup"] = stage
    if any(k.startswith("ajccTnm") for k in items):
        items["tnmEditionNumber"] = codes.TNM_EDITION_AJCC8
    if row.get("grade") in codes.GRADE:
        items["gradePostTherapy" if post else "gradePathological"] = codes.GRADE[row["grade"]]
    for task, summary, percent in (("er", "estrogenReceptorSummary", "estrogenReceptorPercntPosOrRange"),
                                   ("pr", "progesteroneRecepSummary", "progesteroneRecepPrcntPosOrRange")):
        if row.get(task) in codes.RECEPTOR_SUMMARY:
            items[summary] = codes.RECEPTOR_SUMMARY[row[task]]
        pct = _percent(row.get(f"{task}_percent"))
        if pct is not None:
            items[percent] = pct
    if row.get("her2") in codes.HER2_OVERALL:
        items["her2OverallSummary"] = codes.HER2_OVERALL[row["her2"]]
    if row.get("ihc_her2") in codes.HER2_IHC:
        items["her2IhcSummary"] = codes.HER2_IHC[row["ihc_her2"]]
    if row.get("ish_her2") in codes.HER2_ISH:
        items["her2IshSummary"] = codes.HER2_ISH[row["ish_her2"]]
    return dict(sorted(items.items(), key=lambda kv: _NUM[kv[0]]))


def _item(parent: ET.Element, naaccr_id: str, value: str) -> None:
    el = ET.SubElement(parent, f"{{{N}}}Item", naaccrId=naaccr_id, naaccrNum=str(_NUM[naaccr_id]))
    el.text = value


def build_tree(rows: Iterable[dict], patient_ids: dict[str, str] | None = None) -> tuple[ET.Element, int]:
    """The NaaccrData element for the rows (see the module docstring) and the row count; `patient_ids`
    maps files to a site's patientIdNumbers (load_patient_ids). OutputRefused on an ID collision."""
    rows = list(rows)
    root = ET.Element(f"{{{N}}}NaaccrData", baseDictionaryUri=codes.NAACCR_BASE_DICTIONARY, recordType="I",
                      specificationVersion=codes.NAACCR_SPECIFICATION)
    _item(root, "recordType", "I")
    _item(root, "naaccrRecordVersion", codes.NAACCR_RECORD_VERSION)
    bundles = sorted({str(r.get("bundle")) for r in rows if r.get("bundle")})
    ET.SubElement(root, f"{{{PX}}}Export", engine=pathx.__version__, bundles=" ".join(bundles))
    for row in rows:  # extension elements of NaaccrData come before its Patients (NAACCR XML schema)
        if row.get("status") == "error":
            err = ET.SubElement(root, f"{{{PX}}}ErrorRow", error=_xml_text(row.get("error") or ""))
            err.text = _row_text(row)
    ok = [row for row in rows if row.get("status") != "error"]
    ids = _assign_ids(list(dict.fromkeys(row.get("file") or "" for row in ok)), patient_ids or {})
    patients: dict[str, tuple[ET.Element, int]] = {}  # patientIdNumber -> (Patient, tumours so far)
    for row in ok:
        file = row.get("file") or ""
        pid, source = ids[file]
        if pid not in patients:
            patient = ET.SubElement(root, f"{{{N}}}Patient")
            _item(patient, "patientIdNumber", pid)
            key = ET.SubElement(patient, f"{{{PX}}}PatientKey", source=source)
            key.text = path_digest(file) if source == "path-sha256" else pid
            patients[pid] = (patient, 0)
        patient, count = patients[pid]
        patients[pid] = (patient, count + 1)
        tumor = ET.SubElement(patient, f"{{{N}}}Tumor")
        _item(tumor, "tumorRecordNumber", f"{count + 1:02d}")
        for naaccr_id, value in tumor_items(row).items():
            _item(tumor, naaccr_id, value)
        ET.SubElement(tumor, f"{{{PX}}}Row").text = _row_text(row)
    return root, len(rows)


@register
class NaaccrWriter(OutputWriter):
    suffix = ".naaccr.xml"
    name = "naaccr"
    help = "NAACCR XML v25 for cancer registries"

    def __init__(self, patient_ids: dict[str, str] | None = None):
        self.patient_ids = patient_ids

    def with_patient_ids(self, patient_ids: dict[str, str]) -> "NaaccrWriter":
        """This writer with a site's file -> patientIdNumber mapping (load_patient_ids)."""
        return NaaccrWriter(patient_ids)

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        root, count = build_tree(rows, self.patient_ids)
        ET.indent(root, space="  ")
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(ET.tostring(root, encoding="unicode"))
        fh.write("\n")
        return count

    def read_rows(self, text: str) -> list[dict]:
        root = ET.fromstring(text.encode("utf-8"))
        if root.tag != f"{{{N}}}NaaccrData":
            raise ValueError(f"not a NAACCR XML file (root element {root.tag})")
        by_key: list[dict] = [json.loads(el.text or "{}") for el in root.iter()
                              if el.tag in (f"{{{PX}}}Row", f"{{{PX}}}ErrorRow")]
        return by_key
