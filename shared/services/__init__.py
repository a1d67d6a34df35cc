"""Use cases: one module per aggregate, one committed transaction per top-level call."""
