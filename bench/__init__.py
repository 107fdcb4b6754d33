"""Experiments and benchmarks: each module is a script (`python bench/NAME.py`) that prints a table.

They use pathx and pathxgen (the synthetic-report generator) only; results go to docs/benchmarks.md.
"""
