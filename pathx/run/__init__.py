"""`pathx run`: the incremental runner (runner.py; its docstring maps the modules of this package),
its lock, ledger (SQLite, with schema migrations) and audit log; and `pathx extract` (extract.py)."""
