"""The top of the ladder: what reads every app — the managers' statistics (`statistics/`), the
category plans and their KPIs computed from the system's own data (`plans/`).

Nothing in the product imports reporting; it imports everything below it.
"""
