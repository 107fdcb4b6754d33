"""Fake protected health information (PHI) for the synthetic corpus.

Every report gets a patient, staff, dates, numbers and contact details in realistic US
formats. Each value is inserted through `Ctx.phi()` (corpus_phrases.py) so the generator knows
exactly which strings it planted and can list them in gold.jsonl for de-identification recall.
Names avoid words that are also clinical terms ("Gross", "Mass", "Grade", ...).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

SURNAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Okafor Adeyemi Mensah Owusu Patel Shah "
    "Desai Iyer Reddy Chen Wang Liu Zhang Huang Kim Park Choi Tanaka Suzuki Yamamoto Nakamura Kowalski "
    "Nowak Novak Horvath Schmidt Schneider Fischer Weber Becker Hoffmann Rossi Russo Ferrari Esposito "
    "Bianchi Dubois Lefebvre Moreau Laurent Fournier Murphy Kelly Sullivan Walsh O'Brien McCarthy "
    "Kowalczyk Ivanova Petrov Sokolova Cohen Levy Friedman Katz Haddad Khoury Nasser Abdullah Rahman "
    "Hussain Karimi Tehrani Yilmaz Demir Kaya Silva Santos Oliveira Pereira Costa Almeida Johansson "
    "Lindqvist Andersen Nielsen Hansen Larsen Jensen Dlamini Nkosi Mwangi Otieno Kamau Washington "
    "Jefferson Freeman Bryant Coleman Simmons Jenkins Perry Powell Butler Barnes Fisher Henderson "
    "Castillo Vargas Mendoza Romero Gutierrez Ortiz Morales Reyes Cruz Delgado Alvarez Lindgren "
    "Thibodeaux Boudreaux Landry Tran Pham Vu Hoang Do Bui Dang Vo Huynh Sato Kobayashi Watanabe"
).split()

FEMALE = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret "
    "Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca "
    "Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha "
    "Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia "
    "Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah "
    "Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn Janice Jean Abigail Alice Judy "
    "Sophia Grace Denise Amber Doris Marilyn Danielle Beverly Isabella Theresa Diana Natalie Brittany "
    "Charlotte Marie Kayla Alexis Lori Aisha Fatima Priya Anjali Mei Ying Yuki Keiko Hyun-Joo Min-ji "
    "Oluwaseun Chiamaka Ngozi Amara Lucia Guadalupe Rosa Ximena Carmen Ines Agnieszka Katarzyna Olga "
    "Svetlana Ingrid Astrid Sinead Siobhan Leilani Thi Lan Huong Nadia Yasmin Leila Esther Miriam"
).split()

MALE = (
    "James Robert John Michael David William Richard Joseph Thomas Charles Christopher Daniel Matthew "
    "Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason "
    "Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel "
    "Raj Arjun Vikram Wei Jun Hiroshi Kenji Sung-Min Emeka Kwame Tunde Carlos Luis Javier Mateo Pavel "
    "Tomasz Lars Erik Omar Tariq Yusuf Ahmed David Noah Ethan Liam Dmitri Francois Pierre Giovanni"
).split()

STREETS = (
    "Poplar Ave",
    "Union Ave",
    "Madison Ave",
    "Oak St",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Main St",
    "Park Ave",
    "Highland Rd",
    "Walnut Grove Rd",
    "Summer Ave",
    "Lakeview Dr",
    "Riverside Blvd",
    "Jackson Ave",
    "Lamar Ave",
    "Kirby Pkwy",
    "Germantown Rd",
    "Peachtree St NE",
    "Broadway",
    "Sunset Blvd",
    "Mill Creek Rd",
    "Church St",
    "Forest Hill Dr",
    "Spring St",
    "Chestnut St",
)
CITIES = (
    ("Memphis", "TN", "381"),
    ("Nashville", "TN", "372"),
    ("Jackson", "MS", "392"),
    ("Little Rock", "AR", "722"),
    ("Atlanta", "GA", "303"),
    ("Birmingham", "AL", "352"),
    ("St. Louis", "MO", "631"),
    ("Louisville", "KY", "402"),
    ("Columbus", "OH", "432"),
    ("Springfield", "IL", "627"),
    ("Tupelo", "MS", "388"),
    ("Knoxville", "TN", "379"),
    ("Chattanooga", "TN", "374"),
    ("Olive Branch", "MS", "386"),
    ("Jonesboro", "AR", "724"),
    ("Dallas", "TX", "752"),
)
AREA_CODES = ("901", "615", "601", "501", "404", "205", "314", "502", "614", "217", "662", "865", "423", "214")
FACILITIES = (
    "REGIONAL MEDICAL CENTER",
    "Mid-South Pathology Associates",
    "UNIVERSITY HOSPITAL - SURGICAL PATHOLOGY",
    "St. Agnes Health System, Department of Pathology",
    "Lakeside Community Hospital Laboratory",
    "Riverbend Cancer Institute",
    "METHODIST HEALTHCARE PATHOLOGY",
    "Valley Women's Health Center",
    "County General Hospital, Anatomic Pathology",
    "Baptist Memorial Laboratory Services",
    "Northside Breast Center",
    "Delta Pathology Group, P.C.",
)


@dataclass
class People:
    """Everything identifying about one report, as raw values (formatting happens in Ctx)."""

    last: str
    first: str
    middle: str
    sex: str  # F / M
    dob: dt.date
    collected: dt.date
    received: dt.date
    reported: dt.date
    addendum: dt.date
    mrn: str
    account: str
    accession: str
    prior_accessions: list[str]
    pathologist: tuple[str, str, str]  # first, middle initial, last
    clinician: tuple[str, str, str]
    resident: tuple[str, str, str]
    cc: tuple[str, str, str]
    facility: str
    facility_phone: str
    facility_fax: str
    facility_street: str
    facility_city: str
    patient_phone: str
    patient_street: str
    patient_city: str
    email: str
    ssn: str
    portal_url: str
    old_year: int
    history_dates: list[dt.date] = field(default_factory=list)

    @property
    def age(self) -> int:
        c, b = self.collected, self.dob
        return c.year - b.year - ((c.month, c.day) < (b.month, b.day))


def _accession(rng: random.Random, year: int, style: int) -> str:
    yy = year % 100
    return [
        f"S{yy:02d}-{rng.randint(1, 99999):06d}",
        f"SP-{yy:02d}-{rng.randint(1, 99999):05d}",
        f"SP{yy:02d}-{rng.randint(100, 29999)}",
        f"S{year}-{rng.randint(1, 99999):05d}",
        f"{yy:02d}-SP-{rng.randint(1, 99999):05d}",
        f"PS{yy:02d}-{rng.randint(1000, 9999)}",
        f"MS{yy:02d}-{rng.randint(100, 99999):05d}",
    ][style]


def _phone(rng: random.Random, area: str) -> str:
    num = f"{rng.randint(200, 989)}", f"{rng.randint(0, 9999):04d}"
    return rng.choice([f"({area}) {num[0]}-{num[1]}", f"{area}-{num[0]}-{num[1]}", f"{area}.{num[0]}.{num[1]}"])


def sample_people(rng: random.Random) -> People:
    sex = "M" if rng.random() < 0.01 else "F"
    first = rng.choice(MALE if sex == "M" else FEMALE)
    collected = dt.date(2016, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 9))
    age = rng.choices(
        [rng.randint(28, 44), rng.randint(45, 69), rng.randint(70, 89), rng.randint(90, 99)], [12, 58, 27, 3]
    )[0]
    dob = collected - dt.timedelta(days=int(age * 365.25) + rng.randint(1, 360))
    received = collected + dt.timedelta(days=rng.choice([0, 0, 1, 1, 2]))
    reported = received + dt.timedelta(days=rng.randint(1, 6))
    city = rng.choice(CITIES)
    pcity = rng.choice(CITIES)

    def doc() -> tuple[str, str, str]:
        return (rng.choice(MALE + FEMALE), rng.choice("ABCDEFGHJKLMNPRSTW"), rng.choice(SURNAMES))

    acc_style = rng.randrange(7)
    biopsy = collected - dt.timedelta(days=rng.randint(7, 60))
    old_year = collected.year - rng.randint(3, 12)
    last = rng.choice(SURNAMES)
    return People(
        last=last,
        first=first,
        middle=rng.choice("ABCDEFGHIJKLMNOPRSTVW"),
        sex=sex,
        dob=dob,
        collected=collected,
        received=received,
        reported=reported,
        addendum=reported + dt.timedelta(days=rng.randint(1, 9)),
        mrn=rng.choice(
            [
                f"{rng.randint(0, 99999999):08d}",
                f"{rng.randint(1000000, 9999999)}",
                f"{rng.randint(100000000, 999999999)}",
                f"E{rng.randint(1000000, 9999999)}",
            ]
        ),
        account=f"{rng.randint(10**8, 10**10 - 1)}",
        accession=_accession(rng, collected.year, acc_style),
        # [0] this tumour's core biopsy (weeks before), [1] an old cancer years ago, [2] an outside case
        prior_accessions=[
            _accession(rng, biopsy.year, acc_style),
            _accession(rng, old_year, rng.randrange(7)),
            _accession(rng, collected.year, rng.randrange(7)),
        ],
        old_year=old_year,
        pathologist=doc(),
        clinician=doc(),
        resident=doc(),
        cc=doc(),
        facility=rng.choice(FACILITIES),
        facility_phone=_phone(rng, rng.choice(AREA_CODES)),
        facility_fax=_phone(rng, rng.choice(AREA_CODES)),
        facility_street=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
        facility_city=f"{city[0]}, {city[1]} {city[2]}{rng.randint(0, 99):02d}",
        patient_phone=_phone(rng, rng.choice(AREA_CODES)),
        patient_street=f"{rng.randint(10, 9999)} {rng.choice(STREETS)}"
        + rng.choice(["", "", f" Apt {rng.randint(1, 40)}"]),
        patient_city=f"{pcity[0]}, {pcity[1]} {pcity[2]}{rng.randint(0, 99):02d}",
        email=f"{first[0].lower()}{last.lower().replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(['gmail.com', 'yahoo.com', 'outlook.com', 'att.net'])}",
        ssn=f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        portal_url=f"https://portal.{rng.choice(['mhealth', 'regionalpath', 'stagnes', 'riverbend'])}.org/r/{rng.randint(10**6, 10**7):x}",
        history_dates=[biopsy],
    )
