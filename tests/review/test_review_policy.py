"""The review policy (pathx/review/policy.py) and how the rule predictor uses it."""
from __future__ import annotations

import json
import shutil

import pytest

from pathx import paths, schema
from pathx.ingestion.pipeline import IngestOptions, units_from_text
from pathx.predictors.simple import RulesPredictor
from pathx.review.policy import POLICY_FILE, PolicyError, ReviewPolicy, load_for_engine
from pathx.rules.engine import RuleEngine

TEXT = """FINAL DIAGNOSIS:
Left breast, lumpectomy: invasive ductal carcinoma, Nottingham grade 2, 1.6 cm.
Staging: pT1c pN0 (0/2)
ER: Positive (90%). PR: Positive (40%). HER2 (IHC): 1+, negative.
"""


def test_each_cell_must_reach_the_target_on_its_own():
    records = [("t_stage", "value|none|text", True)] * 300 + [("t_stage", "empty|cue|text", i < 15) for i in range(20)]
    policy = ReviewPolicy.fit(records, "rules-x", target=0.99, min_n=20)
    assert policy.accepts("t_stage", "value|none|text")
    assert not policy.accepts("t_stage", "empty|cue|text")  # 75% right: pooled it would pass, alone it does not
    assert not policy.accepts("t_stage", "value|tie|text")  # never seen: review
    assert not policy.accepts("her2", "value|none|text")


def test_policy_round_trips_and_refuses_bad_or_foreign_files(tmp_path):
    policy = ReviewPolicy.fit([("er", "value|none|text", True)] * 30, "rules-9.9.9", min_n=20)
    path = tmp_path / POLICY_FILE
    path.write_text(json.dumps(policy.to_dict()))
    assert ReviewPolicy.load(path).accepts("er", "value|none|text")
    assert load_for_engine(tmp_path, "rules-9.9.9")[0] is not None
    got, why = load_for_engine(tmp_path, "rules-1.0.0")
    assert got is None and "calibrated for rules-9.9.9" in why
    path.write_text("{not json")
    with pytest.raises(PolicyError, match=POLICY_FILE):
        ReviewPolicy.load(path)
    with pytest.raises(PolicyError):
        ReviewPolicy.from_dict({"format": "pathx-review-policy/1", "engine": "r", "target": 0.99, "min_n": 20,
                                "counts": {"colour": {}}})


def test_shipped_policy_matches_the_shipped_rules():
    engine = RuleEngine.load()
    policy, problem = load_for_engine(paths.rules_dir(), f"rules-{engine.version}")
    assert problem is None and policy is not None
    assert any(policy.accepted_cells(t) for t in schema.TASKS)


def test_rules_without_a_policy_flag_every_field_and_say_why(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    (rules / POLICY_FILE).unlink()
    engine = RuleEngine.load(rules)
    predictor = RulesPredictor(engine)
    assert predictor.policy is None and "no review policy" in predictor.policy_problem
    units = units_from_text(TEXT, "r.txt", engine, IngestOptions())
    [row] = predictor.predict(units)
    assert all(p.needs_review for p in row.values())
    # the shipped policy accepts a clean, unopposed synoptic value
    [row] = RulesPredictor(RuleEngine.load()).predict(units_from_text(TEXT, "r.txt", RuleEngine.load(), IngestOptions()))
    assert row["t_stage"].label == "T1" and not row["t_stage"].needs_review
    assert row["t_stage"].detail["quote"] == "pT1c" and row["t_stage"].detail["engine"] == "rules"


def test_the_policy_is_part_of_the_rule_predictors_ledger_version(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(paths.rules_dir(), rules)
    shipped = RulesPredictor(RuleEngine.load())
    assert shipped.name == f"rules-{shipped.engine.version}"  # the bundle column is unchanged
    assert shipped.version == f"{shipped.name}+review-{shipped.policy.digest}"
    (rules / POLICY_FILE).unlink()
    bare = RulesPredictor(RuleEngine.load(rules))
    assert bare.name == shipped.name and bare.version != shipped.version
