"""Who is asking, and whether a form is theirs: the portal's settings, identity and CSRF.

In production the user is the reverse proxy's authenticated header (oauth2-proxy's
`X-Forwarded-Email`), believed only from an address in `PM_PORTAL_TRUSTED_PROXIES` (default: no
address, so the header is ignored); in the demo (`PM_PORTAL_DEMO_LOGIN=1`) a signed cookie set
by the "sign in as" page. Cookies and forms are signed with the standard library's `hmac` and
the portal's secret (pm_pipeline/core/seal.py): the portal needs two small signed values, not a
session store, so `itsdangerous` and Starlette's SessionMiddleware are not needed.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from pm_pipeline.core.files import default_data_dir
from pm_pipeline.core.seal import seal

USER_HEADER = "x-forwarded-email"
SESSION_COOKIE = "pm_portal_user"
CSRF_COOKIE = "pm_portal_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 8 * 3600
MAX_BODY_BYTES = 256 * 1024  # a 40-PI return with long notes is under 100 KB
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 10.1.0.0/16` as networks; a bad entry stops the portal, naming it."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"PM_PORTAL_TRUSTED_PROXIES: '{part}' is not an address or network — write "
                "the reverse proxy's address, e.g. 127.0.0.1 or 10.0.0.0/24"
            ) from exc
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    trusted_proxies: tuple[Network, ...] = ()
    demo_login: bool = False
    host: str = "127.0.0.1"
    port: int = 3001
    dagster_ui: str = "http://127.0.0.1:3000"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data_dir=default_data_dir(),
            trusted_proxies=_networks(os.environ.get("PM_PORTAL_TRUSTED_PROXIES", "")),
            demo_login=os.environ.get("PM_PORTAL_DEMO_LOGIN", "") == "1",
            host=os.environ.get("PM_PORTAL_HOST", "127.0.0.1"),
            port=int(os.environ.get("PM_PORTAL_PORT", "3001")),
            dagster_ui=os.environ.get("PM_DAGSTER_UI_URL", "http://127.0.0.1:3000").rstrip("/"),
        )

    @property
    def secure_cookies(self) -> bool:
        """`Secure` cookies everywhere but the demo on this machine (plain http there)."""
        return not (self.demo_login and self.host in LOOPBACK_HOSTS)

    def trusted(self, client: str | None) -> bool:
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)


def sign(secret: bytes, value: str, now: float | None = None) -> str:
    """`value|issued|mac`: a cookie the browser cannot alter."""
    issued = str(int(now if now is not None else time.time()))
    return f"{value}|{issued}|{seal(secret, ['cookie', value, issued])}"


def unsign(secret: bytes, token: str, max_age: int = SESSION_SECONDS) -> str | None:
    """The value of a `sign`ed cookie, or None when altered or expired."""
    try:
        value, issued, mac = token.rsplit("|", 2)
        age = time.time() - int(issued)
    except ValueError:
        return None
    if not hmac.compare_digest(seal(secret, ["cookie", value, issued]), mac) or age > max_age:
        return None
    return value


def new_csrf_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: bytes, nonce: str, user: str) -> str:
    """The token every form carries: bound to the browser's nonce cookie and the user, so a
    page on another site can neither read nor forge it (signed double submit)."""
    return seal(secret, ["csrf", nonce, user])


def csrf_ok(secret: bytes, nonce: str | None, user: str, given: str | None) -> bool:
    if not nonce or not given:
        return False
    return hmac.compare_digest(csrf_token(secret, nonce, user), given)
