"""Review: which field values a person must check (calibrated policy over review signals), and the review page,
sheet and import that turn a person's answers into labelled data."""
