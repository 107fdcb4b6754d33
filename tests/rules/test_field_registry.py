"""The field registry (pathx/fields.py) is the one place a field is declared; everything else follows."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pathx import fields, paths, schema
from pathx.errors import RuleFileError
from pathx.rules.consistency import registry_problems
from pathx.rules.engine import RuleEngine
from pathx.rules.kinds import COMMON_KEYS, KINDS


@pytest.fixture(scope="module")
def engine():
    return RuleEngine.load()


def test_registry_is_consistent_with_rules_and_pipeline(engine):
    assert registry_problems(fields.FIELDS, engine) == []


def test_contract_is_derived_from_the_registry():
    assert fields.TASKS == tuple(f.name for f in fields.FIELDS)
    assert schema.TASKS is fields.TASKS and schema.VOCAB is fields.VOCAB  # the old name is an alias
    assert fields.OUTPUT_COLUMNS[2:2 + len(fields.TASKS)] == fields.TASKS
    for f in fields.FIELDS:
        assert f"{f.name}_confidence" in fields.OUTPUT_COLUMNS
        assert fields.model_classes(f.name) == f.classes == f.vocab + (fields.NOT_REPORTED,)
    with pytest.raises(ValueError, match="unknown task 'ki67'"):
        fields.field("ki67")


def test_prompt_engine_naive_and_bootstrap_cover_every_field(engine):
    from pathx.ingestion.prompt import build_prompt, parse_prompt
    from pathx.rules.bootstrap import MENTION_RE

    prompt = build_prompt("Report text.", {}, fields.TASKS)
    for f in fields.FIELDS:
        assert f"\n{f.hint}: none" in prompt and f.display in prompt
    assert set(parse_prompt(str(prompt)).hint_spans) == set(fields.TASKS)
    text = "FINAL DIAGNOSIS: invasive ductal carcinoma, grade 2, pT2 pN1 pM0. ER positive, PR negative, HER2 2+."
    assert list(engine.extract(text)) == list(fields.TASKS)
    assert list(engine.hints(text)) == list(fields.TASKS)
    assert list(engine.naive(text)) == list(fields.TASKS)
    assert set(MENTION_RE) == set(fields.TASKS) and all(MENTION_RE[t].search(text) for t in fields.TASKS)


def test_generative_parsing_follows_the_registry():
    from bench.generative import parse_answer

    for f in fields.FIELDS:
        for cls in f.vocab:
            assert parse_answer(f.name, cls) == cls
        assert parse_answer(f.name, "not reported") == fields.NOT_REPORTED


def test_a_field_missing_somewhere_is_reported(engine):
    """Ki-67 declared in the registry only: every missing piece is named."""
    ki67 = fields.Field("ki67", "Ki-67", "Ki-67", ("Low", "High"), "Ki67_hint", "fields/ki67.toml",
                        "ki67_cutoff", "marker", r"ki-?67|mib-?1", "word")
    problems = "\n".join(registry_problems(fields.FIELDS + (ki67,), engine))
    assert "ki67: rule file fields/ki67.toml does not exist" in problems
    assert "ki67: resolver 'ki67_cutoff'" in problems
    assert "ki67: no [naive.markers] entry" in problems
    # A registry field whose rules are elsewhere, a duplicate hint key, an unknown answer style:
    er = replace(fields.BY_NAME["er"], rule_file="fields/grade.toml", hint="PR_hint", answer="prose")
    problems = "\n".join(registry_problems([er if f.name == "er" else f for f in fields.FIELDS], engine))
    assert "er: fields/grade.toml has no [[rule]] for it" in problems
    assert "rule 'er_status' is in fields/receptors.toml" in problems
    assert "duplicate hint PR_hint" in problems and "answer style 'prose'" in problems


def _copy_rules(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(paths.rules_dir() / "fields", dest / "fields")
    return dest


def test_a_rule_naming_an_unknown_field_is_refused(tmp_path):
    root = _copy_rules(tmp_path)
    extra = root / "fields" / "ki67.toml"
    extra.write_text("[[rule]]\nname = 'ki67_percent'\ntask = 'ki67'\nkind = 'percent'\n"
                     "pattern = 'ki-?67\\D{0,20}(?P<v>\\d{1,3})\\s*%'\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"ki67\.toml: rule 'ki67_percent': task 'ki67' is not one of t_stage"):
        RuleEngine.load(root)


def test_each_kind_owns_its_keys(tmp_path):
    root = _copy_rules(tmp_path)
    tnm = root / "fields" / "tnm.toml"
    good = tnm.read_text(encoding="utf-8")
    # `count` belongs to node_count, not to map rules
    tnm.write_text(good.replace('name = "pt_written"\n', 'name = "pt_written"\ncount = 1\n', 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"rule 'pt_written': unknown key\(s\) count \(kind 'map' takes map\)"):
        RuleEngine.load(root)
    for kind in KINDS.values():
        assert not kind.keys & COMMON_KEYS, kind.name


def test_one_macro_syntax_and_legacy_files_still_read(engine):
    """Rule files use <<name>> + [macros]; files embedded by older bundles ({{name}} + [patterns])
    compile to the same regexes."""
    for rel, text in engine.files().items():
        assert "{{" not in text and "[patterns]" not in text, rel
    legacy = {rel: re.sub(r"<<(\w+)>>", r"{{\1}}", text).replace("[macros]", "[patterns]")
              for rel, text in engine.files().items()}
    old = RuleEngine.from_files(legacy)
    assert [(r.name, r.regex.pattern, r.regex.flags) for r in old.rules] == \
        [(r.name, r.regex.pattern, r.regex.flags) for r in engine.rules]
    assert old.version == engine.version


def test_unknown_macro_names_file_and_rule(tmp_path):
    root = _copy_rules(tmp_path)
    grade = root / "fields" / "grade.toml"
    grade.write_text(grade.read_text(encoding="utf-8").replace("<<not_histologic>>", "<<not_histological>>", 1),
                     encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"grade\.toml: rule 'nottingham_grade' exclude_before uses unknown "
                                            r"list or macro <<not_histological>>"):
        RuleEngine.load(root)
