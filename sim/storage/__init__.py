"""Storage: results stores and atomic files; tables only, no path to the model."""
