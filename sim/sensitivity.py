"""``python -m sim.sensitivity``: the command line of ``sim.experiments.sensitivity`` (see its docstring and ``--help``)."""

import sys

from sim.experiments.sensitivity import main

if __name__ == "__main__":
    sys.exit(main())
