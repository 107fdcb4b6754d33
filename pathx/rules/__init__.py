"""Rule engine: rule files (rules/*.toml) loaded and checked, context-aware extraction, hints, the naive baseline, label bootstrapping."""
