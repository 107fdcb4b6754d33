"""Outputs: the row contract (rows) and the writers of `pathx run`, registered by suffix (writer)."""
