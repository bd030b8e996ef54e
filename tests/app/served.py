"""Helpers of the browser tests and the app benchmark: a served dashboard, an offline browser.

:class:`Server` runs ``panel serve app/`` on a free loopback port; :class:`Traffic` aborts
and records every request that leaves 127.0.0.1 and records failed local requests.
Chromium is Debian's (``apt-get install chromium``).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: how long the server may take to answer, and a session's first page to show, on a machine
#: busy with other work (seconds): readiness waits end when the server is ready, this is a limit
READY_S = 300.0
#: the same limit for a browser wait (Playwright takes milliseconds)
READY_MS = int(1000 * READY_S)


class Server:
    """``panel serve app/`` in a subprocess on a free loopback port.

    Ready when the server answers its liveness endpoint (it does not build a page for that);
    a session's first page is built when the browser asks for it (wait for it up to
    :data:`READY_MS`).
    """

    def __init__(self, store: Path, preset: str = "quick", poll_ms: int = 500):
        self.store, self.port = store, free_port()
        self.url = f"http://127.0.0.1:{self.port}/app"
        self.log = open(store.parent / f"panel-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "panel",
                "serve",
                "app/",
                "--port",
                str(self.port),
                "--address",
                "127.0.0.1",
                "--allow-websocket-origin",
                f"127.0.0.1:{self.port}",
                "--liveness",
                "--args",
                "--store",
                str(store),
                "--preset",
                preset,
                "--poll-ms",
                str(poll_ms),
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_S
        while True:
            try:
                liveness = f"http://127.0.0.1:{self.port}/liveness"
                with urllib.request.urlopen(liveness, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"panel serve did not start; see {self.log.name}")
            time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def stop_jobs(store: Path, timeout: float = 30.0) -> None:
    """Cancel every job of the store that has not ended; kill those that do not stop in time."""
    from fly64.data.store import Store, StoreError
    from fly64.study.records.jobs import request_cancel
    from fly64.study.records.registry import Registry

    try:
        registry = Registry(Store.open(store))
    except StoreError:
        return
    for job in registry.all():
        if not job.terminal:
            request_cancel(registry.store.job_dir(job.job_id))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(not j.terminal for j in registry.all()):
        time.sleep(0.5)
    for job in registry.all():
        if not job.terminal and job.pid:
            try:
                os.killpg(job.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Traffic:
    """Requests a browser context tried to send off the machine, and local requests that failed."""

    def __init__(self):
        self.external: list[str] = []
        self.failed: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def on_failed(self, request) -> None:
        if request.url.startswith(LOCAL):
            self.failed.append(f"{request.url}: {request.failure}")

    def check(self) -> None:
        assert not self.external, f"requests left the machine: {self.external}"
        assert not self.failed, f"local requests failed: {self.failed}"
