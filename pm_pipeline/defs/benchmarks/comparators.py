"""Refresh `config/comparators.csv` from LG Inform's CIPFA nearest-neighbours area group.

    python -m pm_pipeline.defs.benchmarks.comparators --from-lginform [DATA_DIR] [--group NAME]

CIPFA's nearest neighbours are licensed, but LG Inform offers them as the area group
`<AreaName>_CIPFA_Near_Neighbours`. Asking `/data.table` for any metric over that group returns
one record per member area, which gives the codes and names. The council itself is dropped
(such lists often include it), the codes are checked, and the file is replaced atomically.
A command rather than an asset: the comparator group is part of the register, changed on
purpose by a person and reviewed, not refreshed on a schedule behind the team's back.

Needs LGINFORM_API_KEY and LGINFORM_API_SECRET (and LGINFORM_BASE_URL to use another address).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pm_pipeline.core.files import default_data_dir, write_atomic
from pm_pipeline.defs.benchmarks.areas import area_code_problem
from pm_pipeline.defs.benchmarks.lginform import LGInformResource
from pm_pipeline.defs.benchmarks.lginform_answers import LGInformError
from pm_pipeline.defs.benchmarks.lginform_client import BASE_URL_ENV, KEY_ENV, SECRET_ENV
from pm_pipeline.defs.register.load import read_council, read_indicators
from pm_pipeline.defs.register.model import RegisterError

GROUP_SUFFIX = "_CIPFA_Near_Neighbours"
_PREFIXES = re.compile(r"^(London Borough of|Royal Borough of|City of|Borough of)\s+", re.I)
_SUFFIXES = re.compile(
    r"\s+((Metropolitan )?(District|Borough|City|County)\s+)?Council$|\s+Council$", re.I
)


class ComparatorsError(Exception):
    """The comparator group could not be refreshed; comparators.csv is left as it was."""


def group_name(council_name: str) -> str:
    """LG Inform's group for a council: "Bassetlaw District Council" -> Bassetlaw_CIPFA_..."""
    area = _SUFFIXES.sub("", _PREFIXES.sub("", council_name.strip()))
    return re.sub(r"[^A-Za-z0-9]+", "_", area).strip("_") + GROUP_SUFFIX


def group_members(records: list[dict[str, object]]) -> list[tuple[str, str]]:
    """Each member area once, in the order LG Inform lists them: (code, name)."""
    members: dict[str, str] = {}
    for record in records:
        code = str(record["areaIdentifier"]).strip().upper()
        members.setdefault(code, str(record.get("areaLabel") or code).strip())
    return list(members.items())


def comparators_csv(members: list[tuple[str, str]], council_code: str, group: str) -> str:
    """The comparators file (`area_code, area_name`) without the council; errors name the code."""
    peers = [(code, name) for code, name in members if code != council_code]
    problems = [f"{code}: {p}" for code, _ in peers if (p := area_code_problem(code))]
    if problems:
        raise ComparatorsError(
            f"LG Inform's group {group} lists areas that are not council codes: "
            + "; ".join(problems)
        )
    if not peers:
        raise ComparatorsError(
            f"LG Inform returned no areas for the group {group} (other than the council): "
            "check the group name (--group)"
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["area_code", "area_name"])
    writer.writerows(peers)
    return out.getvalue()


@dataclass(frozen=True)
class Refreshed:
    path: Path
    group: str
    comparators: list[tuple[str, str]]
    dropped_council: bool


def first_lginform_metric(config_dir: Path) -> str | None:
    council = read_council(config_dir / "council.yaml")
    indicators = read_indicators(config_dir / "indicators.csv", council)
    metrics = indicators["lginform_metric"].dropna()
    return str(metrics.iloc[0]) if len(metrics) else None


def refresh_comparators(
    config_dir: Path,
    resource: LGInformResource,
    group: str | None = None,
    metric: str | None = None,
) -> Refreshed:
    """Replace comparators.csv with the members of the council's LG Inform group."""
    council = read_council(config_dir / "council.yaml")
    group = group or group_name(council.name)
    metric = metric or first_lginform_metric(config_dir)
    if metric is None:
        raise ComparatorsError(
            "No PI in indicators.csv has an lginform_metric; give one with --metric "
            "(any metric LG Inform publishes for councils will do)"
        )
    try:
        with resource.client() as client:
            records = client.data_table(metric, [group], "latest")
    except LGInformError as exc:
        raise ComparatorsError(f"Could not read the group {group}: {exc.message}") from None
    members = group_members(records)
    text = comparators_csv(members, council.area_code, group)
    path = write_atomic(config_dir / "comparators.csv", text)
    peers = [(c, n) for c, n in members if c != council.area_code]
    return Refreshed(path, group, peers, len(peers) < len(members))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Refresh config/comparators.csv from LG Inform's CIPFA nearest neighbours."
    )
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=Path,
        default=None,
        help="data directory (default: $PM_DATA_DIR or data/)",
    )
    parser.add_argument(
        "--from-lginform", action="store_true", required=True, help="read the group from LG Inform"
    )
    parser.add_argument(
        "--group", help="LG Inform area group (default: <AreaName>_CIPFA_Near_Neighbours)"
    )
    parser.add_argument("--metric", help="metric id to ask for (default: the register's first)")
    args = parser.parse_args(argv)
    config_dir = (args.data_dir or default_data_dir()) / "config"
    resource = LGInformResource(
        api_key=os.environ.get(KEY_ENV) or None,
        api_secret=os.environ.get(SECRET_ENV) or None,
        base_url=os.environ.get(BASE_URL_ENV) or None,
    )
    problem = resource.offline_reason()
    if problem:
        print(f"Cannot ask LG Inform: {problem}. Set {KEY_ENV} and {SECRET_ENV}.", file=sys.stderr)
        return 2
    try:
        done = refresh_comparators(config_dir, resource, args.group, args.metric)
    except (ComparatorsError, RegisterError) as exc:
        print(f"comparators.csv not changed: {exc}", file=sys.stderr)
        return 1
    print(f"Wrote {len(done.comparators)} comparators from {done.group} to {done.path}")
    if done.dropped_council:
        print("(the council itself was in the group and has been left out)")
    if len(done.comparators) != 15:
        print(f"Note: CIPFA groups have 15 members; this one has {len(done.comparators)}.")
    print("Re-run the indicator_register asset so the warehouse picks the new group up.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
