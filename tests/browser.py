"""A real browser for page tests: Debian's headless Chromium (shared by every page test).

The ``browser`` fixture finds ``chromium``; where it is missing and the tests run
as root on Debian, it installs it with apt (as the CI machine does); otherwise the
test is skipped with the reason. Run it by hand on a laptop with
``sudo apt-get install chromium`` first.

Pages are served from a folder on 127.0.0.1 (:func:`serve`) so that a probe page
may look inside them (same origin). :meth:`Browser.dump_dom` returns the document
after its scripts ran; :meth:`Browser.screenshot` the pixels.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--hide-scrollbars", "--mute-audio"]
#: how long a page's scripts may run (Chromium's virtual time) before the DOM is taken
BUDGET_MS = 5000
INSTALL_TIMEOUT = 900


class Browser:
    """Headless Chromium, one process per call."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def _run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.executable, *FLAGS, *args], capture_output=True, text=True,
                              timeout=120, check=False, cwd=cwd)

    def dump_dom(self, url: str) -> str:
        """The document at ``url`` after its scripts ran."""
        done = self._run(f"--virtual-time-budget={BUDGET_MS}", "--dump-dom", url)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screenshot(self, url: str, out: Path, size: tuple[int, int] = (1280, 900)) -> Path:
        """A PNG of the page at ``url`` in a ``size`` window."""
        done = self._run(f"--virtual-time-budget={BUDGET_MS}", f"--window-size={size[0]},{size[1]}",
                         f"--screenshot={out}", url)
        assert out.exists(), done.stderr
        return out


def _install() -> str | None:
    """Install Debian's chromium when root on Debian; the reason it cannot be, else."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "chromium is not installed and the tests do not run as root (apt-get install chromium)"
    if shutil.which("apt-get") is None:
        return "chromium is not installed and there is no apt-get here to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                                  check=False, env=env)
        except subprocess.TimeoutExpired:
            return f"installing chromium timed out ({' '.join(command)})"
        if done.returncode != 0:
            return f"could not install chromium: {' '.join(command)}: {done.stderr.strip()[-300:]}"
    return None


@functools.cache
def _chromium() -> tuple[str | None, str]:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found, ""
    problem = _install()
    found = shutil.which("chromium")
    return found, problem or "chromium was installed but is not on PATH"


@pytest.fixture(scope="session")
def browser() -> Browser:
    """Headless Chromium (installed with apt where possible); the test is skipped without it."""
    executable, problem = _chromium()
    if executable is None:
        pytest.skip(problem)
    return Browser(executable)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1; yields its base URL (``http://127.0.0.1:PORT/``)."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
