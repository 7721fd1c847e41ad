"""The reporting API: the managers' statistics and the category plans, read-only."""
