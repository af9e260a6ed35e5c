"""The returns portal served for real on loopback: owners' saves judged by the pipeline's own
rules and read by the intake, managers' decisions recorded as theirs, and who may do what."""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import re
import stat
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pm_pipeline.core.files import CouncilFiles, append_private
from pm_pipeline.defs.intake.read import read_quarter
from pm_pipeline.defs.register.load import load_register
from pm_pipeline.defs.register.store import read_register
from pm_pipeline.defs.reports.signoff_view import signoff_view
from pm_pipeline.defs.signoff.assets import judge_quarter
from pm_pipeline.defs.signoff.read import BY_FILE, BY_PORTAL
from pm_pipeline.portal.records import audit, audit_trail
from pm_pipeline.portal.security import Settings
from pm_pipeline_tests.council import RETURN_HEADER, check_results, good_row, pi, run_job, write_csv
from pm_pipeline_tests.portal.serve import (
    MANAGER,
    OTHER,
    OWNER,
    TEAM,
    Browser,
    Q,
    portal_council,
    serving,
)

DEMO = {"demo_login": True}


@pytest.fixture
def council(data_dir: Path) -> Path:
    portal_council(data_dir)
    return data_dir


def owner_saves(browser: Browser, value: str, note: str) -> object:
    form = browser.get("/returns")
    assert form.status == 200, form.body
    return browser.post(
        "/returns",
        {
            "csrf_token": form.csrf,
            "pi-0": "KPI-1",
            "value-0": value,
            "status-0": "final",
            "note-0": note,
        },
    )


def test_a_broken_rule_is_named_on_its_field_and_the_fixed_figure_is_read_by_the_intake(
    council: Path,
):
    with serving(Settings(data_dir=council, **DEMO)) as host:
        owner = Browser(host)
        owner.sign_in(OWNER)
        broken = owner_saves(owner, "150", "Record lettings")
        assert broken.status == 400
        assert "There is a problem" in broken.body
        assert 'href="#value-0">KPI-1' in broken.body and "between 0 and 100" in broken.body
        portal_file = council / "returns" / Q.folder / "portal_owner_at_test.example.csv"
        assert not portal_file.exists()  # nothing saved with an error
        saved = owner_saves(owner, "85.5", "Record lettings <b>after</b> the new scheme")
        assert saved.status == 200, saved.body
        assert "are saved" in saved.body
        assert "<b>after</b>" not in saved.body  # escaped
    assert stat.S_IMODE(portal_file.stat().st_mode) == 0o640
    read, _ = read_quarter(council / "returns", Q, {"kpi-1": "KPI-1", "kpi-2": "KPI-2"})
    assert not read.issues
    row = read.candidates.iloc[0]
    assert (row["pi_id"], row["value"], row["status"], row["submitted_by"]) == (
        "KPI-1",
        85.5,
        "final",
        OWNER,
    )
    assert row["note"] == "Record lettings <b>after</b> the new scheme"
    trail = [json.loads(x) for x in (council / "portal" / "audit.jsonl").read_text().splitlines()]
    assert [(t["who"], t["action"], t["before"], t["after"]["value"]) for t in trail] == [
        (OWNER, "return saved", None, "85.5")
    ]
    assert stat.S_IMODE((council / "portal" / "audit.jsonl").stat().st_mode) == 0o640


def test_another_owners_pi_is_refused_and_logged(council: Path, caplog: pytest.LogCaptureFixture):
    with serving(Settings(data_dir=council, **DEMO)) as host:
        owner = Browser(host)
        owner.sign_in(OWNER)
        form = owner.get("/returns")
        with caplog.at_level(logging.WARNING, "pm_pipeline.portal"):
            forged = owner.post(
                "/returns",
                {"csrf_token": form.csrf, "pi-0": "KPI-2", "value-0": "3", "note-0": "Mine now"},
            )
            peek = owner.get("/pi/KPI-2")
        mine = owner.get("/pi/KPI-1")
    assert forged.status == 403 and peek.status == 403 and mine.status == 200
    assert not (council / "returns" / Q.folder).exists()
    logged = [r.getMessage() for r in caplog.records]
    assert f"403: {OWNER} tried to enter a return for KPI-2 from 127.0.0.1" in logged
    assert f"403: {OWNER} tried to open KPI-2 from 127.0.0.1" in logged


def test_a_form_without_its_csrf_token_is_refused(council: Path):
    with serving(Settings(data_dir=council, **DEMO)) as host:
        owner = Browser(host)
        owner.sign_in(OWNER)
        owner.get("/returns")
        fields = {"pi-0": "KPI-1", "value-0": "85", "note-0": "Fine"}
        forged = owner.post("/returns", fields)
        wrong = owner.post("/returns", {**fields, "csrf_token": "0" * 64})
        good = owner.post("/returns", {**fields, "csrf_token": owner.get("/returns").csrf})
    assert forged.status == 403 and wrong.status == 403
    assert "This form has expired" in forged.body
    assert good.status == 200


def test_the_user_header_is_believed_only_from_a_trusted_proxy(council: Path):
    header = {"X-Forwarded-Email": OWNER}
    untrusted = Settings(data_dir=council, trusted_proxies=(ipaddress.ip_network("10.0.0.1"),))
    with serving(untrusted) as host:
        ignored = Browser(host, headers=header).get("/returns")
    trusted = Settings(data_dir=council, trusted_proxies=(ipaddress.ip_network("127.0.0.1"),))
    with serving(trusted) as host:
        browser = Browser(host, headers=header)
        believed = browser.get("/returns")
    assert ignored.status == 401 and "KPI-1" not in ignored.body
    assert believed.status == 200 and "Your returns for 2026/27 Q2" in believed.body
    # behind the proxy (https), every cookie is Secure, HttpOnly and SameSite=Lax
    assert browser.set_cookies
    for cookie in browser.set_cookies:
        assert "secure" in cookie.casefold() and "httponly" in cookie.casefold()
        assert "samesite=lax" in cookie.casefold()


def test_a_query_reaches_the_owner_and_the_signoffs_say_who_recorded_each_decision(
    council: Path,
):
    with serving(Settings(data_dir=council, **DEMO)) as host:
        owner = Browser(host)
        owner.sign_in(OWNER)
        assert owner_saves(owner, "85.5", "Record lettings").status == 200
        manager = Browser(host)
        manager.sign_in(MANAGER)
        page = manager.get("/check")
        assert "85.5" in page.body and "Record lettings" in page.body
        empty = manager.post(
            "/check", {"csrf_token": page.csrf, "pi_id": "KPI-1", "decision": "query"}
        )
        assert empty.status == 400 and 'href="#comment-0"' in empty.body
        queried = manager.post(
            "/check",
            {
                "csrf_token": page.csrf,
                "pi_id": "KPI-1",
                "decision": "query",
                "comment": "Is 85.5 right? It was 60 last year.",
            },
        )
        assert queried.status == 200
        seen = owner.get("/returns")
        assert "Queried" in seen.body and "Is 85.5 right? It was 60 last year." in seen.body
        assert "Mo Manager, Head of service" in seen.body
        assert "recorded by file" not in seen.body
        approved = manager.post(
            "/check", {"csrf_token": page.csrf, "pi_id": "KPI-1", "decision": "approved"}
        )
        assert approved.status == 200
        other = manager.post(
            "/check", {"csrf_token": page.csrf, "pi_id": "NOT-MINE", "decision": "approved"}
        )
        assert other.status == 403
    # a hand-written approval of KPI-2 in the manager's name, and a forged "portal" file
    write_csv(
        council / "signoff" / Q.folder / "typed.csv",
        ["pi_id", "decision", "checked_by", "checked_at"],
        [["KPI-2", "approved", MANAGER, "22/10/2026 10:00"]],
    )
    write_csv(
        council / "signoff" / Q.folder / "portal_forged.csv",
        ["pi_id", "decision", "checked_by", "checked_at", "portal_seal"],
        [["KPI-2", "query", MANAGER, "22/10/2026 11:00", "ab" * 32]],
    )
    register = load_register(council / "config")
    outcome = judge_quarter(
        CouncilFiles(data_dir=str(council)),
        Q,
        register,
        pd.DataFrame(columns=["pi_id"]),
        pd.DataFrame(),
        pd.DataFrame(),
        datetime(2026, 12, 1),
        returns_read=False,
    )
    recorded = sorted(
        zip(
            outcome.decisions["pi_id"],
            outcome.decisions["decision"],
            outcome.decisions["checked_by"],
            outcome.decisions["recorded_by"],
            strict=True,
        )
    )
    assert recorded == [
        ("KPI-1", "approved", MANAGER, BY_PORTAL),
        ("KPI-1", "query", MANAGER, BY_PORTAL),
        ("KPI-2", "approved", MANAGER, BY_FILE),
        ("KPI-2", "query", MANAGER, BY_FILE),
    ]


def progress_rows(body: str) -> dict[str, list[tuple[str, ...]]]:
    """The progress page's tables: caption -> (PI, returned, failing checks, decision) rows."""
    out = {}
    for caption, table in re.findall(r"<caption[^>]*>([^<]+)</caption>(.*?)</table>", body, re.S):
        rows = []
        for row in re.findall(r"<tbody.*?</tbody>", table, re.S)[0].split("</tr>")[:-1]:
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            rows.append(tuple(" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells))
        out[html.unescape(caption)] = rows
    return out


def test_progress_shows_each_services_pis_returned_failing_checked_and_queried_to_the_data_team(
    data_dir: Path, caplog: pytest.LogCaptureFixture
):
    portal_council(
        data_dir,
        load=False,
        more=[
            {
                **pi("WST-1", "Recycling rate", "contextual", owner=OTHER),
                "service": "Waste services",
            },
            {
                **pi("ANN-1", "Annual survey", "contextual", frequency="annual"),
                "service": "Waste services",
            },
        ],
    )
    # KPI-2's spreadsheet return has no note: an error the pipeline's checks find
    write_csv(
        data_dir / "returns" / Q.folder / "waste.csv",
        list(RETURN_HEADER),
        [good_row("KPI-2", Q, "12", note="", submitted_by=OTHER)],
    )
    settings = Settings(data_dir=data_dir, dagster_ui="http://dagster.test:3000", **DEMO)
    with serving(settings) as host:
        instance = dg.DagsterInstance.ephemeral()
        assert run_job(data_dir, "register_job", instance=instance).success
        owner = Browser(host)
        owner.sign_in(OWNER)
        assert owner_saves(owner, "85.5", "Record lettings").status == 200
        checked = run_job(data_dir, "returns_job", Q.key, instance=instance)
        found = check_results(checked, "pi_returns")
        assert not found["note_present"] and not found["returns_complete"], found
        manager = Browser(host)
        manager.sign_in(MANAGER)
        form = manager.get("/check").csrf
        for pid, decision in (("KPI-1", "approved"), ("KPI-2", "query")):
            done = manager.post(
                "/check",
                {"csrf_token": form, "pi_id": pid, "decision": decision, "comment": "No note"},
            )
            assert done.status == 200, done.body
        with caplog.at_level(logging.WARNING, "pm_pipeline.portal"):
            refused = owner.get("/progress")
            refused_manager = manager.get("/progress")
        team = Browser(host)
        team.sign_in(TEAM)
        page = team.get("/progress")
    assert refused.status == 403 and refused_manager.status == 403
    assert "Test service" not in refused.body
    logged = [r.getMessage() for r in caplog.records]
    assert f"403: {OWNER} tried to open the progress page from 127.0.0.1" in logged
    assert f"403: {MANAGER} tried to open the progress page from 127.0.0.1" in logged
    assert page.status == 200, page.body
    assert progress_rows(page.body) == {
        "Test service: 2 due, 2 returned, 1 with failing checks, 1 checked, 1 queried": [
            ("KPI-1 Homes let", "Yes", "None", "Checked"),
            ("KPI-2 Missed bins", "Yes", "note_present failing for KPI-2", "Queried"),
        ],
        # the annual PI is not due at Q2, so not listed
        "Waste services: 1 due, 0 returned, 1 with failing checks, 0 checked, 0 queried": [
            ("WST-1 Recycling rate", "No", "returns_complete failing for WST-1", "Not yet"),
        ],
    }
    checks = f"http://dagster.test:3000/assets/pi_returns?view=checks&amp;partition={Q.key}"
    assert f'href="{checks}"' in page.body
    # the reports say who checked KPI-1: the signed-in manager, by name, not "recorded by file"
    assert run_job(data_dir, "signoff_job", Q.key, instance=instance).success
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as conn:
        said = signoff_view(conn, Q, read_register(conn))["checks"]["KPI-1"]["text"]
    assert said.startswith("Checked by Mo Manager, Head of service on "), said
    assert "recorded by file" not in said
    assert 'href="/pi/KPI-2"' in page.body


def test_the_audit_trail_is_appended_to_never_rewritten_and_closed_to_other_accounts(
    data_dir: Path,
):
    """The portal's audit trail and the sent log share core.files.append_private: a folder
    left open to others is closed, earlier lines stay, and the file is 0640."""
    folder = data_dir / "portal"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    (folder / "audit.jsonl").write_text('{"pi_id": "KPI-1", "action": "earlier"}\n')
    (folder / "audit.jsonl").chmod(0o666)
    files = CouncilFiles(data_dir=str(data_dir))
    change = {"pi_id": "KPI-1", "action": "approved"}
    audit(files, MANAGER, "10.0.0.9", datetime(2026, 10, 5, 9, 30), [change])
    with append_private(folder / "audit.jsonl") as handle:
        handle.write('{"pi_id": "KPI-2", "action": "later"}\n')
    trail = audit_trail(files, "KPI-1")
    assert [(r["action"], r.get("who"), r.get("from")) for r in trail] == [
        ("approved", MANAGER, "10.0.0.9"),
        ("earlier", None, None),
    ]
    assert [r["action"] for r in audit_trail(files, "KPI-2")] == ["later"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    assert stat.S_IMODE((folder / "audit.jsonl").stat().st_mode) == 0o640
