"""Two readers decided per field: the combine policy (fit on held-out rows, then decide) and the engine."""
from __future__ import annotations

import pytest

from pathx.predictors.combined import NEVER, CombinePolicy, situation


def test_situations():
    assert situation("T2", "T2") == "agree" and situation(None, None) == "agree"
    assert situation(None, "T2") == "fill"
    assert situation("T2", None) == "dissent"
    assert situation("T2", "T3") == "disagree"


def test_a_fitted_policy_takes_the_model_only_where_it_was_right_more_often():
    rows = {"er": (
        # fill: the model is right when confident, wrong when not
        [{"gold": "Positive", "rules": None, "model": "Positive", "p": 0.95}] * 6
        + [{"gold": None, "rules": None, "model": "Negative", "p": 0.55}] * 4
        # disagree: the rules are right every time
        + [{"gold": "Negative", "rules": "Negative", "model": "Positive", "p": 0.99}] * 5
        # dissent: no rows
    )}
    policy = CombinePolicy.fit(rows, fitted_on="test")
    th = policy.thresholds["er"]
    assert 0.55 < th["fill"] <= 0.95
    assert th["disagree"] == NEVER and th["dissent"] == NEVER
    assert policy.decide("er", None, "Positive", 0.97) == ("Positive", "model")
    assert policy.decide("er", None, "Negative", 0.55) == (None, "rules")
    assert policy.decide("er", "Negative", "Positive", 0.999) == ("Negative", "rules")
    assert policy.decide("er", "Negative", "Negative", 0.1) == ("Negative", "both")


def test_a_policy_round_trips_and_a_bad_one_is_refused():
    policy = CombinePolicy({"grade": {"fill": 0.8, "dissent": NEVER, "disagree": 0.9}}, "x")
    assert CombinePolicy.from_dict(policy.to_dict()) == policy
    with pytest.raises(ValueError):
        CombinePolicy.from_dict({"thresholds": {"ki67": {"fill": 0.5}}})
