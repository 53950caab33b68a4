"""Analysis: tables in, tables out (paired differences, intervals, first distinguishable year,
costs, survival, event studies). Never imports the model."""
