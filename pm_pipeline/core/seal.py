"""The portal's secret, and the seal (an HMAC) it puts on what it writes.

The returns portal (pm_pipeline/portal) signs its cookies and forms with this secret, and seals
each decision it writes into `signoff/<quarter>/portal_<manager>.csv` so the sign-off step can
tell a decision made by a signed-in manager from one typed into a file by anyone who can write
to the folder (docs/contracts.md, "Sign-off files"). It lives in core because both read it.
The secret is `PM_PORTAL_SECRET`, else a random one generated once into `portal/secret` under
the data directory (0600); it is never logged or written anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from pm_pipeline.core.files import private_folder

SECRET_ENV = "PM_PORTAL_SECRET"
SECRET_FILE = Path("portal") / "secret"


def portal_secret(data_dir: Path, create: bool = False) -> bytes | None:
    """`PM_PORTAL_SECRET`, else the data directory's `portal/secret`; with `create`, one is
    generated there when there is none (None: no secret, so nothing the portal wrote can be
    verified)."""
    configured = os.environ.get(SECRET_ENV, "")
    if configured:
        return configured.encode("utf-8")
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        if not create:
            return None
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_bytes().strip()


def seal(secret: bytes, fields: Sequence[str]) -> str:
    """The HMAC-SHA256 of `fields` (joined by a separator no field may hold), as hex."""
    message = "\x1f".join(f.replace("\x1f", " ") for f in fields).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sealed(secret: bytes | None, fields: Sequence[str], given: str) -> bool:
    """Whether `given` is the seal of `fields` (in constant time); never without a secret."""
    if not secret or not given:
        return False
    return hmac.compare_digest(seal(secret, fields), given.strip())
