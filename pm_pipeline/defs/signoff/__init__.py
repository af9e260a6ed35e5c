"""Managers' sign-off: each figure approved or queried by the PI's manager (DESIGN 3.5)."""
