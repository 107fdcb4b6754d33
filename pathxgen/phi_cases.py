"""PHI-planting report generator for the de-identification tests and bench/deid.py.

Each generated report is realistic breast pathology text (several header styles, fax and
all-caps variants, lettered and synoptic bodies, OCR-like noise) with PHI planted in many
formats drawn from realistic lists. The generator records where every planted PHI value
sits, and which clinical tokens (pT2, 5/14, 95%, Allred 8/8, ...) the text holds, so a test
can check both that all PHI is gone and that clinical tokens survive.
"""
from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field

FIRST = [
    "Mary", "Jennifer", "Aisha", "Priya", "Mei", "Olga", "José", "Siobhan", "Chloé", "Fatima", "Ngozi",
    "Hannah", "Margaret", "Linda", "Susan", "Yuki", "Ananya", "Sofia", "Isabella", "Emily", "Grace",
    "Michael", "David", "Robert", "Ahmed", "Wei", "Raj", "Luis", "Thomas", "Daniel", "James", "Kwame",
    "Andrei", "Zoë", "Anne-Marie", "Jean-Luc", "Bridget", "Deborah", "Patricia", "Xiaoling",
]
LAST = [
    "Smith", "Johnson", "Williams", "Brown", "Garcia", "Martinez", "Nguyen", "O'Brien", "McDonald",
    "MacKenzie", "Smith-Jones", "Kowalski", "Patel", "Okafor", "Zhang", "Al-Sayed", "D'Angelo",
    "Rodriguez", "Schmidt", "Müller", "Li", "Wu", "Ng", "Kim", "Park", "Lee", "Cohen", "Rossi",
    "Ivanova", "Haddad", "Yamamoto", "Singh", "Fitzgerald", "Thompson", "Anderson", "Dubois",
    "Lefebvre", "Novak", "Jensen", "Hughes", "Foster", "Wright", "Natarajan", "Abernathy", "Castillo",
]
PARTICLE_LAST = ["van der Berg", "de la Cruz", "da Silva", "van Dyke", "di Stefano"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
STREETS = ["Oak", "Maple", "Lakeshore", "University", "Elm", "King", "Queen", "Main", "Cedar",
           "Highland", "Sunset", "Mill", "Church", "Park View"]
SUFFIXES = ["Street", "St.", "Avenue", "Ave", "Road", "Rd.", "Boulevard", "Blvd", "Drive", "Lane", "Way", "Court"]
CITIES = [("Chicago", "IL", "60611"), ("Boston", "MA", "02115"), ("Houston", "TX", "77030"),
          ("San Diego", "CA", "92103"), ("Rochester", "MN", "55905"), ("Salt Lake City", "UT", "84112")]
CA_CITIES = [("Toronto", "ON", "M5G 2C4"), ("Montreal", "QC", "H3A 1A1"), ("Vancouver", "BC", "V5Z 1M9")]
FACILITIES = ["St. Mary's Medical Center", "Lakeview General Hospital", "Riverside Regional Pathology",
              "University Hospital Department of Pathology"]


@dataclass
class Planted:
    start: int
    end: int
    kind: str
    value: str


@dataclass
class Fixture:
    text: str
    phi: list[Planted] = field(default_factory=list)
    clinical: list[Planted] = field(default_factory=list)


class _Builder:
    """Concatenates template text, remembering where each planted PHI value went."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.phi: list[Planted] = []

    def add(self, template: str, **values: tuple[str, str]) -> None:
        for literal, name, _, _ in string.Formatter().parse(template):
            self._put(literal)
            if name is not None:
                kind, value = values[name]
                if kind:
                    self.phi.append(Planted(self.pos, self.pos + len(value), kind, value))
                self._put(value)

    def line(self, template: str = "", **values: tuple[str, str]) -> None:
        self.add(template + "\n", **values)

    def _put(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def text(self) -> str:
        return "".join(self.parts)


# --- PHI value makers -------------------------------------------------------------------


def person(rng: random.Random, style: str | None = None) -> tuple[str, str, str]:
    """(full name in some format, first, last)."""
    first = rng.choice(FIRST)
    last = rng.choice(PARTICLE_LAST) if rng.random() < 0.08 else rng.choice(LAST)
    mi = rng.choice(string.ascii_uppercase)
    style = style or rng.choice(["first last", "first mi last", "last, first", "last, first mi",
                                 "LAST, FIRST", "LAST, FIRST MI", "FIRST LAST", "f. last", "last"])
    upper = last.upper(), first.upper()
    full = {
        "first last": f"{first} {last}",
        "first mi last": f"{first} {mi}. {last}",
        "last, first": f"{last}, {first}",
        "last, first mi": f"{last}, {first} {mi}.",
        "LAST, FIRST": f"{upper[0]}, {upper[1]}",
        "LAST, FIRST MI": f"{upper[0]}, {upper[1]} {mi}",
        "FIRST LAST": f"{upper[1]} {upper[0]}",
        "f. last": f"{first[0]}. {last}",
        "last": last,
    }[style]
    return full, first, last


def _ordinal(d: int) -> str:
    return "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


def date(rng: random.Random, style: str | None = None, year: int | None = None) -> str:
    y = year or rng.randint(1925, 2025)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    mon = MONTHS[m - 1]
    style = style or rng.choice(["mdy", "mdy2", "m/d/yy", "iso", "dmy.", "Month d, yyyy", "d Month yyyy",
                                 "DD-MON-YYYY", "Mon. d, yyyy", "dth of Month, yyyy", "Month yyyy",
                                 "MON-DD-YYYY", "MONTH D, YYYY"])
    return {
        "mdy": f"{m:02d}/{d:02d}/{y}",
        "mdy2": f"{m}/{d}/{y}",
        "m/d/yy": f"{m}/{d}/{y % 100:02d}",
        "iso": f"{y}-{m:02d}-{d:02d}",
        "dmy.": f"{d:02d}.{m:02d}.{y}",
        "Month d, yyyy": f"{mon} {d}, {y}",
        "d Month yyyy": f"{d} {mon} {y}",
        "DD-MON-YYYY": f"{d:02d}-{mon[:3].upper()}-{y}",
        "Mon. d, yyyy": f"{mon[:3]}. {d}, {y}",
        "dth of Month, yyyy": f"{d}{_ordinal(d)} of {mon}, {y}",
        "Month yyyy": f"{mon} {y}",
        "MON-DD-YYYY": f"{mon[:3].upper()}-{d:02d}-{y}",
        "MONTH D, YYYY": f"{mon.upper()} {d}, {y}",
    }[style]


def mrn(rng: random.Random) -> str:
    return rng.choice([
        lambda: str(rng.randint(10**6, 10**9)),
        lambda: f"{rng.randint(0, 99999999):08d}",
        lambda: f"A{rng.randint(10**6, 10**7)}",
        lambda: f"{rng.randint(10, 99)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        lambda: f"{rng.randint(1000, 9999)}-{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.choice(['AB', 'XK', 'MP'])}",
    ])()


def accession(rng: random.Random) -> str:
    yy, yyyy = rng.randint(10, 25), rng.randint(2010, 2025)
    return rng.choice([
        f"S{yy}-{rng.randint(100, 99999)}", f"SP-{yyyy}-{rng.randint(0, 999999):06d}",
        f"SP{yy}-{rng.randint(1000, 9999)}", f"S-{yy}-{rng.randint(0, 999999):06d}",
        f"CH-{yy}-{rng.randint(0, 999999):06d}", f"NS{yy}-{rng.randint(100, 9999)}",
        f"MSP{yy}-{rng.randint(10000, 99999)}",
    ])


def phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    return rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}",
                       f"+1 {a} {b} {c:04d}", f"1-{a}-{b}-{c:04d}", f"{a}-{b}-{c:04d} ext. {rng.randint(1, 999)}"])


def street(rng: random.Random) -> str:
    num = rng.randint(1, 99999)
    name = rng.choice(STREETS)
    pre = rng.choice(["", "", "North ", "W ", "E. "])
    tail = rng.choice(["", "", f", Suite {rng.randint(100, 999)}", f", Apt {rng.randint(1, 40)}B"])
    return f"{num} {pre}{name} {rng.choice(SUFFIXES)}{tail}"


def city(rng: random.Random) -> str:
    if rng.random() < 0.25:
        c, p, z = rng.choice(CA_CITIES)
    else:
        c, p, z = rng.choice(CITIES)
    return f"{c}, {p} {z}"


def email(rng: random.Random, last: str) -> str:
    user = re.sub(r"[^a-z]", "", last.lower()) or "path"
    return f"{user}{rng.randint(1, 99)}@{rng.choice(['stmarys.org', 'lakeview-health.com', 'uhn.ca', 'mail.example.edu'])}"


def url(rng: random.Random) -> str:
    return rng.choice(["https://portal.lakeview-health.com/patient/8812", "www.stmarys.org/pathology",
                       "http://results.uhn.ca/r?id=55121", "riversidepath.com/reports"])


def ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def old_age(rng: random.Random) -> tuple[str, str]:
    """An age over 89 in context: (template with {age}, the age)."""
    age = str(rng.randint(90, 104))
    return rng.choice(["{age}-year-old", "{age} year old", "{age} yo", "{age} y/o", "aged {age}", "{age} years old"]), age


# --- clinical text ----------------------------------------------------------------------

# The clinical tokens the report must keep (measured after de-identification).
CLINICAL_TOKEN = re.compile(
    r"\b(?:y|yp|p|c)?[TNM](?:is|[0-4Xx])(?:mi|[a-d])?(?:\((?:sn|i\+|i-|mol\+|f|m)\))?(?![\w])"
    r"|\b\d+(?:\.\d+)?[ ]?(?:cm|mm|CM|MM|%)"
    r"|\b\d{1,2}/\d{1,2}\b(?![/\d])"
    r"|\b\d\+(?:\d\+\d=\d)?"
    r"|\bAllred(?: score)? \d/8"
    r"|\bKi-67\b"
    r"|\bratio:? \d\.\d+"
    r"|(?m:^[ ]*[A-F][.)](?= ))"
    r"|\bPart \d\b"
    r"|\b\d{1,2}-year-old\b"
)


def _noise(rng: random.Random, line: str) -> str:
    """OCR-like damage on a clinical line: S->;/5, O->0 in words, I->l."""
    swaps = [("SYNOPTIC", rng.choice([";YNOPTIC", "5YNOPTIC", "SYN0PTIC"])), ("DIAGNOSIS", "DlAGNOSIS"),
             ("pN0", "pNO"), ("Invasive", "lnvasive"), ("RIGHT", "RlGHT")]
    for a, b in swaps:
        if a in line and rng.random() < 0.5:
            line = line.replace(a, b)
    return line


# Clinical lines full of things a careless redactor eats: "May", "Dr", clone names,
# version numbers, o'clock positions, block ranges, counts that look like dates.
TRICKY_LINES = [
    "Received fresh in a container labeled left breast, 12 o'clock, 3 cm from nipple.",
    "Estrogen receptor (SP1 clone) performed on block A3: 95% strong (3+), Allred score 8/8.",
    "HER2 by FISH (PathVysion): HER2/CEP17 ratio 2.3; average HER2 copy number 4.6 signals/cell.",
    "Oncotype DX Recurrence Score: 18, sent to Genomic Health.",
    "Ki-67 (MIB-1) 20% in hot spots.",
    "Distance from nipple: 4.5 cm; 10:00 position; 2 cm from skin.",
    "AJCC 8th edition: pT2 pN1a(sn) cM0; prognostic stage group IIA.",
    "Protocol: CAP Breast Invasive 4.8.1.0; Nottingham 3+3+2=8, grade 3/3.",
    "Lymph nodes: 5/14 positive; extranodal extension present (2 mm); 0/3 non-sentinel.",
    "DCIS, nuclear grade 3, cribriform and solid types, 35 mm, comprising 10% of tumor.",
    "Blocks: A1-A12 and B1-B3 submitted; fixation 6-72 hours in 10% formalin.",
    "Specimen size 22 x 18 x 4.5 cm; weight 612 g.",
    "Tumor may extend to the inked margin focally (< 1 mm).",
    "Dr Path review: second opinion concurs (grade 2/3).",
    "Part 1: skin ellipse 14 x 5 cm; Part 2: sentinel node 1.2 cm.",
    "Residual cancer burden class II (RCB 2.1); ypT1a ypN0.",
    "Case discussed at breast tumour board; pN0(i+) noted.",
    "H-score 280; AR 60%; PD-L1 (SP142) IC 1%.",
    "Intraoperative consultation: frozen section, margins free (0.3 cm).",
    "Received 5/12 sections; St. John's wort noted in medications.",
]


def _side_block(rng: random.Random, side: str, letters: tuple[str, str], caps: bool) -> list[str]:
    g = rng.randint(1, 3)
    a, b, c = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 3)
    size = f"{rng.randint(1, 6)}.{rng.randint(0, 9)}"
    pos, tot = rng.randint(0, 6), rng.randint(6, 18)
    pt = rng.choice(["pT1c", "pT2", "pT1b", "ypT0", "pT3", "pT1mi", "pT4b"])
    pn = rng.choice(["pN0", "pN1a", "pN1a(sn)", "pN0(i+)", "pN2a", "pN1mi", "pN3a"])
    er, pr = rng.choice([0, 1, 5, 40, 80, 95, 100]), rng.choice([0, 2, 10, 60, 90])
    allred = rng.randint(0, 8)
    ratio = f"{rng.randint(1, 4)}.{rng.randint(0, 9)}"
    ki = rng.choice([5, 10, 15, 20, 30, 45, 70])
    S = side.upper()
    lines = [
        f"{letters[0]}. {S} BREAST, {rng.choice(['MASTECTOMY', 'LUMPECTOMY', 'WIDE LOCAL EXCISION'])}:",
        f"   - Invasive ductal carcinoma, Nottingham grade {g} ({a}+{b}+{c}={a + b + c}), {size} cm.",
        f"   - Margins negative; closest margin {rng.randint(1, 9)} mm (posterior).",
        f"{letters[1]}) {S} AXILLARY SENTINEL LYMPH NODES, EXCISION:",
        f"   - Metastatic carcinoma in {pos}/{tot} lymph nodes, largest deposit {rng.randint(1, 12)} mm.",
        f"SYNOPTIC SUMMARY ({S} BREAST)",
        f"Histologic grade: {g}/3 (grade {g}/3)",
        f"Tumor size: {size} cm",
        f"Pathologic stage: {pt} {pn} pMX",
        f"ER: {'Positive' if er else 'Negative'} ({er}%, Allred {allred}/8)",
        f"PR: {'Positive' if pr else 'Negative'} ({pr}%), intensity {rng.randint(1, 3)}+",
        f"HER2: IHC {rng.randint(0, 3)}+; FISH HER2/CEP17 ratio {ratio}",
        f"Ki-67: {ki}%",
    ]
    if caps:
        lines = [ln.upper().replace("KI-67", "Ki-67").replace("ALLRED", "Allred").replace("RATIO", "ratio") for ln in lines]
        lines = [re.sub(r"\b([YP]+)([TNM])", lambda m: m.group(1).lower() + m.group(2), ln) for ln in lines]
        lines = [re.sub(r"\(SN\)|\(I\+\)", lambda m: m.group(0).lower(), ln) for ln in lines]
        lines = [ln.replace(" CM", " cm").replace(" MM", " mm") for ln in lines]
    return lines


def make_report(rng: random.Random) -> Fixture:
    b = _Builder()
    patient, p_first, p_last = person(rng)
    doc1, _, doc1_last = person(rng, rng.choice(["first last", "first mi last", "f. last"]))
    doc2, _, _ = person(rng, rng.choice(["first last", "first mi last", "FIRST LAST"]))
    doc3, _, _ = person(rng, rng.choice(["last, first", "LAST, FIRST", "first last"]))
    caps = rng.random() < 0.3
    fac = rng.choice(FACILITIES)

    # Header: one of three real-world layouts.
    style = rng.randrange(3)
    if style == 0:
        b.line(fac)
        b.line("SURGICAL PATHOLOGY REPORT")
        b.line("{s}, {c}   Tel: {p}   Fax: {f}", s=("ADDRESS", street(rng)), c=("ADDRESS", city(rng)),
               p=("PHONE", phone(rng)), f=("PHONE", phone(rng)))
        b.line("Patient: {n}          MRN: {m}", n=("NAME", patient), m=("MRN", mrn(rng)))
        if rng.random() < 0.5:
            tmpl, age = old_age(rng)
            b.line("DOB: {d}   Age: {a}   Sex: F", d=("DATE", date(rng)), a=("AGE>89", age))
        else:
            b.line("DOB: {d}   Age: 5{a}   Sex: F", d=("DATE", date(rng)), a=("", str(rng.randint(0, 9))))
        b.line("Accession #: {a}      Collected: {d1}     Received: {d2}", a=("ACCESSION", accession(rng)),
               d1=("DATE", date(rng, year=2024)), d2=("DATE", date(rng, rng.choice(["mdy", "Month d, yyyy"]), 2024)))
        b.line("Ordering Physician: {d}", d=("NAME", doc1))
        b.line("Surgeon: Dr. {d}", d=("NAME", doc2))
    elif style == 1:
        b.line("FAX FROM {fac} {p}  PAGE 1 OF 2  {d}", fac=("", fac.upper()), p=("PHONE", phone(rng)),
               d=("DATE", date(rng, "mdy")))
        b.line("PATHOLOGY CONSULTATION REPORT")
        b.line("NAME: {n}     MED REC NO: {m}    CASE NO: {a}", n=("NAME", person(rng, rng.choice(["LAST, FIRST", "LAST, FIRST MI"]))[0]),
               m=("MRN", mrn(rng)), a=("ACCESSION", f"{rng.randint(10, 25)}-{rng.randint(1000, 99999)}"))
        b.line("DATE OF BIRTH: {d}   AGE/SEX: {a}/F", d=("DATE", date(rng, "MONTH D, YYYY")), a=("AGE>89", str(rng.randint(90, 99))))
        b.line("DATE OF PROCEDURE: {d}", d=("DATE", date(rng, rng.choice(["DD-MON-YYYY", "MON-DD-YYYY"]))))
        b.line("REFERRING PHYSICIAN: {d}, MD", d=("NAME", doc1.upper()))
        b.line("ADDRESS: {s} {c}", s=("ADDRESS", street(rng)), c=("ADDRESS", city(rng)))
    else:
        b.line("Breast Pathology Report - {fac}", fac=("", fac))
        b.line("Patient Name: {n}    Health Card No: {h}    Acct #: {ac}", n=("NAME", patient),
               h=("MRN", mrn(rng)), ac=("MRN", str(rng.randint(10**6, 10**8))))
        b.line("Date of Birth: {d}    Specimen ID: {a}    SSN: {s}", d=("DATE", date(rng)),
               a=("ACCESSION", accession(rng)), s=("SSN", ssn(rng)))
        b.line("Copy to: {d1}; Dr. {d2}", d1=("NAME", doc1), d2=("NAME", doc3))
        b.line("{n}, {c}", n=("ADDRESS", f"P.O. Box {rng.randint(10, 9999)}"), c=("ADDRESS", city(rng)))

    b.line()
    b.line("CLINICAL HISTORY:")
    tmpl, age = old_age(rng)
    if rng.random() < 0.5:
        b.line(tmpl.replace("{age}", "{a}") + " woman with a palpable left breast mass.", a=("AGE>89", age))
    else:
        b.line("{a}-year-old woman with a palpable breast mass at 2 o'clock.", a=("", str(rng.randint(30, 89))))
    b.line("Ms. {l} had a core biopsy ({acc}) on {d} showing carcinoma. History of right DCIS in 2015.",
           l=("NAME", p_last), acc=("ACCESSION", accession(rng)), d=("DATE", date(rng, year=2024)))
    if rng.random() < 0.5:
        b.line("Patient contact: {p}; {e}", p=("PHONE", phone(rng)), e=("EMAIL", email(rng, p_last)))
    b.line()

    # Body: uni- or bilateral lettered diagnosis with synoptic summaries.
    b.line("FINAL DIAGNOSIS:")
    bilateral = rng.random() < 0.4
    body = _side_block(rng, rng.choice(["left", "right"]) if not bilateral else "left", ("A", "B"), caps)
    if bilateral:
        body += _side_block(rng, "right", ("C", "D"), caps)
    for ln in body:
        b.line(_noise(rng, ln) if rng.random() < 0.3 else ln)
    for ln in rng.sample(TRICKY_LINES, 5):
        b.line(ln)
    b.line()
    b.line("COMMENT: Results called to Dr. {d} by {p} on {dt} at 10:15.", d=("NAME", doc1_last),
           p=("NAME", person(rng, "first last")[0]), dt=("DATE", date(rng, year=2024)))
    b.line("Part 2 reviewed with the same conclusion; blocks A3 and B1 used for ancillary studies.")
    b.line()

    # Footer: signatures, contact.
    signer = rng.choice(["Electronically signed by {d}, M.D., on {dt}", "{d} MD  {dt}",
                         "Signed out by: Dr. {d}  {dt}", "Pathologist: {d}    Date signed: {dt}"])
    b.line(signer, d=("NAME", doc2 if "MD" not in signer else doc2.upper()), dt=("DATE", date(rng, year=2024)))
    if rng.random() < 0.6:
        b.line("Reviewed by {d}", d=("NAME", doc3))
    if rng.random() < 0.6:
        b.line("Questions: {e} or {u}", e=("EMAIL", email(rng, doc1_last)), u=("URL", url(rng)))
    if rng.random() < 0.2:
        b.line(rng.choice(["5SN: {s}", "SS# {s}", "ID {s}"]), s=("SSN", ssn(rng)))
    if rng.random() < 0.3:
        b.line("Lab Tel: {p}", p=("PHONE", f"{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"))

    text = b.text()
    fix = Fixture(text, b.phi)
    fix.clinical = clinical_tokens(text, fix.phi)
    return fix


def clinical_tokens(text: str, phi: list[Planted]) -> list[Planted]:
    """Clinical tokens of `text` that lie outside every planted PHI value."""
    out = []
    for m in CLINICAL_TOKEN.finditer(text):
        if not any(p.start < m.end() and m.start() < p.end for p in phi):
            out.append(Planted(m.start(), m.end(), "CLINICAL", m.group()))
    return out


def generate(n: int, seed: int = 0) -> list[Fixture]:
    rng = random.Random(seed)
    return [make_report(rng) for _ in range(n)]


# --- measures ---------------------------------------------------------------------------


def covered(spans: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    """All letters and digits of text[start:end] lie inside redacted spans."""
    return all(any(s <= i < e for s, e in spans) for i in range(start, end) if text[i].isalnum())


def touched(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


@dataclass
class Score:
    phi_planted: int = 0
    phi_removed: int = 0
    clinical_total: int = 0
    clinical_lost: int = 0
    words_total: int = 0  # every non-PHI word of the reports
    words_lost: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) - test output only
    lost: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.phi_removed / self.phi_planted if self.phi_planted else 1.0

    @property
    def clinical_loss(self) -> float:
        return self.clinical_lost / self.clinical_total if self.clinical_total else 0.0

    @property
    def word_loss(self) -> float:
        return self.words_lost / self.words_total if self.words_total else 0.0


def score(fixtures: list[Fixture], deid) -> Score:
    """Run `deid(text) -> DeidResult` on each fixture and count removed PHI / lost clinical tokens."""
    sc = Score()
    for fx in fixtures:
        res = deid(fx.text)
        spans = [(r.start, r.end) for r in res.spans]
        for p in fx.phi:
            sc.phi_planted += 1
            if covered(spans, p.start, p.end, fx.text):
                sc.phi_removed += 1
            else:
                sc.missed.append((p.kind, p.value))
        for c in fx.clinical:
            sc.clinical_total += 1
            if touched(spans, c.start, c.end):
                sc.clinical_lost += 1
                sc.lost.append(c.value)
        for m in re.finditer(r"\S+", fx.text):
            if any(p.start < m.end() and m.start() < p.end for p in fx.phi):
                continue
            sc.words_total += 1
            if touched(spans, m.start(), m.end()):
                sc.words_lost += 1
                sc.lost.append(m.group())
    return sc
