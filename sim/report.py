"""``python -m sim.report``: the command line of ``sim.views.report`` (see its docstring and ``--help``)."""

import sys

from sim.views.report import main

if __name__ == "__main__":
    sys.exit(main())
