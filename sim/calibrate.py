"""``python -m sim.calibrate``: the command line of ``sim.experiments.calibration`` (see its docstring and ``--help``)."""

import sys

from sim.experiments.calibration import main

if __name__ == "__main__":
    sys.exit(main())
