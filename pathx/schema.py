"""Alias of pathx.fields (the field registry), kept so `from pathx import schema` keeps working.

The module object *is* pathx.fields: every name defined there is reachable here, nothing is copied.
New code imports pathx.fields.
"""
import sys

from pathx import fields

sys.modules[__name__] = fields
