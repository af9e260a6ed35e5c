"""One headless Chromium, driven over its DevTools pipe, printing several pages at once.

One browser for all of a report's parts (a tab each) rather than a browser per part: a browser
costs about 300 MB and a second of start-up before it prints anything. The protocol is JSON
messages ending in a NUL byte on file descriptors 3 (to the browser) and 4 (from it).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

TIMEOUT_S = 600
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT = {
    "printBackground": True,
    "preferCSSPageSize": True,
    "generateTaggedPDF": True,
    "generateDocumentOutline": True,
    "transferMode": "ReturnAsStream",
}


def executable() -> str:
    """The browser: `PM_CHROMIUM`, or the first of the usual names on the PATH."""
    for name in (os.environ.get("PM_CHROMIUM"), *BROWSERS):
        if name and (found := shutil.which(name)):
            return found
    raise RuntimeError(
        "PDFs are printed by headless Chromium, which is not installed: install it "
        "(Debian/Ubuntu: `sudo apt-get install chromium`) or set PM_CHROMIUM to its path"
    )


def sandboxed() -> bool:
    """Chromium's own sandbox, unless running as root (it refuses to) or PM_CHROMIUM_SANDBOX=off
    (a container whose seccomp profile blocks the namespaces it needs). It prints only our own
    autoescaped pages, with no scripts, from local files."""
    return os.geteuid() != 0 and os.environ.get("PM_CHROMIUM_SANDBOX", "on") != "off"


class Chromium:
    """`with Chromium() as browser: browser.print_pdf(html_file, pdf_file)`, from any thread."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="pm-chromium-")
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        command = [
            executable(),
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-low-end-device-mode",  # smaller caches: -80 MiB at 1,000 PIs, same pages
            f"--user-data-dir={self._profile.name}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        if not sandboxed():
            command.insert(1, "--no-sandbox")

        def pipes_as_3_and_4() -> None:  # in the child, before exec: only fd calls
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            for fd, high_fd in zip((3, 4), high, strict=True):
                os.dup2(high_fd, fd)
                os.set_inheritable(fd, True)

        # stderr to a file: a pipe nobody read would stop the browser once full
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            close_fds=False,  # keeps 3 and 4; Python's own descriptors close on exec anyway
            preexec_fn=pipes_as_3_and_4,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._lock = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, Future[dict]] = {}
        self._loaded: dict[str, Future[None]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(Exception):  # not answering: killed below
                self._send("Browser.close").result(timeout=10)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._out)
        self._reader.join(timeout=10)  # it reads the log when the browser's pipe closes
        self._log.close()
        self._profile.cleanup()

    def _read(self) -> None:
        # a bytearray, searched only where new bytes arrived: a printed part comes back in
        # messages of megabytes, which re-splitting the whole buffer per read made quadratic
        buffer = bytearray()
        with os.fdopen(self._in, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 20):
                seen = len(buffer)
                buffer += chunk
                end = buffer.find(b"\0", seen)
                while end != -1:
                    self._dispatch(json.loads(buffer[:end]))
                    del buffer[: end + 1]
                    end = buffer.find(b"\0")
        error = RuntimeError(f"Chromium stopped: {self._stderr()}")
        pending: list[Future[Any]] = [*self._waiting.values(), *self._loaded.values()]
        for future in pending:
            if not future.done():
                future.set_exception(error)

    def _dispatch(self, message: dict) -> None:
        if "id" in message:
            future = self._waiting.pop(message["id"], None)
            if future is None:
                return
            if "error" in message:
                future.set_exception(RuntimeError(f"Chromium: {message['error']}"))
            else:
                future.set_result(message.get("result", {}))
        elif message.get("method") == "Page.loadEventFired":
            loaded = self._loaded.get(message.get("sessionId", ""))
            if loaded is not None and not loaded.done():
                loaded.set_result(None)

    def _stderr(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()[-800:] or "no message"

    def _send(self, method: str, session: str | None = None, **params: Any) -> Future[dict]:
        future: Future[dict] = Future()
        if not self._reader.is_alive():  # the browser has gone: nothing would ever answer
            raise RuntimeError(f"Chromium stopped: {self._stderr()}")
        with self._lock:
            self._next_id += 1
            message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
            if session:
                message["sessionId"] = session
            self._waiting[self._next_id] = future
            try:
                os.write(self._out, json.dumps(message).encode() + b"\0")
            except BrokenPipeError:
                self._waiting.pop(self._next_id, None)
                self._process.wait(timeout=10)
                raise RuntimeError(f"Chromium stopped: {self._stderr()}") from None
        return future

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict:
        return self._send(method, session, **params).result(timeout=TIMEOUT_S)

    def print_pdf(self, html_file: Path, pdf_file: Path, backgrounds: bool = True) -> None:
        """Print `html_file` to `pdf_file` in a tab of its own (tagged, with bookmarks);
        `backgrounds=False` leaves the page transparent, for a layer stamped on others."""
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        sid = ""
        try:
            sid = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            loaded: Future[None] = Future()
            self._loaded[sid] = loaded
            self._call("Page.enable", sid)
            opened = self._call("Page.navigate", sid, url=html_file.resolve().as_uri())
            if opened.get("errorText"):  # else it would print the browser's error page
                raise RuntimeError(f"Chromium could not open {html_file}: {opened['errorText']}")
            loaded.result(timeout=TIMEOUT_S)
            options = {**PRINT, "printBackground": backgrounds}
            stream = self._call("Page.printToPDF", sid, **options)["stream"]
            with pdf_file.open("wb") as out:
                while True:
                    chunk = self._call("IO.read", sid, handle=stream, size=1 << 22)
                    data = chunk["data"]
                    out.write(
                        base64.b64decode(data) if chunk.get("base64Encoded") else data.encode()
                    )
                    if chunk.get("eof"):
                        break
            self._call("IO.close", sid, handle=stream)
        finally:
            self._loaded.pop(sid, None)
            self._call("Target.closeTarget", targetId=target)
