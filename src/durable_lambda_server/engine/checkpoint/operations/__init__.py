"""One module per operation type, each with a pure ``validate`` and a ``process``."""
