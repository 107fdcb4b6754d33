"""The multi-report check counts people, not strings (issue 22): one report whose date of birth is
written in several forms, or repeated in a running page header, is one report; a dump of three
patients' reports is still refused. Every sentence here is synthetic."""
from __future__ import annotations

import pytest

from pathx.ingestion.reportcheck import count_reports, date_candidates, several_reports

BODY = """FINAL DIAGNOSIS:
A. LEFT BREAST, SEGMENTAL EXCISION:
Invasive lobular carcinoma, 1.6 cm, Nottingham grade 2.
Margins free of carcinoma; closest margin 4 mm (inferior).
Estrogen receptor positive (80%), progesterone receptor negative, HER2 1+ by IHC.
Pathologic stage: pT1c pN0.
"""


def _paged(header: str, pages: int = 3) -> str:
    """One report printed by an LIS: the same header (patient line included) on every page."""
    chunks = BODY.split("\n")
    per = -(-len(chunks) // pages)
    return "\f".join(f"{header.format(n=i + 1, of=pages)}\n" + "\n".join(chunks[i * per:(i + 1) * per])
                     for i in range(pages))


SINGLE_REPORTS = {
    "dob in three forms": "SURGICAL PATHOLOGY REPORT\nDOB: 08/28/1918\nSex: F\n" + BODY
                          + "\nComment: patient (date of birth August 28, 1918) seen in clinic.\n"
                          + "Birth date 1918-08-28 confirmed against the requisition.\n",
    "running header with page numbers": _paged("Mercyvale Hospital Pathology  DOB 03/14/1961 Page {n} of {of}"),
    "running title and header": _paged("SURGICAL PATHOLOGY REPORT\nMRN 0044871 DOB 3/14/61 Page {n} of {of}", 4),
    "day-first and month-name forms": "Date of Birth: 14.03.1961\n" + BODY + "\nD.O.B. 14 March 1961\n",
    "ambiguous day and month": "DOB: 03/04/1961\n" + BODY + "\nDOB 4 March 1961 (per registration)\n",
    "two-digit year": "DOB: 28-Aug-18\n" + BODY + "\nDate of birth: August 28, 1918\n",
    "continued heading": "FINAL DIAGNOSIS:\nsee below\n" + BODY + "FINAL DIAGNOSIS (continued):\nno more\n"
                         + "Final diagnosis, cont'd\nend\n",
    "mrn with punctuation and zeros": "MRN: 00-448712\n" + BODY + "\nMed Rec No. 448712\n",
}


@pytest.mark.parametrize("name", sorted(SINGLE_REPORTS))
def test_one_report_with_repeated_patient_lines_is_one_report(name):
    text = SINGLE_REPORTS[name]
    assert count_reports(text) == (1, ""), name
    assert several_reports(text) is None


def _patient(dob: str, mrn: str) -> str:
    return f"SURGICAL PATHOLOGY REPORT\nMRN: {mrn}\nDOB: {dob}\n" + BODY


def test_a_dump_of_three_patients_is_still_refused():
    dump = _patient("08/28/1918", "5510021") + "\n" + _patient("March 3, 1950", "5510088") + "\n" + \
        _patient("1977-11-02", "5510130")
    n, why = count_reports(dump)
    assert n == 3 and "3 different" in why
    problem = several_reports(dump)
    assert problem.startswith("holds at least 3 reports")
    for value in ("1918", "5510021", "March"):  # counts only, never a value
        assert value not in problem
    # Three patients, each printed with a running header on two pages: still three.
    paged = "\f".join(_paged(f"DOB {dob} Page {{n}} of {{of}}", 2) for dob in ("08/28/1918", "03/03/1950",
                                                                               "11/02/1977"))
    assert count_reports(paged)[0] == 3


def test_dates_are_read_in_their_common_forms():
    iso = frozenset({"1918-08-28"})
    for written in ("08/28/1918", "8/28/1918", "August 28, 1918", "Aug. 28 1918", "28 August 1918",
                    "28-Aug-1918", "1918-08-28", "19180828", "08-28-1918"):
        assert date_candidates(written) == iso, written
    assert date_candidates("03/04/1961") == frozenset({"1961-03-04", "1961-04-03"})
    assert date_candidates("Page 2 of 3") == frozenset() and date_candidates("13/13/1961") == frozenset()
