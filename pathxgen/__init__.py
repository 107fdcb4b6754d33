"""pathxgen: the synthetic pathology-report generator behind `pathx demo`, the tests and the benchmarks.

Not part of the extraction pipeline: `pathx run` never imports it. It needs reportlab (the `demo` extra) to write PDFs.
"""
