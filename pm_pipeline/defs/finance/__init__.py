"""The monthly budget monitoring: each service's budget, actual to date, forecast outturn and
commentary from the finance system's export (docs/contracts.md, "Finance files")."""
