"""Demo reports with PHI planted in the forms a hostile tester found leaking (issue 22).

Each report is a `pathx demo` report (pathxgen.corpus.render_report, text format) with sentences of
these shapes added after its diagnosis heading, in half the reports lower-cased as OCR or export text
can be (a whole report lower-cased is only partly covered: see docs/benchmarks.md):
- an outside or prior case cited in parentheses with a part letter glued on: "(outside QX14-2875B)";
- the container label quoting the patient's name in a gross description;
- a title and name in lower-case text: "ms. <surname> ... by dr. <first> <last>";
- an age over 89 that ends a sentence ("Patient age 93.");
- a town, state and ZIP code without a comma;
- a hyphenated surname whose parts are also written alone.

`hostile_report` returns the text and `checks`: (kind, regex) pairs, every one of which must find
nothing in an output for it to count as clean. The names are made up for this file (not the demo's
lists) and chosen not to be English or clinical words, so a hit is a leak, not a coincidence.
"""
from __future__ import annotations

import random
import re

FIRST = ["Odessa", "Marten", "Ysolde", "Thorvald", "Brunhild", "Casimir", "Eulalia", "Leocadia", "Wendeline",
         "Ottoline", "Radomir", "Zenaida", "Isidora", "Bartholomea"]
LAST = ["Kleinfeld", "Vossberg", "Quarrington", "Abelhauser", "Treadwellby", "Mazurkiewicz", "Oyelaran",
        "Thistlewood", "Pellegrinotti", "Drummondsey", "Haverkamp", "Szczepanik", "Okonkwor", "Lindenbrook"]
TOWNS = [("Brookhaven", "MS"), ("Thibodaux", "LA"), ("Keokuk", "IA"), ("Wapakoneta", "OH"), ("Ashtabula", "OH"),
         ("Natchitoches", "LA"), ("Tonopah", "NV"), ("Pahrump", "NV")]


def _acc(rng: random.Random) -> str:
    letters = "".join(rng.choice("BCDFGHKMQRTVXZ") for _ in range(2))
    return f"{letters}{rng.randint(10, 24)}-{rng.randint(1000, 9999)}{rng.choice('ABCDEFG')}"


def hostile_report(seed: int, index: int, *, lower: bool | None = None) -> dict:
    """{"text", "checks": [(kind, compiled regex)], "lower"} for one report; deterministic in (seed, index)."""
    from pathxgen.corpus import STYLES, render_report

    rng = random.Random(f"pathx-phi-forms:{seed}:{index}")
    styles = list(STYLES)
    rep = render_report(seed, index, styles[index % len(styles)], "txt")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dfirst, dlast = rng.choice([f for f in FIRST if f != first]), rng.choice([n for n in LAST if n != last])
    h1, h2 = rng.sample([n for n in LAST if n not in (last, dlast)], 2)
    acc, acc2 = _acc(rng), _acc(rng)
    age = rng.randint(90, 104)
    town, state = rng.choice(TOWNS)
    zipcode = f"{rng.randint(10000, 99999)}"
    side = rng.choice(["left", "right"])
    added = [
        f"Patient: {first} {h1}-{h2}",
        f"Invasive carcinoma, as on the prior core biopsy (outside {acc}).",
        f"Received in formalin labeled with the patient's name ({first} {last}) and \"{side} breast\".",
        f"Ms. {h2} was told of the results; {h1} family members were present.",
        f"ms. {last} tolerated the procedure well and the slides were reviewed by dr. {dfirst} {dlast}.",
        f"Patient age {age}.",
        f"Home address on file: {town} {state} {zipcode}.",
        f"Grade as reported at the referring hospital (outside {acc2.lower()}).",
    ]
    lower = (rng.random() < 0.5) if lower is None else lower
    if lower:  # lower-cased as OCR or export text can be (the header line keeps its case)
        added = added[:1] + [a.lower() for a in added[1:]]
    lines = rep["text"].split("\n")
    at = next((i for i, ln in enumerate(lines) if re.search(r"(?i)diagnosis|synoptic", ln)), len(lines) // 2)
    text = "\n".join(lines[: at + 1] + added + lines[at + 1 :])

    def word(v: str) -> re.Pattern:
        return re.compile(rf"(?i)(?<![\w]){re.escape(v)}(?![\w])")

    checks = [("ACCESSION", word(acc)), ("ACCESSION", word(acc2)), ("ACCESSION", word(acc[:-1]))]
    checks += [("NAME", word(n)) for n in (first, last, dfirst, dlast, h1, h2)]
    checks += [("AGE>89", re.compile(rf"(?i)\bage[ :]*{age}\b")), ("ADDRESS", word(zipcode)), ("ADDRESS", word(town))]
    # The demo report's own planted PHI (names, MRN, dates, ...), as written or lower-cased.
    checks += [("DEMO", re.compile(re.escape(v), re.IGNORECASE)) for v in rep["phi"] if len(v) >= 4]
    return {"text": text, "checks": checks, "lower": lower}


def leaks(text: str, checks) -> list[str]:
    """The kinds of the checks that find something in `text` (never the values: they stay out of logs)."""
    return [kind for kind, regex in checks if regex.search(text)]
