"""What a data-quality rule is: a name (its Dagster asset check), a severity, the asset it
checks and what it asks. The register's rules and the returns' rules both use it."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

ERROR = "ERROR"
WARN = "WARN"


def check_severity(severity: str) -> dg.AssetCheckSeverity:
    """A rule's severity as its Dagster asset check reports it."""
    return dg.AssetCheckSeverity.ERROR if severity == ERROR else dg.AssetCheckSeverity.WARN


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    asset: str
    description: str
