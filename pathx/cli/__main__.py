"""`python -m pathx.cli ...` runs the command line (the tests and benchmarks call it this way)."""
from pathx.cli.main import main

main()
