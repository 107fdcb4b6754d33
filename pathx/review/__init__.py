"""Review (issue 16): which field values a person must check, and the loop that turns their answers into
training data.

- `signals`: per-field review signals of a unit (value found, conflicting mentions, cue word without a
  value, OCR-read text); `policy`: the calibrated per-field accept/review policy over those signals.
- `page`: run output -> self-contained HTML review page + CSV review sheet; `sheet`: a filled sheet ->
  labelled data for `pathx fit`. See each module's docstring for its contract.
"""
from pathx.review.page import REVIEW_HELP, ReviewSummary, default_paths, write_review
from pathx.review.sheet import IMPORT_HELP, ImportReport, import_sheet

__all__ = ["REVIEW_HELP", "IMPORT_HELP", "ReviewSummary", "ImportReport", "default_paths", "write_review",
           "import_sheet"]
