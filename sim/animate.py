"""``python -m sim.animate``: the command line of ``sim.views.animate`` (see its docstring and ``--help``)."""

import sys

from sim.views.animate import main

if __name__ == "__main__":
    sys.exit(main())
