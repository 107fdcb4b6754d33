"""The `.naaccr.xml` output: NAACCR XML (specification 1.8, NAACCR v25 base dictionary), one Patient per
report file and one Tumor per (file, specimen) row. Item numbers, naaccrIds and codes, with their sources:
pathx/outputs/codes.py.

Root: `<NaaccrData xmlns="http://naaccr.org/naaccrxml" baseDictionaryUri=".../naaccr-dictionary-250.xml"
recordType="I" specificationVersion="1.8">` with the items recordType (10) `I` and naaccrRecordVersion (50)
`250`. recordType I (incidence): every item written is allowed in A, M, C and I records. No timeGenerated:
the same rows give the same bytes.

Patient: patientIdNumber (20, 8 digits) = a non-PHI key derived from the file path: the SHA-256 of the
path, as a number, modulo 10^8 (zero-padded); should two files of one export meet on a number, the later
one takes the next free number (deterministic for a given ledger). The number does not reveal the path;
the path itself travels, as in the CSV, in the pathx extension element (below), not in a NAACCR item.

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

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from typing import Iterable, TextIO

import pathx
from pathx.outputs import codes
from pathx.outputs.fhir_writer import row_json
from pathx.outputs.writer import OutputWriter, register

PX = "urn:pathx:naaccr:1"
N = codes.NAACCR_NAMESPACE
ET.register_namespace("", N)
ET.register_namespace("px", PX)

_NUM = {k: v[0] for k, v in codes.NAACCR_ITEMS.items()}


def patient_id(file: str, taken: set[str]) -> str:
    """8-digit patientIdNumber from the file path (see the module docstring); adds it to `taken`."""
    number = int(hashlib.sha256(file.encode("utf-8", "surrogatepass")).hexdigest(), 16) % 10**8
    while f"{number:08d}" in taken:
        number = (number + 1) % 10**8
    pid = f"{number:08d}"
    taken.add(pid)
    return pid


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


def build_tree(rows: Iterable[dict]) -> tuple[ET.Element, int]:
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
    patients: dict[str, tuple[ET.Element, int]] = {}
    taken: set[str] = set()
    for row in rows:
        if row.get("status") == "error":
            continue
        file = row.get("file") or ""
        if file not in patients:
            patient = ET.SubElement(root, f"{{{N}}}Patient")
            _item(patient, "patientIdNumber", patient_id(file, taken))
            patients[file] = (patient, 0)
        patient, count = patients[file]
        patients[file] = (patient, count + 1)
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

    def write_rows(self, fh: TextIO, rows: Iterable[dict]) -> int:
        root, count = build_tree(rows)
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
