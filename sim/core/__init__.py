"""The model core: vocabulary, checks, settings and levers, school state, partnerships, agents,
the model and its recorder, and the rule interface. It imports nothing else of the package."""

from sim.core.allocator import keep_freed_memory

keep_freed_memory()  # every process that runs the model: the cost of a step stays stable
