"""Sealed PHI corpus: breast pathology reports with identifiers planted everywhere real reports hold them.

Written without looking at the de-identifier, its rules, its tests or the other PHI generators, so the
de-identifier was never tuned on it. Every document is a believable breast pathology report (tumour,
Nottingham grade, ER/PR/HER2, pT/pN) so pathx processes it and emits evidence, and it plants identifiers in:

  headers        patient name, MRN, accession, DOB, procedure/receipt/sign-out dates, physicians, hospital,
                 street address + town + state + ZIP, phone/fax, e-mail, SSN, account numbers, ages over 89
  bodies         outside/prior case numbers in parentheses with part letters glued on ("(S20-11872A)"),
                 names in the clinical history, "labeled with the patient's name", relatives' names,
                 "dictated by Dr ...", hyphenated and apostrophe surnames, multi-word towns + state + ZIP
                 with and without a comma, ages at sentence end ("Age: 97.")
  addenda, gross descriptions, consult letters ("Dear Dr. ..."), running page headers and footers
                 repeated on each page ("Name ... MRN ... Page 2 of 3")
  variants       OCR damage (0/O, 1/l, rn/m, split tokens, random case), fully lower- or upper-cased text,
                 text flattened to one line
  international  dd.mm.yyyy, "12 March 2021", UK postcodes and NHS numbers ("943 476 5919"), Canadian
                 postal codes and health card numbers

    generate(out_dir, n=300, seed=0) -> manifest (list of {"file", "planted": [{"kind", "text"}]})

writes NNN.txt and planted.jsonl. Each planted "text" occurs verbatim in its file (after casing, OCR damage
and flattening); a name is planted whole and its first name and surname separately (kinds name_part /
physician_part). No planted string is shorter than 3 characters. ~35% of documents take their diagnostic
body from pathxgen.corpus (rendered with placeholders, which are then filled with this module's values).

    python -m pathxgen.phi_sealed OUT_DIR [--n N] [--seed S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
from pathlib import Path

KINDS = (
    "name",
    "name_part",
    "physician",
    "physician_part",
    "mrn",
    "accession",
    "date",
    "dob",
    "age",
    "phone",
    "address",
    "city",
    "zip",
    "email",
    "ssn",
    "nhs",
    "account",
    "hospital",
    "url",
)
MIN_LEN = 3


# ====================================================================== document tree
class P:
    """A planted identifier: its kind and its pieces (strings or nested plants)."""

    __slots__ = ("kind", "children")

    def __init__(self, kind: str, *children):
        self.kind = kind
        self.children = list(children)


def _render(items, leaf) -> tuple[str, list[tuple[str, str]]]:
    out: list[str] = []
    plants: list[tuple[str, str]] = []

    def walk(node, in_plant: bool) -> str:
        if isinstance(node, str):
            return leaf(node, in_plant)
        s = "".join(walk(ch, True) for ch in node.children)
        plants.append((node.kind, s))
        return s

    for it in items:
        out.append(walk(it, False))
    return "".join(out), plants


# ====================================================================== pools
FIRST_F = (
    "Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret", "Dorothy",
    "Lisa", "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth", "Sharon", "Michelle",
    "Laura", "Sarah", "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda",
    "Amy", "Anna", "Rebecca", "Virginia", "Kathleen", "Pamela", "Martha", "Debra", "Amanda", "Stephanie",
    "Carolyn", "Christine", "Marie", "Janet", "Catherine", "Frances", "Ann-Marie", "Mary-Kate", "Guadalupe",
    "Xiomara", "Yolanda", "Mei-Ling", "Priya", "Aaliyah", "Ngozi", "Oluwaseun", "Fatima", "Siobhan", "Aoife",
    "Ingrid", "Agnieszka", "Thi Lan", "Hye-jin", "Keiko", "Svetlana", "Lucia", "Rosalind", "Evangeline",
    "Imelda", "Bernadette", "Consuelo", "Wilhelmina", "Dagmar", "Roxanne", "Tamika", "Latoya", "Shanice",
)
FIRST_M = ("Robert", "James", "Michael", "Harold", "Vincent", "Desmond", "Rajesh", "Tomasz", "Kwame")
LAST = (
    "O'Neil", "O'Brien", "D'Angelo", "O'Sullivan", "D'Souza", "Smith-Jones", "Garcia-Lopez", "Harrington-Wells",
    "Al-Sayed", "McAllister", "MacDonald", "McKenzie", "Fitzgerald", "Nguyen", "Okafor", "Adeyemi", "Kowalczyk",
    "Wisniewski", "Van der Berg", "de la Cruz", "St. Clair", "Nakamura", "Takahashi", "Chaudhry", "Ramaswamy",
    "Johansson", "Lindqvist", "Papadopoulos", "Moreau", "Rousseau", "Schneider", "Hoffmann", "Kaczmarek",
    "Thompson", "Robinson", "Henderson", "Patterson", "Gonzalez", "Hernandez", "Ramirez", "Washington",
    "Jefferson", "Abernathy", "Blackwood", "Whitfield", "Castellano", "Zimmerman", "Delacroix", "Oyelaran",
    "Mbeki", "Tran", "Pham", "Kapoor", "Bhattacharya", "Featherstone", "Ashworth", "Quinlan", "Gallagher",
    "Donnelly", "Krishnamurthy", "Sorensen", "Haddad", "Khoury", "Petrov", "Ivanova", "Nunez", "Mueller",
    "Yamamoto", "Kim-Park", "Lefebvre", "Beaumont", "Thibodeaux", "Boudreau", "Ferreira", "Carvalho",
)
DOC_FIRST = (
    "Alan", "Beatrice", "Charles", "Daniela", "Edward", "Farah", "Gregory", "Hannah", "Isaac", "Julian",
    "Kenneth", "Leonora", "Marcus", "Nadia", "Oscar", "Philippa", "Quentin", "Rupert", "Samuel", "Theresa",
    "Umberto", "Vikram", "Wendell", "Yusuf", "Zelda", "Anjali", "Benedict", "Cornelius", "Dimitri", "Eleanor",
)
DOC_LAST = (
    "Abramowitz", "Bergstrom", "Castellanos", "Delgado", "Eriksen", "Fairbanks", "Goldberg", "Hollister",
    "Iwasaki", "Jablonski", "Kowalski", "Lindgren", "Montgomery", "Novak", "O'Callaghan", "Pemberton",
    "Quintero", "Rosenthal", "Sandoval", "Trautmann", "Underwood", "Vasquez-Ortiz", "Weatherby", "Xu-Halvorsen",
    "Yablonsky", "Zielinski", "Achebe", "Brightwater", "Chakraborty", "DuBois", "Ellsworth", "Farquhar",
    "Gutierrez", "Hargreaves", "MacPherson", "Nwachukwu", "Ostrowski", "Prendergast", "Runyon", "Szymanski",
)
US_TOWNS = (
    ("Eau Claire", "WI", "547"), ("Cedar Rapids", "IA", "524"), ("Glens Falls", "NY", "128"),
    ("Port St. Lucie", "FL", "349"), ("Saint Paul", "MN", "551"), ("West Hartford", "CT", "061"),
    ("Bowling Green", "KY", "421"), ("Coeur d'Alene", "ID", "838"), ("Sioux Falls", "SD", "571"),
    ("Winston-Salem", "NC", "271"), ("Lake Oswego", "OR", "970"), ("Mount Pleasant", "SC", "294"),
    ("Grand Junction", "CO", "815"), ("Palm Beach Gardens", "FL", "334"), ("Ann Arbor", "MI", "481"),
    ("Des Moines", "IA", "503"), ("Fort Lee", "NJ", "070"), ("Little Rock", "AR", "722"),
    ("Traverse City", "MI", "496"), ("Council Bluffs", "IA", "515"), ("Cape Girardeau", "MO", "637"),
    ("Bryn Mawr", "PA", "190"), ("Chapel Hill", "NC", "275"), ("Rancho Cucamonga", "CA", "917"),
    ("Framingham", "MA", "017"), ("Poughkeepsie", "NY", "126"), ("Scottsdale", "AZ", "852"),
    ("Kalamazoo", "MI", "490"), ("Shreveport", "LA", "711"), ("Tuscaloosa", "AL", "354"),
)
UK_TOWNS = (
    ("Market Harborough", "LE16"), ("Milton Keynes", "MK9"), ("Stoke-on-Trent", "ST4"),
    ("Bury St Edmunds", "IP33"), ("Hemel Hempstead", "HP1"), ("Newcastle upon Tyne", "NE7"),
    ("Kingston upon Hull", "HU3"), ("Welwyn Garden City", "AL8"), ("Stratford-upon-Avon", "CV37"),
    ("Sutton Coldfield", "B73"), ("Royal Tunbridge Wells", "TN2"), ("Bishop's Stortford", "CM23"),
)
CA_TOWNS = (
    ("Trois-Rivieres", "QC", "G9A"), ("Thunder Bay", "ON", "P7B"), ("Red Deer", "AB", "T4N"),
    ("Prince George", "BC", "V2L"), ("Saint John", "NB", "E2L"), ("Sault Ste. Marie", "ON", "P6A"),
    ("Grande Prairie", "AB", "T8V"), ("North Bay", "ON", "P1B"), ("Moose Jaw", "SK", "S6H"),
)
STREETS = (
    "Maple Ridge Road", "Old Mill Lane", "Chestnut Hill Ave", "Wentworth Drive", "Pinecrest Court",
    "Harbor View Blvd", "Juniper Way", "Larkspur Terrace", "Quarry Hollow Rd", "Birchwood Circle",
    "Kingfisher Close", "Abbey Grange Road", "Rue Sainte-Catherine", "Elmhurst Parkway", "Tamarack Trail",
    "Cobblestone Row", "Foxglove Crescent", "Wheatfield Pike", "Osprey Point", "Meadowlark Lane",
)
HOSP_A = (
    "Saint Brigid", "Mercy", "Good Samaritan", "Providence", "Lakeshore", "Riverbend", "Holy Redeemer",
    "Sister Agnes", "Northfield", "Wexford", "Greenbriar", "Fairhaven", "Our Lady of Lourdes", "Baycrest",
    "Summit Ridge", "Whitestone", "Ashgrove", "Cumberland Valley",
)
HOSP_B = (
    "General Hospital", "Medical Center", "Regional Medical Center", "University Hospital", "Cancer Institute",
    "Community Hospital", "Health System", "Memorial Hospital", "Infirmary", "Breast Center",
)
UK_HOSP = (
    "Queen Adelaide University Hospital", "Royal Pennington Infirmary", "St Swithun's Hospital",
    "Princess Beatrice Hospital", "Kingsmere General Hospital",
)
CA_HOSP = ("Hopital Sainte-Genevieve", "Lakehead Regional Health Sciences Centre", "Foothills Memorial Centre")
MAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "comcast.net", "hotmail.co.uk", "icloud.com")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
)
RELATIONS = ("daughter", "son", "husband", "sister", "niece", "health care proxy", "wife", "brother")


# ====================================================================== identity of one report
class World:
    """The identifiers of one report and small helpers that wrap them as plants."""

    def __init__(self, rng: random.Random, region: str):
        self.r = r = rng
        self.region = region
        self.sex = "M" if r.random() < 0.04 else "F"
        self.first = r.choice(FIRST_M if self.sex == "M" else FIRST_F)
        self.last = r.choice(LAST)
        self.middle = r.choice("ABCDEFGHJKLMNPRSTW")
        old = r.random() < 0.3
        self.age = r.randint(90, 103) if old else r.randint(31, 88)
        year = r.randint(2015, 2024)
        self.procedure = dt.date(year, r.randint(1, 12), r.randint(1, 28))
        self.received = self.procedure + dt.timedelta(days=r.choice((0, 0, 1, 1, 2)))
        self.signed = self.received + dt.timedelta(days=r.randint(1, 9))
        self.addendum = self.signed + dt.timedelta(days=r.randint(2, 14))
        self.dob = dt.date(year - self.age, r.randint(1, 12), r.randint(1, 28))
        self.prior = self.procedure - dt.timedelta(days=r.randint(14, 900))
        self.docs = [(r.choice(DOC_FIRST), r.choice(DOC_LAST)) for _ in range(4)]
        while len({d[1] for d in self.docs}) < 4:
            self.docs = [(r.choice(DOC_FIRST), r.choice(DOC_LAST)) for _ in range(4)]
        self.rel_first = r.choice([f for f in FIRST_F + FIRST_M if f != self.first])
        self.rel = r.choice(RELATIONS)
        self.yy = year % 100
        self.date_style = r.randrange(9 if region == "us" else 5)
        if region == "us":
            self.hospital = f"{r.choice(HOSP_A)} {r.choice(HOSP_B)}"
        elif region == "uk":
            self.hospital = r.choice(UK_HOSP)
        else:
            self.hospital = r.choice(CA_HOSP)

    # ------------------------------------------------------------ names
    def name(self, form: int | None = None, kind: str = "name", who=None) -> P:
        first, last = who or (self.first, self.last)
        pk = "name_part" if kind == "name" else "physician_part"
        f, l_ = P(pk, first), P(pk, last)
        form = self.r.randrange(6) if form is None else form
        if form == 0:
            return P(kind, f, " ", l_)
        if form == 1:
            return P(kind, l_, ", ", f)
        if form == 2:
            return P(kind, l_, ", ", f, f" {self.middle}.")
        if form == 3:
            return P(kind, f, f" {self.middle}. ", l_)
        if form == 4:
            return P(kind, l_, ",", f)
        return P(kind, P(pk, last.upper()), ", ", P(pk, first.upper()))

    def doc(self, i: int, form: int | None = None) -> list:
        first, last = self.docs[i]
        form = self.r.randrange(5) if form is None else form
        if form == 0:
            return ["Dr. ", self.name(0, "physician", (first, last))]
        if form == 1:
            return [self.name(0, "physician", (first, last)), ", MD"]
        if form == 2:
            return [self.name(1, "physician", (first, last)), " M.D."]
        if form == 3:
            return [P("physician", f"{first[0]}. ", P("physician_part", last)), ", MD, PhD"]
        return ["Dr ", P("physician_part", last)]

    def doc_last(self, i: int) -> P:
        return P("physician_part", self.docs[i][1])

    def relative(self) -> list:
        if self.r.random() < 0.5:
            return [f"her {self.rel}, ", P("name", P("name_part", self.rel_first), " ", P("name_part", self.last))]
        return [f"{self.rel} ", P("name_part", self.rel_first)]

    # ------------------------------------------------------------ dates
    def date(self, d: dt.date, kind: str = "date", style: int | None = None) -> P:
        s = self.date_style if style is None else style
        m = MONTHS[d.month - 1]
        if self.region != "us":
            fmts = (
                f"{d.day:02d}.{d.month:02d}.{d.year}",
                f"{d.day} {m} {d.year}",
                f"{d.day:02d}/{d.month:02d}/{d.year}",
                f"{d.day}-{m[:3]}-{d.year}",
                f"{d.day}{'th' if d.day not in (1, 2, 3, 21, 22, 23) else {1: 'st', 2: 'nd', 3: 'rd'}[d.day % 10]}"
                f" {m} {d.year}",
            )
        else:
            fmts = (
                f"{d.month:02d}/{d.day:02d}/{d.year}",
                f"{d.month}/{d.day}/{d.year % 100:02d}",
                f"{d.year}-{d.month:02d}-{d.day:02d}",
                f"{m} {d.day}, {d.year}",
                f"{m[:3]} {d.day} {d.year}",
                f"{d.day:02d}-{m[:3].upper()}-{d.year}",
                f"{d.month}-{d.day}-{d.year}",
                f"{d.day} {m} {d.year}",
                f"{d.month:02d}.{d.day:02d}.{d.year}",
            )
        return P(kind, fmts[s % len(fmts)])

    def other_date(self) -> P:
        return self.date(self.procedure, style=self.r.randrange(9))

    # ------------------------------------------------------------ numbers
    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def mrn(self) -> P:
        """The patient's one MRN (a report holds one patient: several MRNs mean several reports)."""
        if getattr(self, "_mrn", None) is None:
            self._mrn = self._new_mrn()
        return P("mrn", self._mrn.children[0])

    def _new_mrn(self) -> P:
        r = self.r
        f = r.randrange(7)
        v = (
            self.digits(8),
            f"{self.digits(4)}-{self.digits(4)}",
            "E" + self.digits(7),
            "00" + self.digits(6),
            f"{self.digits(3)}-{self.digits(2)}-{self.digits(3)}",
            self.digits(7),
            f"MR{self.digits(9)}",
        )[f]
        return P("mrn", v)

    def accession(self, prefix: str | None = None, year: int | None = None) -> str:
        r = self.r
        y = self.yy if year is None else year
        p = prefix or r.choice(("S", "SP", "SURG", "S", "CS", "BX", "HS", "PA"))
        f = r.randrange(4)
        if f == 0:
            return f"{p}{y:02d}-{r.randint(10, 99999)}"
        if f == 1:
            return f"{p}-{y:02d}-{r.randint(100, 999999):06d}"
        if f == 2:
            return f"{p}{2000 + y}-{r.randint(1000, 99999)}"
        return f"{y:02d}-{p}-{r.randint(1000, 99999)}"

    def phone(self) -> P:
        r = self.r
        if self.region == "uk":
            v = r.choice(
                (
                    f"0{r.randint(113, 191)} {r.randint(200, 999)} {r.randint(1000, 9999)}",
                    f"+44 (0){r.randint(20, 29)} {r.randint(3000, 8999)} {r.randint(1000, 9999)}",
                    f"01{r.randint(200, 999)} {r.randint(100000, 999999)}",
                )
            )
            return P("phone", v)
        a, b, c = r.randint(201, 989), r.randint(201, 989), r.randint(0, 9999)
        v = r.choice(
            (
                f"({a}) {b}-{c:04d}",
                f"{a}-{b}-{c:04d}",
                f"{a}.{b}.{c:04d}",
                f"+1 {a} {b} {c:04d}",
                f"1-{a}-{b}-{c:04d}",
                f"({a}){b}-{c:04d}",
                f"{a}/{b}-{c:04d}",
            )
        )
        return P("phone", v)

    def ssn(self) -> P:
        r = self.r
        a, b, c = r.randint(101, 665), r.randint(10, 99), r.randint(1000, 9999)
        return P("ssn", r.choice((f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}")))

    def nhs(self) -> P:
        while True:
            ds = [self.r.randint(0, 9) for _ in range(9)]
            ds[0] = self.r.randint(4, 9)
            chk = 11 - sum(d * w for d, w in zip(ds, range(10, 1, -1))) % 11
            chk = 0 if chk == 11 else chk
            if chk != 10:
                break
        s = "".join(map(str, ds + [chk]))
        return P("nhs", self.r.choice((f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}")))

    def ca_health(self) -> P:
        return P("account", f"{self.digits(4)}-{self.digits(3)}-{self.digits(3)}-{self.r.choice('ABCDEFGHJK')}"
                 f"{self.r.choice('ABCDEFGHJK')}")

    def email(self, doctor: int | None = None) -> P:
        r = self.r
        if doctor is not None:
            f, l_ = self.docs[doctor]
            dom = re.sub(r"[^a-z]", "", self.hospital.lower().split()[0]) + r.choice((".org", ".edu", "health.org"))
            user = f"{f[0].lower()}{re.sub(r'[^a-z]', '', l_.lower())}"
        else:
            ln = re.sub(r"[^a-z]", "", self.last.lower())
            user = r.choice((f"{self.first.lower()}.{ln}", f"{self.first[0].lower()}{ln}{r.randint(1, 99)}",
                             f"{ln}_{self.first.lower()}"))
            user = re.sub(r"[^a-z0-9._]", "", user)
            dom = r.choice(MAIL_DOMAINS)
        return P("email", f"{user}@{dom}")

    # ------------------------------------------------------------ places
    def address(self, comma: bool | None = None) -> list:
        """Street, town, region and postal code as one line (pieces planted separately too)."""
        r = self.r
        comma = r.random() < 0.5 if comma is None else comma
        num = str(r.randint(12, 9870))
        street = P("address", f"{num} {r.choice(STREETS)}" + (r.choice(("", ", Apt 4B", " Unit 12")) if r.random() < 0.2 else ""))
        if self.region == "us":
            town, st, z3 = r.choice(US_TOWNS)
            zp = f"{z3}{r.randint(0, 99):02d}" + (f"-{r.randint(1000, 9999)}" if r.random() < 0.25 else "")
            tail = [P("city", town), (", " if comma else " ") + st + " ", P("zip", zp)]
        elif self.region == "uk":
            town, pc = r.choice(UK_TOWNS)
            post = f"{pc} {r.randint(1, 9)}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}{r.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            tail = [P("city", town), ", " if comma else " ", P("zip", post)]
        else:
            town, prov, fsa = r.choice(CA_TOWNS)
            post = f"{fsa} {r.randint(1, 9)}{r.choice('ABCEGHJKLMNPRSTVWXYZ')}{r.randint(0, 9)}"
            tail = [P("city", town), (", " if comma else " ") + prov + "  ", P("zip", post)]
        return [P("address", street, ", ", *tail)]

    def hosp(self) -> P:
        return P("hospital", self.hospital)


# ====================================================================== diagnostic body (own wording)
def _tumour(r: random.Random) -> dict:
    size = round(r.choice((r.uniform(3, 20), r.uniform(3, 20), r.uniform(20, 50), r.uniform(50, 80))), 1)
    t = "1c" if size > 10 else "1b" if size > 5 else "1a"
    t = "2" if size > 20 else t
    t = "3" if size > 50 else t
    pos = r.choice((0, 0, 0, 1, 2, 3, 5))
    exam = pos + r.randint(1, 12)
    n = "0" if pos == 0 else "1a" if pos <= 3 else "2a"
    scores = (r.randint(1, 3), r.randint(1, 3), r.randint(1, 3))
    tot = sum(scores)
    grade = 1 if tot <= 5 else 2 if tot <= 7 else 3
    er = r.choice((0, 5, 40, 80, 90, 95, 100))
    pr = r.choice((0, 0, 10, 30, 60, 85))
    ihc = r.choice((0, 1, 1, 2, 3))
    return {
        "side": r.choice(("left", "right")),
        "size": size,
        "t": t,
        "n": n,
        "pos": pos,
        "exam": exam,
        "scores": scores,
        "grade": grade,
        "er": er,
        "pr": pr,
        "ihc": ihc,
        "hist": r.choice(("invasive ductal carcinoma", "invasive carcinoma of no special type",
                          "invasive lobular carcinoma", "invasive mammary carcinoma")),
        "clock": r.randint(1, 12),
        "lvi": r.random() < 0.3,
    }


def _pn(r: random.Random, t: dict) -> str:
    return "negative" if t["pos"] == 0 else "positive"


def diagnosis(w: World, t: dict, style: int) -> list[str]:
    r = w.r
    s, side = t["size"], t["side"]
    pm = "Positive" if t["er"] >= 1 else "Negative"
    pp = "Positive" if t["pr"] >= 1 else "Negative"
    her2 = {0: "Negative (score 0)", 1: "Negative (score 1+)", 2: "Equivocal (score 2+)", 3: "Positive (score 3+)"}
    ish = ""
    if t["ihc"] == 2:
        amp = r.random() < 0.3
        ish = (f"HER2 FISH: {'AMPLIFIED' if amp else 'NOT AMPLIFIED'} (HER2/CEP17 ratio "
               f"{r.uniform(2.2, 4.5) if amp else r.uniform(1.0, 1.8):.2f})")
    a, b, c = t["scores"]
    if style == 0:
        return [
            f"{side.upper()} BREAST, {r.choice(('LUMPECTOMY', 'PARTIAL MASTECTOMY', 'SIMPLE MASTECTOMY'))}:",
            f"  - {t['hist'].upper()}, NOTTINGHAM GRADE {t['grade']} OF 3 (TUBULES {a}, NUCLEI {b}, MITOSES {c}).",
            f"  - TUMOR SIZE: {s / 10:.1f} CM IN GREATEST DIMENSION.",
            f"  - LYMPHOVASCULAR INVASION: {'PRESENT' if t['lvi'] else 'NOT IDENTIFIED'}.",
            f"  - MARGINS NEGATIVE; CLOSEST (POSTERIOR) {r.randint(2, 9)} MM.",
            f"  - {t['pos']} OF {t['exam']} LYMPH NODES POSITIVE FOR METASTATIC CARCINOMA ({t['pos']}/{t['exam']}).",
            "",
            "BREAST BIOMARKERS:",
            f"  Estrogen receptor: {pm} ({t['er']}% of tumor cells, strong intensity)",
            f"  Progesterone receptor: {pp} ({t['pr']}%)",
            f"  HER2 by IHC: {her2[t['ihc']]}",
            *([f"  {ish}"] if ish else []),
            "",
            f"PATHOLOGIC STAGE (AJCC 8th edition): pT{t['t']} pN{t['n']}",
        ]
    if style == 1:
        return [
            "SYNOPTIC REPORT - INVASIVE CARCINOMA OF THE BREAST",
            f"Procedure: {r.choice(('Excision (less than total mastectomy)', 'Total mastectomy'))}",
            f"Specimen Laterality: {side.capitalize()}",
            f"Tumor Site: {t['clock']} o'clock",
            f"Histologic Type: {t['hist'].capitalize()}",
            f"Tumor Size: {s:.0f} mm",
            f"Histologic Grade (Nottingham): Grade {t['grade']} (score {a + b + c}/9)",
            f"  Glandular (Acinar)/Tubular Differentiation: Score {a}",
            f"  Nuclear Pleomorphism: Score {b}",
            f"  Mitotic Rate: Score {c}",
            f"Lymph Nodes Examined: {t['exam']}",
            f"Lymph Nodes with Macrometastases: {t['pos']}",
            f"Primary Tumor (pT): pT{t['t']}",
            f"Regional Lymph Nodes (pN): pN{t['n']}",
            f"Estrogen Receptor (ER): {pm}, {t['er']}%",
            f"Progesterone Receptor (PgR): {pp}, {t['pr']}%",
            f"HER2 (by immunohistochemistry): {her2[t['ihc']]}",
            *([ish] if ish else []),
        ]
    # narrative
    return [
        f"Sections of the {side} breast mass show an {t['hist']} measuring {s / 10:.1f} cm, Nottingham grade "
        f"{t['grade']} (tubule formation {a}, nuclear pleomorphism {b}, mitotic count {c}; total {a + b + c}).",
        f"Lymphovascular invasion is {'present' if t['lvi'] else 'not identified'}. The margins are free of tumour.",
        f"{t['exam']} axillary lymph nodes are identified; {t['pos']} contain metastatic carcinoma "
        f"({t['pos']}/{t['exam']}), {_pn(r, t)} overall.",
        f"Immunohistochemistry: the tumour cells are ER {pm.lower()} ({t['er']}%), PR {pp.lower()} ({t['pr']}%) "
        f"and HER2 {her2[t['ihc']].lower()}.",
        *([ish + "."] if ish else []),
        f"Pathological staging: pT{t['t']} pN{t['n']} (AJCC 8).",
    ]


_PLACEHOLDER = re.compile(r"\[(NAME|DATE|MRN|ACCESSION|PHONE|ADDRESS|ID|AGE|EMAIL|SSN|URL)\]")


_BODY_START = re.compile(
    r"(?im)^[ \t>*+o-]*(clinical|history|diagnos|final diag|pertinent|gross|macroscopic|synoptic|"
    r"we have reviewed|a[.)]\s|part a|consult)"
)


def corpus_body(w: World, seed: int, index: int) -> list | None:
    """A diagnostic body from pathxgen.corpus, its placeholders filled with this report's identifiers."""
    try:
        from pathxgen import corpus
    except Exception:  # pragma: no cover - corpus needs the pathx package
        return None
    r = w.r
    style = r.choice([s for s in corpus.STYLES if s not in ("bilateral_synoptic",)])
    rep = corpus.render_report(seed, index, style, "txt", phi=False, noise=False)
    text = rep["text"]
    m0 = _BODY_START.search(text)  # drop the corpus's own header: this module writes its own
    if m0 and re.search(r"(?i)breast", text[m0.start() :]) and re.search(r"(?i)carcinoma|\bidc\b|dcis", text[m0.start() :]):
        text = text[m0.start() :]
    items: list = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        items.append(text[pos : m.start()])
        k = m.group(1)
        if k == "NAME":
            items.extend([w.name()] if r.random() < 0.5 else w.doc(r.randrange(4), r.randrange(4)))
        elif k == "DATE":
            before = text[max(0, m.start() - 24) : m.start()].lower()
            items.append(w.date(w.dob, "dob") if re.search(r"dob|birth|born", before) else w.other_date())
        elif k == "MRN":
            items.append(w.mrn())
        elif k == "ACCESSION":
            items.append(P("accession", w.accession()))
        elif k == "PHONE":
            items.append(w.phone())
        elif k == "ADDRESS":
            items.extend(w.address())
        elif k == "ID":
            items.append(P("account", w.digits(9)))
        elif k == "AGE":
            items.append(P("age", f"{w.age if w.age > 89 else r.randint(90, 99)} years"))
        elif k == "EMAIL":
            items.append(w.email())
        elif k == "SSN":
            items.append(w.ssn())
        else:
            items.append(P("url", f"https://portal.{w.hospital.split()[0].lower()}.org/r/{w.digits(6)}"))
        pos = m.end()
    items.append(text[pos:])
    return items


# ====================================================================== sections
def header(w: World) -> list:
    r = w.r
    L: list = []
    title = r.choice(("SURGICAL PATHOLOGY REPORT", "Pathology Consultation", "DEPARTMENT OF CELLULAR PATHOLOGY",
                      "Histopathology Report", "ANATOMIC PATHOLOGY - FINAL"))
    L += [w.hosp(), "\n"]
    if r.random() < 0.6:
        L += ["Department of Pathology, ", *w.address(), "\n"]
    if r.random() < 0.7:
        L += ["Tel: ", w.phone(), "   Fax: ", w.phone(), "\n"]
    L += [title, "\n\n"]
    age_s: list
    if w.age > 89:
        age_s = [P("age", r.choice((f"{w.age} yrs", f"{w.age}Y", f"Age {w.age}", f"{w.age} years")))]
    else:
        age_s = [f"{w.age} yrs"]
    lay = r.randrange(4)
    acc = P("accession", w.accession())
    if lay == 0:
        L += ["Patient Name: ", w.name(1), "        Case #: ", acc, "\n"]
        L += ["Med. Rec. No.: ", w.mrn(), "        DOB: ", w.date(w.dob, "dob"), " (", *age_s, ")", "\n"]
        L += ["Date of Procedure: ", w.date(w.procedure), "   Received: ", w.date(w.received), "\n"]
        L += ["Submitting Physician: ", *w.doc(0), "   cc: ", *w.doc(1), "\n"]
    elif lay == 1:
        L += [acc, "  |  ", w.name(2), "  |  ", w.mrn(), "  |  DOB ", w.date(w.dob, "dob"), "  |  ", *age_s,
              f"  |  {w.sex}", "\n"]
        L += ["Collected ", w.date(w.procedure), " 09:41   Accessioned ", w.date(w.received), "\n"]
        L += ["Requesting clinician: ", *w.doc(0), "\n"]
    elif lay == 2:
        L += ["PATIENT: ", w.name(r.randrange(6)), "\n", "ACCT#: ", P("account", w.digits(10)), "   UNIT#: ",
              w.mrn(), "\n", "SEX/AGE: ", *([f"{w.sex}/{w.age}"] if w.age <= 89 else [P("age", f"{w.sex}/{w.age}")]), "\n"]
        L += ["ACCESSION: ", acc, "   DATE OBTAINED: ", w.date(w.procedure), "\n"]
        L += ["ATTENDING: ", *w.doc(0, 1), "   SURGEON: ", *w.doc(1, 2), "\n"]
    else:
        L += ["Surname: ", P("name_part", w.last), "   Forename(s): ", P("name_part", w.first), "\n"]
        L += ["Hospital No: ", w.mrn(), "\n"]
        if w.region == "uk":
            L += ["NHS No: ", w.nhs(), "\n"]
        elif w.region == "ca":
            L += ["Health card: ", w.ca_health(), "\n"]
        else:
            L += ["SSN: ", w.ssn(), "\n"]
        L += ["Date of birth: ", w.date(w.dob, "dob"), "   Lab No: ", acc, "\n"]
        L += ["Date sample taken: ", w.date(w.procedure), "   Date received: ", w.date(w.received), "\n"]
        L += ["Consultant: ", *w.doc(0), "\n"]
    if r.random() < 0.45:
        L += ["Patient address: ", *w.address(), "\n"]
    if r.random() < 0.3:
        L += ["Home phone: ", w.phone(), "   E-mail: ", w.email(), "\n"]
    if r.random() < 0.15 and w.region == "us":
        L += ["SSN: ", w.ssn(), "\n"]
    L += ["\n"]
    return L


def history(w: World, t: dict) -> list:
    r = w.r
    L: list = [r.choice(("CLINICAL HISTORY:", "Clinical information:", "CLINICAL DATA")), "\n"]
    title = "Mr." if w.sex == "M" else r.choice(("Ms.", "Mrs.", "Ms"))
    opener = r.randrange(4)
    if opener == 0:
        L += [f"{title} ", P("name_part", w.last), f" is a {w.age}-year-old " if w.age <= 89
              else f" is a ", *( [P("age", f"{w.age}-year-old")] if w.age > 89 else []),
              f"{' ' if w.age > 89 else ''}{'man' if w.sex == 'M' else 'woman'} with a {t['side']} breast mass "
              f"at {t['clock']} o'clock found on screening mammogram. "]
    elif opener == 1:
        L += ["Patient ", w.name(0), " presented with a palpable ", t["side"], " breast lump. "]
    elif opener == 2:
        L += [f"{t['side'].capitalize()} breast mass, core biopsy at ",
              P("hospital", f"{r.choice(HOSP_A)} {r.choice(HOSP_B)}"), " (",
              P("accession", w.accession(r.choice(("OSH", "NH", "BX", "C")), (w.yy - 1) % 100) + r.choice("ABC")),
              ") showed carcinoma. "]
    else:
        L += [w.name(0), " reports a lump noticed in the shower. "]
    if r.random() < 0.5:
        L += ["Prior biopsy dated ", w.date(w.prior), " reviewed (see ",
              P("accession", w.accession(r.choice(("S", "CS", "SP")), (w.yy - 1) % 100) + r.choice(("A", "B1", "A2", "C"))),
              "). "]
    if r.random() < 0.4:
        L += ["Accompanied today by ", *w.relative(), ". "]
    if r.random() < 0.3:
        L += ["Referred by ", *w.doc(2), " of ", *w.address()[:1][0].children[2:3], ". "]
    if w.age > 89 and r.random() < 0.7:
        L += [P("age", r.choice((f"Age: {w.age}", f"aged {w.age}", f"age {w.age}"))), ". "]
    L += ["\n\n"]
    return L


def gross(w: World, t: dict) -> list:
    r = w.r
    L: list = [r.choice(("GROSS DESCRIPTION:", "Macroscopic description:", "GROSS:")), "\n"]
    lab = r.randrange(4)
    if lab == 0:
        L += ["Received in formalin, labeled with the patient's name, \"", w.name(1), "\", and medical record number ",
              w.mrn(), ", "]
    elif lab == 1:
        L += ["The specimen is received fresh in a container labeled \"", w.name(0), f" - {t['side']} breast\" ", ]
    elif lab == 2:
        L += ["Received labeled with the patient's name (", w.name(r.randrange(6)), ") and date of birth (",
              w.date(w.dob, "dob"), "), "]
    else:
        L += ["Specimen A, labeled \"", P("name_part", w.last.upper()), f", {t['side'].upper()} BREAST\", ",
              "is received on ", w.date(w.received), " at 10:15 "]
    L += [f"and consists of a {r.choice(('lumpectomy', 'mastectomy'))} specimen, "
          f"{r.randint(60, 220)} g, with an orientation suture. A firm tan-white mass measuring "
          f"{t['size'] / 10:.1f} cm is present. Representative sections are submitted in cassettes A1-A{r.randint(6, 18)}. "]
    if r.random() < 0.6:
        L += ["Cold ischemia time less than 1 hour; placed in formalin at 11:02 on ", w.date(w.procedure), ". "]
    if r.random() < 0.5:
        L += ["Gross dictated by ", *w.doc(3, r.randrange(5)), ". "]
    L += ["\n\n"]
    return L


def signout(w: World) -> list:
    r = w.r
    L: list = ["\n"]
    form = r.randrange(4)
    if form == 0:
        L += ["Electronically signed by ", *w.doc(1), " on ", w.date(w.signed), " at 16:44", "\n"]
    elif form == 1:
        L += ["Dictated by: ", *w.doc(1), "   Verified by: ", *w.doc(3, 0), "\n", "Date signed out: ",
              w.date(w.signed), "\n"]
    elif form == 2:
        L += ["Pathologist: ", *w.doc(1, 3), " (", w.email(1), ")", "\n", "Reported: ", w.date(w.signed), "\n"]
    else:
        L += ["I have personally reviewed the slides and agree with the diagnosis. ", *w.doc(1, 4), ", ",
              w.date(w.signed), "\n"]
    if r.random() < 0.25:
        L += ["Results called to ", *w.doc(0), " at ", w.phone(), " on ", w.date(w.signed), ".\n"]
    return L


def addendum(w: World, t: dict) -> list:
    r = w.r
    L: list = ["\n", r.choice(("ADDENDUM", "Addendum Report", "SUPPLEMENTARY REPORT")), " (", w.date(w.addendum),
               "):", "\n"]
    L += ["Ki-67 proliferation index performed on block A3 (", P("accession", w.accession() + "-A3"),
          f") is {r.randint(5, 60)}%. "]
    if r.random() < 0.5:
        L += ["Discussed with ", *w.doc(0), " by telephone (", w.phone(), ") on ", w.date(w.addendum), ". "]
    L += ["Addendum by ", *w.doc(1, r.randrange(5)), ".\n"]
    return L


def letter(w: World, t: dict) -> list:
    r = w.r
    dear = w.docs[2]
    L: list = [w.date(w.signed), "\n\n", *w.doc(2, 0), "\n", *w.address(), "\n\n"]
    L += ["Dear Dr. ", P("physician_part", dear[1]), ",", "\n\n"]
    L += ["Re: ", w.name(r.randrange(6)), ", DOB ", w.date(w.dob, "dob"), ", our ref ", P("accession", w.accession()),
          "\n\n"]
    L += ["Thank you for referring your patient, ", w.name(0), ", and for sending the slides and blocks of your case ",
          P("accession", w.accession(r.choice(("OS", "EXT", "S")), w.yy) + r.choice(("", "A", "-B"))),
          f". We have reviewed the material and our findings follow.", "\n\n"]
    return L


def letter_close(w: World) -> list:
    return ["\n", "Please do not hesitate to call me at ", w.phone(), " with any questions.", "\n",
            "Yours sincerely,", "\n\n", *w.doc(1, 1), "\n", w.hosp(), "\n"]


# ====================================================================== variants
_KEEP = re.compile(
    r"carcinoma|grade|estrogen|oestrogen|progesterone|receptor|her2|positive|negative|breast|invasive|ductal|"
    r"lobular|lymph|node|tumou?r|nottingham|stage|equivocal|amplified|score|size|mammary|metasta|synoptic",
    re.I,
)
_SWAPS = (("0", "O"), ("O", "0"), ("1", "l"), ("l", "1"), ("I", "1"), ("rn", "m"), ("m", "rn"), ("5", "S"),
          ("8", "B"), ("e", "c"), ("o", "0"))


def ocr_leaf(r: random.Random, s: str, rate: float, plant: bool) -> str:
    def word(wd: str) -> str:
        if not plant and (len(wd) < 6 or not wd.isalpha() or _KEEP.search(wd)):
            return wd
        op = r.randrange(4)
        if op == 0 and len(wd) >= 4:  # split token
            i = r.randrange(2, len(wd) - 1)
            return wd[:i] + " " + wd[i:]
        if op == 1:  # random case
            return "".join(ch.upper() if r.random() < 0.5 else ch.lower() for ch in wd)
        for a, b in r.sample(_SWAPS, len(_SWAPS)):
            if a in wd:
                return wd.replace(a, b, 1)
        return wd

    parts = re.split(r"(\s+)", s)
    return "".join(p if (not p or p.isspace() or r.random() >= rate) else word(p) for p in parts)


def paginate(w: World, items: list, pages: int) -> list:
    """Split at line breaks into pages with a running header and footer on each."""
    flat: list[list] = [[]]
    for it in items:
        if isinstance(it, str) and "\n" in it:
            bits = it.split("\n")
            for j, b in enumerate(bits):
                if j:
                    flat.append([])
                if b:
                    flat[-1].append(b)
        else:
            flat[-1].append(it)
    per = max(1, -(-len(flat) // pages))
    form = w.r.randrange(3)
    out: list = []
    for p in range(pages):
        chunk = flat[p * per : (p + 1) * per]
        if not chunk:
            break
        if p or w.r.random() < 0.5:
            if form == 0:
                out += ["Name: ", w.name(1), "    MRN: ", w.mrn_fixed, f"    Page {p + 1} of {pages}", "\n"]
            elif form == 1:
                out += [w.hosp(), " | ", w.acc_fixed, " | ", w.name(4), " | DOB ", w.date(w.dob, "dob"), "\n"]
            else:
                out += ["Patient: ", P("name", P("name_part", w.last.upper()), ", ", P("name_part", w.first.upper())),
                        "   Acc#: ", w.acc_fixed, "\n"]
        for line in chunk:
            out += line + ["\n"]
        out += ["-" * 20, f" Page {p + 1} of {pages} ", "-" * 20, "  Printed ", w.date(w.signed), " ",
                w.mrn_fixed, "\n", "\f" if w.r.random() < 0.3 else ""]
    return out


def _canon(items: list) -> list:
    """Repeated plants (the running header's MRN) share one P object: make copies independent."""
    def cp(x):
        return x if isinstance(x, str) else P(x.kind, *[cp(ch) for ch in x.children])

    return [cp(x) for x in items]


# ====================================================================== one report
def build(seed: int, index: int) -> tuple[str, list[dict], dict]:
    r = random.Random(f"pathx-phi-sealed:{seed}:{index}")
    region = r.choices(("us", "uk", "ca"), weights=(70, 18, 12))[0]
    w = World(r, region)
    w.mrn_fixed = w.mrn()
    w.acc_fixed = P("accession", w.accession())
    t = _tumour(r)
    consult = r.random() < 0.15
    items: list = []
    if consult:
        items += [w.hosp(), "\n", "PATHOLOGY CONSULTATION LETTER", "\n\n"]
        items += letter(w, t)
    else:
        items += header(w)
        items += ["Case: ", w.acc_fixed, "   MRN: ", w.mrn_fixed, "\n\n"]
    use_corpus = r.random() < 0.35
    body = corpus_body(w, seed, index) if use_corpus else None
    if body is None and r.random() < 0.85:
        items += history(w, t)
    if body is not None:
        items += ["\n", *body, "\n"]
    else:
        items += [r.choice(("FINAL DIAGNOSIS:", "DIAGNOSIS:", "Final Pathologic Diagnosis")), "\n"]
        items += ["\n".join(diagnosis(w, t, r.randrange(3))), "\n\n"]
        if r.random() < 0.8:
            items += gross(w, t)
    if r.random() < 0.35:
        items += addendum(w, t)
    items += letter_close(w) if consult else signout(w)
    if r.random() < 0.4:
        items = paginate(w, items, r.randint(2, 4))
    items = _canon(items)

    # whole-document variants
    tags: list[str] = []
    case = r.choices(("asis", "lower", "upper"), weights=(74, 12, 14))[0]
    ocr = r.random() < 0.25
    flat = r.random() < 0.12
    if case != "asis":
        tags.append(case)
    if ocr:
        tags.append("ocr")
    if flat:
        tags.append("flattened")
    squeeze = r.random() < 0.5
    orng = random.Random(f"pathx-phi-sealed-ocr:{seed}:{index}")

    def leaf(s: str, in_plant: bool) -> str:
        if ocr:
            s = ocr_leaf(orng, s, 0.35 if in_plant else 0.03, in_plant)
        if case == "lower":
            s = s.lower()
        elif case == "upper":
            s = s.upper()
        if flat:
            s = re.sub(r"\s*\n\s*", " ", s.replace("\f", " "))
            if squeeze and not in_plant:
                s = re.sub(r"[ ]{2,}", " ", s)
        return s

    text, plants = _render(items, leaf)
    seen: dict[tuple[str, str], None] = {}
    for kind, s in plants:
        s = s.strip()
        if len(s) >= MIN_LEN and s in text:
            seen.setdefault((kind, s), None)
    planted = [{"kind": k, "text": s} for k, s in seen]
    meta = {"region": region, "consult": consult, "corpus_body": body is not None, "variants": tags}
    return text.rstrip() + "\n", planted, meta


def generate(out_dir: str | Path, n: int = 300, seed: int = 0) -> list[dict]:
    """Write NNN.txt and planted.jsonl into out_dir; return the manifest (one entry per file)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(n)))
    manifest = []
    for i in range(1, n + 1):
        text, planted, meta = build(seed, i)
        name = f"{i:0{width}d}.txt"
        (out / name).write_text(text, encoding="utf-8")
        manifest.append({"file": name, "planted": planted, **meta})
    with (out / "planted.jsonl").open("w", encoding="utf-8") as fh:
        for row in manifest:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pathxgen.phi_sealed", description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    m = generate(a.out_dir, a.n, a.seed)
    print(f"wrote {len(m)} reports and planted.jsonl ({sum(len(x['planted']) for x in m)} planted strings) to {a.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
