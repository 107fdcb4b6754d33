"""Is every registry field complete everywhere it must appear? (tests/rules/test_field_registry.py)

`registry_problems(fields, engine)` lists, one line each, what a field declared in
pathx/fields.py lacks in the rule set and the pipeline, and what the rule set declares for no
field. Loading already refuses a rule naming an unknown task; this adds the other direction.
"""
from __future__ import annotations

import re
from collections import Counter

from pathx.fields import ANSWER_STYLES
from pathx.rules.resolve import RESOLVERS

HINT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*_hint$")


def registry_problems(fields, engine) -> list[str]:
    """Problems of the registry `fields` (Field entries) against a loaded RuleEngine; [] = consistent."""
    problems: list[str] = []
    names = [f.name for f in fields]
    for attr in ("name", "display", "short", "hint"):
        dup = [v for v, k in Counter(getattr(f, attr) for f in fields).items() if k > 1]
        if dup:
            problems.append(f"registry: duplicate {attr} {', '.join(map(str, dup))}")
    files = set(engine.files())
    naive = engine.ruleset.naive
    for f in fields:
        rules = [r for r in engine.rules if f.name in r.tasks]
        if f.rule_file not in files:
            problems.append(f"{f.name}: rule file {f.rule_file} does not exist")
        elif not any(r.file == f.rule_file for r in rules):
            problems.append(f"{f.name}: {f.rule_file} has no [[rule]] for it")
        problems += [f"{f.name}: rule {r.name!r} is in {r.file}, not in its field's {f.rule_file}"
                     for r in rules if r.file != f.rule_file]
        if f.resolver not in RESOLVERS:
            problems.append(f"{f.name}: resolver {f.resolver!r} is not one of {', '.join(sorted(RESOLVERS))}")
        if not HINT_NAME.match(f.hint):
            problems.append(f"{f.name}: hint name {f.hint!r} is not a <Name>_hint key")
        if not f.vocab or len(set(f.vocab)) != len(f.vocab):
            problems.append(f"{f.name}: vocabulary must be non-empty without repeats")
        if f.answer not in ANSWER_STYLES:
            problems.append(f"{f.name}: answer style {f.answer!r} is not one of {', '.join(ANSWER_STYLES)}")
        problems += _naive_problems(f, naive)
        try:
            re.compile(f.mention, re.IGNORECASE)
        except re.error as err:
            problems.append(f"{f.name}: bad mention regex ({err.msg})")
    used = {f.resolver for f in fields}
    problems += [f"resolver {name!r} is used by no field" for name in RESOLVERS if name not in used]
    if naive is not None:
        problems += [f"naive.markers.{t}: no such field" for t in naive.markers if t not in names]
    return problems


def _naive_problems(f, naive) -> list[str]:
    if naive is None:
        return [f"{f.name}: the rule set has no [naive] table"]
    if f.naive.startswith("code:"):
        return [] if f.name in naive.codes else [f"{f.name}: naive pattern {f.naive[5:]!r} was not compiled"]
    if f.naive == "marker":
        return [] if f.name in naive.markers else [f"{f.name}: no [naive.markers] entry {f.name!r}"]
    return [f"{f.name}: naive {f.naive!r} is neither 'code:<key>' nor 'marker'"]
