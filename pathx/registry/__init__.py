"""Registry output: values a cancer registry needs beyond the seven grouped fields, derived deterministically
from what pathx extracts: detail values (pT1c, pN1mi(sn), HER2 IHC score, ER %), AJCC 8th edition stage groups."""
