"""Review of flagged fields (issue 16): run output -> HTML review page + CSV sheet (`page`), and a filled
sheet -> labelled data for `pathx fit` (`sheet`). See each module's docstring for its contract."""
from pathx.review.page import REVIEW_HELP, ReviewSummary, default_paths, write_review
from pathx.review.sheet import IMPORT_HELP, ImportReport, import_sheet

__all__ = ["REVIEW_HELP", "IMPORT_HELP", "ReviewSummary", "ImportReport", "default_paths", "write_review",
           "import_sheet"]
