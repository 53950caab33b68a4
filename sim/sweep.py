"""``python -m sim.sweep``: the command line of ``sim.experiments.cli`` (see ``--help``)."""

import sys

from sim.experiments.cli import main

if __name__ == "__main__":
    sys.exit(main())
