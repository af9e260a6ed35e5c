"""The returns portal: a Starlette app over the council's data directory (docs/portal.md).

Owners enter their quarter's figures (`/returns`), managers approve or query them (`/check`),
the data team follows progress (`/progress`); every PI has a page with its audit trail
(`/pi/<id>`). It writes only the files the pipeline already reads, so the sensors and checks
stay the one truth. Pages are server-rendered GOV.UK Design System HTML and need no JavaScript.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pm_pipeline.core.files import CouncilFiles
from pm_pipeline.core.periods import Quarter
from pm_pipeline.core.seal import portal_secret
from pm_pipeline.defs.signoff.read import BY_PORTAL
from pm_pipeline.portal.records import (
    STATUSES,
    Entry,
    NotReady,
    Roles,
    Snapshot,
    audit_trail,
    due_pis,
    latest_decisions,
    latest_ended_quarter,
    now_local,
    read_folder,
    record_decision,
    save_returns,
)
from pm_pipeline.portal.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    MAX_BODY_BYTES,
    SESSION_COOKIE,
    SESSION_SECONDS,
    USER_HEADER,
    Settings,
    csrf_ok,
    csrf_token,
    new_csrf_nonce,
    sign,
    unsign,
)

log = logging.getLogger("pm_pipeline.portal")
HERE = Path(__file__).parent
SERVICE_NAME = "Performance returns"


class Refused(Exception):
    """A request the portal turns away, with the status and what the page says."""

    def __init__(self, status: int, title: str, text: str):
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


def figure_context(snap: Snapshot, quarter: Quarter, pid: str) -> dict[str, Any]:
    """What an owner's and a manager's pages both show beside a PI's figure: last quarter,
    the same quarter last year, the target and the pipeline's latest checks."""
    return {
        "last_quarter": snap.value(pid, quarter.previous),
        "last_year": snap.value(pid, quarter.same_quarter_last_year),
        "target": snap.target(pid, quarter),
        "checks": snap.checks(pid),
    }


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure"] = lambda v: "—" if v is None else f"{v:,.6g}"
    env.filters["url"] = lambda v: quote(str(v), safe="")
    return env


def create_app(
    settings: Settings, quarter_now: Callable[[], Quarter] = latest_ended_quarter
) -> Starlette:
    """The portal over `settings.data_dir`; `quarter_now` says which quarter is being
    entered (the latest ended one; tests pass their own)."""
    files = CouncilFiles(data_dir=str(settings.data_dir))
    secret = portal_secret(settings.data_dir, create=True)
    assert secret is not None
    env = _templates()

    def address(request: Request) -> str:
        """The user's address: the proxy's X-Forwarded-For from a trusted proxy, else the
        peer's."""
        peer = request.client.host if request.client else ""
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded and settings.trusted(peer):
            return forwarded.split(",")[-1].strip()
        return peer

    def user_of(request: Request) -> str | None:
        peer = request.client.host if request.client else None
        header = request.headers.get(USER_HEADER, "").strip().casefold()
        if header and settings.trusted(peer):
            return header
        if settings.demo_login:
            return unsign(secret, request.cookies.get(SESSION_COOKIE, ""))
        return None

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        nonce = request.cookies.get(CSRF_COOKIE) or new_csrf_nonce()
        user = context.get("user") or ""
        body = env.get_template(template).render(
            service_name=SERVICE_NAME,
            demo=settings.demo_login,
            csrf_field=CSRF_FIELD,
            csrf=csrf_token(secret, nonce, user),
            **context,
        )
        response = HTMLResponse(body, status_code=status)
        if request.cookies.get(CSRF_COOKIE) != nonce:
            cookie(response, CSRF_COOKIE, nonce)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    def cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
        )

    def refuse(request: Request, user: str | None, what: str, pi_id: str = "") -> Refused:
        log.warning(
            "403: %s tried to %s%s from %s",
            user or "someone not signed in",
            what,
            f" {pi_id}" if pi_id else "",
            address(request),
        )
        return Refused(403, "You cannot do this", "This figure is not one of yours.")

    async def form(request: Request, user: str) -> dict[str, str]:
        """The posted form (urlencoded, at most MAX_BODY_BYTES), its CSRF token checked."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise Refused(413, "Too much text", "The form was too large to save.")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise Refused(413, "Too much text", "The form was too large to save.")
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
        except (UnicodeDecodeError, ValueError) as exc:
            raise Refused(400, "The form could not be read", "Go back and try again.") from exc
        values = {k: v[-1] for k, v in fields.items()}
        if not csrf_ok(secret, request.cookies.get(CSRF_COOKIE), user, values.get(CSRF_FIELD)):
            log.warning("403: a form without a valid CSRF token from %s", address(request))
            raise Refused(
                403,
                "This form has expired",
                "Go back, reload the page and submit it again.",
            )
        return values

    def signed_in(request: Request) -> str:
        user = user_of(request)
        if user is None:
            raise Refused(
                401,
                "Sign in to continue",
                "Use the council's sign-in link for this service."
                if not settings.demo_login
                else "Choose who to sign in as.",
            )
        return user

    def snapshot(quarter: Quarter) -> Snapshot:
        try:
            return Snapshot.read(files, quarter)
        except NotReady as exc:
            raise Refused(503, "The portal is not ready", str(exc)) from exc

    async def home(request: Request) -> Response:
        user = user_of(request)
        if user is None:
            if settings.demo_login:
                return RedirectResponse("/signin", status_code=303)
            signed_in(request)
        quarter = quarter_now()
        roles = Roles.of(snapshot(quarter).register, user or "")
        return page(request, "home.html.j2", user=user, roles=roles, quarter=quarter)

    async def signin(request: Request) -> Response:
        if not settings.demo_login:
            raise Refused(404, "Page not found", "There is no such page.")
        register = snapshot(quarter_now()).register
        people = register.people.sort_values("name").to_dict("records")
        if request.method == "POST":
            values = await form(request, "")
            chosen = values.get("email", "").casefold()
            if chosen not in {p["email"] for p in people}:
                raise Refused(400, "Choose a person", "Choose someone from the list.")
            response = RedirectResponse("/", status_code=303)
            cookie(response, SESSION_COOKIE, sign(secret, chosen), SESSION_SECONDS)
            response.delete_cookie(CSRF_COOKIE)  # a new token for the signed-in user
            return response
        return page(request, "signin.html.j2", people=people)

    async def signout(request: Request) -> Response:
        user = signed_in(request)
        await form(request, user)
        response = RedirectResponse("/signin" if settings.demo_login else "/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def owner_rows(snap: Snapshot, quarter: Quarter, user: str, roles: Roles) -> list[dict]:
        folder = read_folder(files, snap.register, quarter, user)
        decisions = latest_decisions(files, snap.register, quarter)
        rows = []
        for index, pi in enumerate(due_pis(snap.register, quarter, roles.owns).to_dict("records")):
            pid = pi["pi_id"]
            rows.append(
                {
                    "n": index,
                    "pi": pi,
                    "entry": folder.mine.get(pid, Entry()),
                    "elsewhere": folder.elsewhere.get(pid),
                    **figure_context(snap, quarter, pid),
                    "decision": decisions.get(pid),
                }
            )
        return rows

    async def returns(request: Request) -> Response:
        user = signed_in(request)
        quarter = quarter_now()
        snap = snapshot(quarter)
        roles = Roles.of(snap.register, user)
        rows = owner_rows(snap, quarter, user, roles)
        context: dict[str, Any] = {
            "user": user,
            "roles": roles,
            "quarter": quarter,
            "statuses": STATUSES,
            "by_portal": BY_PORTAL,
            "names": snap.register.names,
        }
        if request.method == "GET":
            return page(request, "returns.html.j2", rows=rows, field_errors={}, **context)
        values = await form(request, user)
        editable = {r["pi"]["pi_id"]: r for r in rows if not r["elsewhere"]}
        entries: dict[str, Entry] = {}
        for key, pid in values.items():
            if not key.startswith("pi-"):
                continue
            if pid not in editable:
                raise refuse(request, user, "enter a return for", pid)
            n = key.removeprefix("pi-")
            status = values.get(f"status-{n}", "final")
            entries[pid] = Entry(
                values.get(f"value-{n}", ""),
                values.get(f"numerator-{n}", ""),
                values.get(f"denominator-{n}", ""),
                status if status in STATUSES else "final",
                values.get(f"note-{n}", ""),
            )
        outcome = save_returns(files, snap, quarter, user, entries, now_local(), address(request))
        if outcome.saved:
            rows = owner_rows(snap, quarter, user, roles)
        else:  # show what was typed, with the errors
            for row in rows:
                row["entry"] = entries.get(row["pi"]["pi_id"], row["entry"])
        numbers = {r["pi"]["pi_id"]: r["n"] for r in rows}
        summary = [
            {
                "href": f"#{p.field}-{numbers[p.pi_id]}" if p.pi_id in numbers else "#save",
                "text": p.message,
            }
            for p in outcome.errors
        ]
        field_errors: dict[str, str] = {}
        for p in outcome.errors:
            if p.pi_id in numbers:
                field_errors.setdefault(f"{p.field}-{numbers[p.pi_id]}", p.message)
        return page(
            request,
            "returns.html.j2",
            status=200 if outcome.saved else 400,
            rows=rows,
            outcome=outcome,
            summary=summary,
            field_errors=field_errors,
            has_errors=bool(summary),
            **context,
        )

    def manager_rows(snap: Snapshot, quarter: Quarter, roles: Roles) -> list[dict]:
        folder = read_folder(files, snap.register, quarter, "")
        decisions = latest_decisions(files, snap.register, quarter)
        indicators = snap.register.indicators
        rows = []
        for index, pi in enumerate(
            indicators.loc[indicators["pi_id"].isin(roles.decides)].to_dict("records")
        ):
            pid = pi["pi_id"]
            rows.append(
                {
                    "n": index,
                    "pi": pi,
                    "figure": folder.elsewhere.get(pid),
                    **figure_context(snap, quarter, pid),
                    "decision": decisions.get(pid),
                }
            )
        return rows

    async def check(request: Request) -> Response:
        user = signed_in(request)
        quarter = quarter_now()
        snap = snapshot(quarter)
        roles = Roles.of(snap.register, user)
        recorded = ""
        if request.method == "POST":
            values = await form(request, user)
            pid = values.get("pi_id", "")
            if pid not in roles.decides:
                raise refuse(request, user, "decide", pid)
            decision = values.get("decision", "")
            comment = values.get("comment", "").strip()
            if decision not in ("approved", "query"):
                raise Refused(400, "Choose approve or query", "Go back and choose one.")
            if decision == "query" and not comment:
                rows = manager_rows(snap, quarter, roles)
                return page(
                    request,
                    "check.html.j2",
                    status=400,
                    user=user,
                    roles=roles,
                    quarter=quarter,
                    rows=rows,
                    names=snap.register.names,
                    by_portal=BY_PORTAL,
                    error={"pi_id": pid, "n": roles.decides.index(pid)},
                )
            record_decision(
                files, secret, quarter, user, pid, decision, comment, now_local(), address(request)
            )
            recorded = f"{pid}: {'approved' if decision == 'approved' else 'queried'}"
        rows = manager_rows(snap, quarter, roles)
        return page(
            request,
            "check.html.j2",
            user=user,
            roles=roles,
            quarter=quarter,
            rows=rows,
            names=snap.register.names,
            by_portal=BY_PORTAL,
            recorded=recorded,
        )

    async def pi_page(request: Request) -> Response:
        user = signed_in(request)
        pid = request.path_params["pi_id"]
        quarter = quarter_now()
        snap = snapshot(quarter)
        roles = Roles.of(snap.register, user)
        if pid not in roles.owns and pid not in roles.decides and not roles.data_team:
            raise refuse(request, user, "open", pid)
        pi = snap.register.indicators.set_index("pi_id").loc[pid].to_dict()
        return page(
            request,
            "pi.html.j2",
            user=user,
            roles=roles,
            quarter=quarter,
            pid=pid,
            pi=pi,
            trail=audit_trail(files, pid),
            checks=snap.checks(pid),
            decision=latest_decisions(files, snap.register, quarter).get(pid),
            names=snap.register.names,
            by_portal=BY_PORTAL,
        )

    async def progress(request: Request) -> Response:
        user = signed_in(request)
        quarter = quarter_now()
        snap = snapshot(quarter)
        roles = Roles.of(snap.register, user)
        if not roles.data_team:
            raise refuse(request, user, "open the progress page")
        folder = read_folder(files, snap.register, quarter, "")
        decisions = latest_decisions(files, snap.register, quarter)
        owed = due_pis(snap.register, quarter, list(snap.register.indicators["pi_id"]))
        services: dict[str, list[dict]] = {}
        for pi in owed.to_dict("records"):
            pid = pi["pi_id"]
            failing = [c for c in snap.checks(pid) if c["severity"] == "ERROR"]
            decision = decisions.get(pid) or {}
            services.setdefault(pi["service"], []).append(
                {
                    "pi": pi,
                    "returned": pid in folder.elsewhere,
                    "failing": failing,
                    "checked": decision.get("decision") == "approved",
                    "queried": decision.get("decision") == "query",
                }
            )
        return page(
            request,
            "progress.html.j2",
            user=user,
            roles=roles,
            quarter=quarter,
            services=services,
            checks_url=(
                f"{settings.dagster_ui}/assets/pi_returns?view=checks&partition={quarter.key}"
            ),
            dagster_ui=settings.dagster_ui,
        )

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        if exc.status == 401 and settings.demo_login:
            return RedirectResponse("/signin", status_code=303)
        return page(
            request,
            "message.html.j2",
            status=exc.status,
            user=user_of(request),
            title=exc.title,
            text=exc.text,
        )

    return Starlette(
        routes=[
            Route("/", home),
            Route("/signin", signin, methods=["GET", "POST"]),
            Route("/signout", signout, methods=["POST"]),
            Route("/returns", returns, methods=["GET", "POST"]),
            Route("/check", check, methods=["GET", "POST"]),
            Route("/progress", progress),
            Route("/pi/{pi_id:path}", pi_page),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={Refused: refused},
    )
