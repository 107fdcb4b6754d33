"""Outputs: the row contract and the writers of `pathx run` (CSV, JSONL)."""
