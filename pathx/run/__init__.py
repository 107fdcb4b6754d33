"""`pathx run`: the incremental runner, its lock, ledger (SQLite) and audit log."""
