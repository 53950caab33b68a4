"""``python -m sim.sweep``: the command line of ``sim.experiments.sweep`` (see its docstring and ``--help``)."""

import sys

from sim.experiments.sweep import main

if __name__ == "__main__":
    sys.exit(main())
