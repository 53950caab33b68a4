"""Landscapes: the schools a run starts from, either generated or loaded.

A landscape is a class with a ``Params`` dataclass (its config keys) and ``build(rng)`` returning a
``SchoolTable``. ``conf/landscape/*.yaml`` picks one with ``_target_``, exactly as rules are picked.
The landscapes: ``synthetic`` (a region set by a few knobs), ``england`` (a whole synthetic England),
``region`` (a smaller area with an urban, rural or coastal character) and ``gias`` (real schools
from a Get Information About Schools extract). See docs/landscapes.md.
"""

from sim.core.school_table import INITIAL_KINDS, SchoolTable
from sim.core.vocabulary import PHASE_NAMES, PRIMARY, SECONDARY
from sim.landscape.base import Landscape
from sim.landscape.england import England, Region
from sim.landscape.gias import Gias
from sim.landscape.synthetic import SyntheticRegion

__all__ = ["England", "Gias", "Region", "INITIAL_KINDS", "PHASE_NAMES", "PRIMARY", "SECONDARY", "Landscape", "SchoolTable",
           "SyntheticRegion"]
