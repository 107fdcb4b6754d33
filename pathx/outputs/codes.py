"""Code tables of the `.fhir.json` and `.naaccr.xml` exports, each with the source it was taken from.

Nothing here is written from memory: every code was looked up (November 2026) in the sources below.
Where no source confirmed a code, the table leaves it out and the writers fall back to text only.

FHIR / mCODE (HL7 mCODE STU4, version 4.0.0, FHIR R4; source: github.com/HL7/fhir-mCODE-ig, commit
543477b5 of 2025-01-24, input/fsh/VS_Staging_TNM.fsh, SD_Staging_TNM.fsh, VS_Genomics.fsh, VS_Other.fsh,
SD_Histology.fsh, EX_ExtendedExample.fsh):

- Observation.code of the T/N/M category and stage group observations: the SNOMED CT codes of mCODE's
  TNM*StagingTypeVS (T: 399504009 cT, 384625004 pT; N: 399534004 cN, 371494008 pN; M: 399387003 cM,
  371497001 pM; stage group: 399537006 clinical, 399588009 pathologic). mCODE STU4 prefers these to the
  deprecated LOINC codes (21899-0, 21900-6, 21901-4, 21902-2 ...), which its Max value sets still allow.
- Observation.method: SNOMED 897275008 "AJCC Cancer Staging Manual, 8th edition neoplasm staging system".
- Values: mCODE's TNM*CategoryVS are SNOMED "American Joint Committee on Cancer ..." qualifier values
  (descendants of 1222589003 pathological T, 1222590007 pathological N, 1222587001 clinical M, ...). The
  value sets are intensional; the individual breast codes below were taken from lists that enumerate
  them: the HL7 ICHOM Breast Cancer IG (ValueSets TNMPrimaryTumorVS, TNMRegionalNodesVS,
  TNMDistantMetastasesVS) and the CMS Enhancing Oncology Model IG's breast tables (T, N, M category codes
  permitted for ICD-10 C50), cross-checked with codes used in mCODE's own examples (pT3 1229859000,
  pN0 1229947003, cM0 1229901006, cT3 1228938002, cN0 1229967007, cN3 1229984001).
- Stage group values: SNOMED "American Joint Committee on Cancer stage ..." codes. IIB 1222769001 and
  IIIC 1222806003 are used by mCODE's examples; the full 0..IV list is the NZ CanShare pathological stage
  group value set (an HL7 FHIR IG), which agrees with mCODE on IIB and IIIC and with a VSAC fixture on IIA.
- Tumor markers (mCODE TumorMarkerTest, code from TumorMarkerTestVS, which lists all of these): ER
  85337-4, PR 85339-0 (the codes mCODE's extended breast example uses), HER2 48676-1 "HER2
  [Interpretation] in Tissue" (same example), HER2 IHC 85319-2 "HER2 [Presence] in Breast cancer specimen
  by Immune stain", HER2 ISH 85318-4 "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH"
  (LOINC names FISH; pathx does not tell FISH from other ISH methods, see the FHIR writer's docstring).
  Result values: LOINC answers LA6576-8 Positive / LA6577-6 Negative (mCODE's ER/PR/HER2 examples) and
  SNOMED 10828004 Positive / 260385009 Negative (mCODE examples) / 42425007 Equivocal (qualifier value).
- Histologic grade: mCODE HistologicGrade profile, code NCIt C18000, values HistologicGradeVS: SNOMED
  1155708003 low / 1286893008 intermediate / 1155707008 high. Nottingham G1/G2/G3 are the low /
  intermediate / high combined histologic grades (SEER breast grade coding: "G1: Low combined histologic
  grade (favorable), SBR score of 3-5 points").
- Specimen: type v2-0487 TISS, body site SNOMED 80248007 left breast / 73056007 right breast /
  76752008 breast structure (ICHOM Breast Cancer IG LateralityVS, LocationRadiotherapyVS; mCODE example
  human-specimen-left-breast-jenny-m).

NAACCR (NAACCR XML 1.8 and the NAACCR v25 base dictionary, naaccr-dictionary-250.xml, 2025-03-13, from
github.com/imsweb/naaccr-xml; item codes from the NAACCR SSDI Manual / SSDI web app apps.naaccr.org/ssdi and
SEER*RSA staging.seer.cancer.gov, breast schema; AJCC items from the NAACCR v25 data dictionary pages):

- naaccrIds and item numbers: see NAACCR_ITEMS. The brief's "tnmPathT/N/M/StageGroup" are items 880-910,
  the pre-2018 (AJCC 7 and earlier, 4-character) fields; AJCC 8th edition cases (2018+) use the "AJCC TNM"
  items 1011-1014 (ajccTnmPathT ...), with the suffixes in 1032/1035 and post-therapy (yp) in 1021-1024.
- ER / PR Summary (3827 / 3915): 0 negative, 1 positive, 9 not documented / cannot be determined
  (indeterminate). There is no equivocal code: pathx "Equivocal" -> 9.
- ER / PR Percent Positive or Range (3826 / 3914): 000 (negative or < 1%), 001-100, R10..R99, XX7/8/9.
- HER2 Overall Summary (3855): 0 "HER2 negative; equivocal", 1 positive, 9 unknown.
- HER2 IHC Summary (3850): 0 score 0, 1 score 1+, 2 score 2+ (equivocal), 3 score 3+.
- HER2 ISH Summary (3854): 0 negative [not amplified], 2 equivocal, 3 positive [amplified].
- Grade Pathological (3844) / Grade Post Therapy Path (yp) (3845), breast: 1, 2, 3 = Nottingham G1-G3.
- Laterality (410): 1 right, 2 left, 9 paired site but no information concerning laterality.
- Primary Site (400): C509 breast, NOS (SEER breast schema C500-C506, C508-C509).
- AJCC TNM values carry the prefix as registries record them ("pT1c", "pN1mi", "cM0", "pM1"); stage group
  codes are "0", "1A" ... "3C", "4" (AJCC code form; mCODE's AJCC-coded example writes IIB as "2B").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MCODE_VERSION = "mCODE STU4 (4.0.0), FHIR R4"
NAACCR_VERSION = "NAACCR v25 base dictionary (naaccr-dictionary-250.xml), NAACCR XML specification 1.8"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
V2_0487 = "http://terminology.hl7.org/CodeSystem/v2-0487"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# mCODE STU4 profiles each resource is shaped after. Not written into meta.profile (the FHIR writer's
# docstring lists the gaps to full conformance); kept here for whoever closes them.
MCODE_PROFILES = {
    "t": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-primary-tumor-category",
    "n": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-regional-nodes-category",
    "m": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-distant-metastases-category",
    "stage": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-stage-group",
    "marker": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tumor-marker-test",
    "grade": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histologic-grade",
    "specimen": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-human-specimen",
}

# Observation.code of the staging observations: (letter, "p" | "c") -> (SNOMED code, display).
STAGING_TYPE: dict[tuple[str, str], tuple[str, str]] = {
    ("T", "c"): ("399504009", "cT category"),
    ("T", "p"): ("384625004", "pT category"),
    ("N", "c"): ("399534004", "cN category"),
    ("N", "p"): ("371494008", "pN category"),
    ("M", "c"): ("399387003", "cM category"),
    ("M", "p"): ("371497001", "pM category"),
    ("stage", "c"): ("399537006", "Clinical TNM stage grouping"),
    ("stage", "p"): ("399588009", "Pathologic TNM stage grouping"),
}
AJCC8_METHOD = ("897275008", "American Joint Commission on Cancer, Cancer Staging Manual, 8th edition neoplasm "
                "staging system (tumor staging)")

# SNOMED CT "American Joint Committee on Cancer <category> (qualifier value)" codes, breast categories.
AJCC_CATEGORY: dict[str, str] = {
    # T, clinical
    "cTX": "1222604002", "cT0": "1228882005", "cTis(DCIS)": "1228885007", "cTis(Paget)": "1228888009",
    "cT1": "1228889001", "cT1mi": "1228891009", "cT1a": "1228892002", "cT1b": "1228895000", "cT1c": "1228899006",
    "cT2": "1228929004", "cT3": "1228938002", "cT4": "1228944003", "cT4a": "1228945002", "cT4b": "1228946001",
    "cT4c": "1228947005", "cT4d": "1228948000",
    # T, pathological
    "pTX": "1228950008", "pT0": "1228951007", "pTis": "1228953005", "pTis(DCIS)": "1228954004",
    "pTis(Paget)": "1228956002", "pT1": "1228957006", "pT1mi": "1228958001", "pT1a": "1228959009",
    "pT1b": "1228962007", "pT1c": "1229846008", "pT2": "1229852009", "pT3": "1229859000", "pT4": "1229864001",
    # N, clinical
    "cNX": "1229966003", "cN0": "1229967007", "cN1": "1229973008", "cN1mi": "1229974002", "cN2": "1229978004",
    "cN2a": "1229981009", "cN2b": "1229982002", "cN3": "1229984001", "cN3a": "1229985000", "cN3b": "1229986004",
    "cN3c": "1229987008",
    # N, pathological
    "pNX": "1229945006", "pN0": "1229947003", "pN0(i+)": "1229949000", "pN0(mol+)": "1229950000",
    "pN1": "1229951001", "pN1mi": "1229952008", "pN1a": "1229954009", "pN1b": "1229955005", "pN1c": "1229956006",
    "pN2": "1229957002", "pN2a": "1229959004", "pN2b": "1229960009", "pN3": "1229962001", "pN3a": "1229963006",
    "pN3b": "1229964000", "pN3c": "1229965004",
    # M
    "cM0": "1229901006", "cM0(i+)": "1229902004", "cM1": "1229903009", "pM1": "1229916009",
}

# pathx anatomic / prognostic stage -> (SNOMED "American Joint Committee on Cancer stage ...", AJCC code).
STAGE_GROUP: dict[str, tuple[str, str]] = {
    "0": ("1222605001", "0"),
    "IA": ("1222724007", "1A"),
    "IB": ("1222728005", "1B"),
    "IIA": ("1222766008", "2A"),
    "IIB": ("1222769001", "2B"),
    "IIIA": ("1222802001", "3A"),
    "IIIB": ("1222805004", "3B"),
    "IIIC": ("1222806003", "3C"),
    "IV": ("1222837003", "4"),
}

# Tumor marker tests: pathx task -> (LOINC, display).
MARKER_TEST: dict[str, tuple[str, str]] = {
    "er": ("85337-4", "Estrogen receptor Ag [Presence] in Breast cancer specimen by Immune stain"),
    "pr": ("85339-0", "Progesterone receptor Ag [Presence] in Breast cancer specimen by Immune stain"),
    "her2": ("48676-1", "HER2 [Interpretation] in Tissue"),
    "ihc_her2": ("85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain"),
    "ish_her2": ("85318-4", "ERBB2 gene duplication [Presence] in Breast cancer specimen by FISH"),
}

# Result values: pathx label -> list of (system, code, display).
RESULT_VALUE: dict[str, list[tuple[str, str, str]]] = {
    "Positive": [(SNOMED, "10828004", "Positive (qualifier value)"), (LOINC, "LA6576-8", "Positive")],
    "Negative": [(SNOMED, "260385009", "Negative (qualifier value)"), (LOINC, "LA6577-6", "Negative")],
    "Equivocal": [(SNOMED, "42425007", "Equivocal (qualifier value)")],
}
ISH_VALUE = {"amplified": "Positive", "not amplified": "Negative", "equivocal": "Equivocal"}

HISTOLOGIC_GRADE_CODE = (NCIT, "C18000", "Histologic Grade")
GRADE_VALUE: dict[str, tuple[str, str]] = {
    "G1": ("1155708003", "Low histologic grade (qualifier value)"),
    "G2": ("1286893008", "Intermediate histologic grade (qualifier value)"),
    "G3": ("1155707008", "High histologic grade (qualifier value)"),
}

SPECIMEN_TYPE = (V2_0487, "TISS", "Tissue")
BODY_SITE: dict[str | None, tuple[str, str]] = {
    "left": ("80248007", "Left breast structure (body structure)"),
    "right": ("73056007", "Right breast structure (body structure)"),
    None: ("76752008", "Breast structure (body structure)"),
}

# ------------------------------------------------------------------------------------------------
# NAACCR

NAACCR_NAMESPACE = "http://naaccr.org/naaccrxml"
NAACCR_BASE_DICTIONARY = "http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"
NAACCR_RECORD_VERSION = "250"
NAACCR_SPECIFICATION = "1.8"

# naaccrId -> (item number, parent element); from naaccr-dictionary-250.xml.
NAACCR_ITEMS: dict[str, tuple[int, str]] = {
    "recordType": (10, "NaaccrData"),
    "naaccrRecordVersion": (50, "NaaccrData"),
    "patientIdNumber": (20, "Patient"),
    "tumorRecordNumber": (60, "Tumor"),
    "primarySite": (400, "Tumor"),
    "laterality": (410, "Tumor"),
    "ajccTnmClinT": (1001, "Tumor"),
    "ajccTnmClinN": (1002, "Tumor"),
    "ajccTnmPathT": (1011, "Tumor"),
    "ajccTnmPathN": (1012, "Tumor"),
    "ajccTnmPathM": (1013, "Tumor"),
    "ajccTnmPathStageGroup": (1014, "Tumor"),
    "ajccTnmPostTherapyT": (1021, "Tumor"),
    "ajccTnmPostTherapyN": (1022, "Tumor"),
    "ajccTnmPostTherapyM": (1023, "Tumor"),
    "ajccTnmPostTherapyStageGroup": (1024, "Tumor"),
    "ajccTnmClinTSuffix": (1031, "Tumor"),
    "ajccTnmPathTSuffix": (1032, "Tumor"),
    "ajccTnmPostTherapyTSuffix": (1033, "Tumor"),
    "ajccTnmClinNSuffix": (1034, "Tumor"),
    "ajccTnmPathNSuffix": (1035, "Tumor"),
    "ajccTnmPostTherapyNSuffix": (1036, "Tumor"),
    "tnmEditionNumber": (1060, "Tumor"),
    "estrogenReceptorPercntPosOrRange": (3826, "Tumor"),
    "estrogenReceptorSummary": (3827, "Tumor"),
    "gradePathological": (3844, "Tumor"),
    "gradePostTherapy": (3845, "Tumor"),
    "her2IhcSummary": (3850, "Tumor"),
    "her2IshSummary": (3854, "Tumor"),
    "her2OverallSummary": (3855, "Tumor"),
    "progesteroneRecepPrcntPosOrRange": (3914, "Tumor"),
    "progesteroneRecepSummary": (3915, "Tumor"),
}

RECEPTOR_SUMMARY = {"Positive": "1", "Negative": "0", "Equivocal": "9"}  # ER 3827, PR 3915
HER2_OVERALL = {"Positive": "1", "Negative": "0", "Equivocal": "0"}  # 3855: 0 = "HER2 negative; equivocal"
HER2_IHC = {"0": "0", "1+": "1", "2+": "2", "3+": "3"}  # 3850
HER2_ISH = {"not amplified": "0", "equivocal": "2", "amplified": "3"}  # 3854
GRADE = {"G1": "1", "G2": "2", "G3": "3"}  # 3844 / 3845, breast
LATERALITY = {"right": "1", "left": "2", None: "9"}  # 410
PRIMARY_SITE_BREAST = "C509"  # 400: breast, NOS
TNM_EDITION_AJCC8 = "08"  # 1060


# ------------------------------------------------------------------------------------------------
# Reading a pathx TNM value (the grouped label plus the optional detail, see pathx/registry/details.py)

_DETAIL = re.compile(r"^(?P<pre>yp|yc|p|c)?(?P<letter>[TNM])"
                     r"(?P<cat>is(?:\((?:DCIS|LCIS|Paget)\))?|1mi|X|[0-4][a-d]?)(?P<suf>(?:\([^()]*\))*)$")
_ATTACHED = ("i+", "i-", "mol+", "mol-")  # part of the category: pN0(i+), cM0(i+)


@dataclass(frozen=True)
class Category:
    """One T, N or M value: `prefix` (c, p, yp, yc), `core` (T1c, N0(i+), Tis(DCIS), M0), and the
    registry suffixes: `multiple` (the T "(m)"), `node_suffix` ("(sn)" or "(f)")."""

    letter: str
    prefix: str
    core: str
    multiple: bool = False
    node_suffix: str | None = None
    written: str | None = None  # the detail as written (normalised), when there was one

    @property
    def ajcc(self) -> str:
        """The AJCC category with its prefix: pT1c, pN0(i+), cM0, ypN1mi."""
        return self.prefix + self.core

    @property
    def pathological(self) -> bool:
        return self.prefix in ("p", "yp")

    @property
    def post_therapy(self) -> bool:
        return self.prefix.startswith("y")


def _group(letter: str, cat: str) -> str:
    if letter == "T" and cat.startswith("is"):
        return "Tis"
    if letter == "N" and cat == "1mi":
        return "N1mi"
    return letter + cat[0]


def category(letter: str, label: str | None, detail: str | None) -> Category | None:
    """The category of a row's t/n/m value. The detail is used only when it parses and its group is the
    label (else the label alone, prefix p). M0 is always cM0 (AJCC 8 has no pM0); M1 is pM1 unless the
    report wrote cM1."""
    if not label:
        return None
    prefix, core, multiple, node_suffix, written = "p", label, False, None, None
    m = _DETAIL.match(detail or "")
    if m and m.group("letter") == letter and _group(letter, m.group("cat")) == label:
        written = detail
        prefix = m.group("pre") or "p"
        core = letter + m.group("cat")
        for suf in re.findall(r"\(([^()]*)\)", m.group("suf")):
            if suf in _ATTACHED:
                core += f"({suf})"
            elif suf == "m" or suf.isdigit():
                multiple = True
            elif suf in ("sn", "f"):
                node_suffix = f"({suf})"
    if letter == "M":
        prefix = "c" if label == "M0" or prefix == "c" else "p"
    return Category(letter, prefix, core, multiple, node_suffix, written)


def snomed_category(cat: Category) -> tuple[str, str] | None:
    """(code, AJCC category) of the most specific SNOMED CT AJCC code the table has for `cat`: the category
    as written (pN0(i+), pT1c), else its group (pN0(i-) -> pN0, pT2 for pT2), else None (e.g. yp values)."""
    for key in (cat.ajcc, cat.prefix + _group(cat.letter, cat.core[1:]) if cat.core[1:2] else cat.ajcc):
        if key in AJCC_CATEGORY:
            return AJCC_CATEGORY[key], key
    return None
