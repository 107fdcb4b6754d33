"""Training: labelled data, fit configuration and loop, recipes, metrics and evaluation."""
