"""What a data-quality rule is: a name (its Dagster asset check), a severity, the asset it
checks and what it asks. The register's rules and the returns' rules both use it."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "ERROR"
WARN = "WARN"


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    asset: str
    description: str
