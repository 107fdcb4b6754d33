"""Rule engine: rule files (rules/fields/*.toml) loaded and checked, context-aware extraction, hints,
the naive baseline, label bootstrapping.

    engine.py       RuleEngine (load, extract, hints, describes_tumour, naive) and naive_extract
    ruleset.py      the field rule files: one schema, checked and compiled in one place (RuleSet)
    kinds.py        rule kinds registered by name, each owning its keys and match -> mention
    context.py      OCR repairs, sections, prior-case contexts, sentences, negation
    match.py        rules over a text -> Mentions; Finding
    resolve.py      per-field resolvers registered by name (fields name theirs in pathx/fields.py)
    naive.py        the paper's naive baseline
    loader.py       TOML reading and the one `<<name>>` macro syntax of every rule file
    precheck.py     literal pre-check that skips regexes on text without their words
    consistency.py  registry_problems: a field declared in pathx/fields.py but missing elsewhere
    bootstrap.py    `pathx label`: labels bootstrapped with the rule engine
"""
