"""The model core: vocabulary, checks, settings and levers, school state, partnerships, agents,
the model and its recorder, and the rule interface. It imports nothing else of the package."""
