"""Managers' sign-off: each figure approved or queried by the PI's manager
(docs/contracts.md, "Sign-off files")."""
