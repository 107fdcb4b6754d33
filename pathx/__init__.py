"""pathx: breast-cancer pathology reports -> structured T/N/M, grade, ER, PR, HER2."""
from pathx import offline as _offline

_offline.enforce()

__version__ = "0.1.0"
