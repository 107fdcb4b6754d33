"""Predictors: units -> per-field predictions (rules, naive, a bundle), one interface for `pathx run`."""
