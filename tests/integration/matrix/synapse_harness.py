"""A throwaway loopback Synapse for integration tests and benchmarks.

    with SynapseServer(data_dir) as hs:        # hs.url, hs.secret, hs.server_name
        reg = register_user(hs.url, hs.secret, "alice", "pw")
        hs.restart()                           # same data dir, same port, data kept

Synapse runs as ``sys.executable -m synapse.app.homeserver`` (so it must be installed
in the running interpreter) with the config rendered from ``homeserver.yaml.template``
beside this file: loopback only, sqlite, rate limits lifted, ``bcrypt_rounds: 4``,
``/sync`` response cache off. Adapted from /work/shared/recipes/synapse.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from nio import AsyncClient, ErrorResponse, RoomPreset, RoomVisibility

#: every test user's password (here, not in conftest: another folder's conftest may be the
#: module named ``conftest`` when the whole suite runs)
PASSWORD = "pw"

TEMPLATE = Path(__file__).with_name("homeserver.yaml.template")
SERVER_NAME = "localhost"
DEFAULT_SECRET = "hearth-test-shared-secret"
REGISTER_PATH = "/_synapse/admin/v1/register"
LOG_CONFIG = """version: 1
formatters:
  f: {{format: '%(asctime)s %(levelname)s %(name)s %(message)s'}}
handlers:
  file: {{class: logging.FileHandler, filename: '{log}', formatter: f}}
root: {{level: {level}, handlers: [file]}}
disable_existing_loggers: false
"""


class SynapseStartError(RuntimeError):
    """Synapse exited or did not answer in time; the message carries the log tails."""


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (may be taken again before use)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_data_root() -> Path:
    """/dev/shm when it is a writable directory (tmpfs: ~2x faster), else the temp dir."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def make_data_dir(prefix: str = "hearth-synapse-") -> Path:
    """A fresh, empty data directory under :func:`default_data_root`."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=default_data_root()))


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"<{path.name}: missing>"
    return "\n".join(text.splitlines()[-lines:]) or f"<{path.name}: empty>"


class SynapseServer:
    """One Synapse process on a data directory; start/stop/restart keep the data.

    The config (and with it the port) is written once into the data dir, so a
    restart comes back on the same URL with the same database.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int | None = None,
        secret: str = DEFAULT_SECRET,
        python: str = sys.executable,
        log_level: str = "WARNING",
        start_timeout: float = 120.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.secret = secret
        self.python = python
        self.server_name = SERVER_NAME
        self.start_timeout = start_timeout
        self.config = self.data_dir / "homeserver.yaml"
        self.stdout_log = self.data_dir / "stdout.log"
        self.homeserver_log = self.data_dir / "homeserver.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._stdout: IO[bytes] | None = None
        self._auto_port = port is None and not self.config.exists()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.config.exists():
            self._write_config(port or free_port(), log_level)
        self.port = self._read_port()
        self.start_seconds: float | None = None  # duration of the last start()

    @property
    def url(self) -> str:
        """Base URL of the client API (also serves ``/_synapse/admin``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """True while the Synapse process is alive."""
        return self.proc is not None and self.proc.poll() is None

    def _write_config(self, port: int, log_level: str) -> None:
        text = (
            TEMPLATE.read_text()
            .replace("@SERVER_NAME@", self.server_name)
            .replace("@PORT@", str(port))
            .replace("@DATA_DIR@", str(self.data_dir))
            .replace("@SHARED_SECRET@", self.secret)
        )
        self.config.write_text(text)
        (self.data_dir / "log.config").write_text(LOG_CONFIG.format(log=self.homeserver_log, level=log_level))

    def _read_port(self) -> int:
        for line in self.config.read_text().splitlines():
            if line.strip().startswith("- port:"):
                return int(line.split(":", 1)[1])
        raise SynapseStartError(f"no '- port:' line in {self.config}")

    def _failure(self, what: str) -> SynapseStartError:
        return SynapseStartError(
            f"{what} (python={self.python}, config={self.config})\n"
            f"--- tail of {self.stdout_log} ---\n{_tail(self.stdout_log)}\n"
            f"--- tail of {self.homeserver_log} ---\n{_tail(self.homeserver_log)}"
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_matrix/client/versions", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def start(self, timeout: float | None = None) -> SynapseServer:
        """Start Synapse and wait until ``/_matrix/client/versions`` answers.

        On a port clash during the very first start (the free port was taken in
        between) a new port is picked, up to three times. Raises
        :class:`SynapseStartError` with the log tails if Synapse exits or times out.
        """
        if self.running:
            return self
        t0 = time.monotonic()
        for attempt in range(3):
            try:
                self._start_once(timeout or self.start_timeout)
                break
            except SynapseStartError as exc:
                clash = "Address already in use" in str(exc)
                if not (clash and self._auto_port and attempt < 2):
                    raise
                self._write_config(free_port(), "WARNING")
                self.port = self._read_port()
        self._auto_port = False  # from now on the URL must stay stable
        self.start_seconds = time.monotonic() - t0
        return self

    def _start_once(self, timeout: float) -> None:
        self._stdout = open(self.stdout_log, "ab")  # closed in stop()
        self.proc = subprocess.Popen(
            [self.python, "-m", "synapse.app.homeserver", "-c", str(self.config)],
            stdout=self._stdout,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.data_dir,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self._close_stdout()
                self.proc = None
                raise self._failure(f"synapse exited during startup with rc={rc}")
            if self._answers():
                return
            time.sleep(0.02)
        self.stop()
        raise self._failure(f"synapse did not answer on {self.url} within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM Synapse and wait for it to exit (SIGKILL after ``timeout``)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._close_stdout()

    def restart(self) -> SynapseServer:
        """Stop and start again on the same data dir and port."""
        self.stop()
        return self.start()

    def _close_stdout(self) -> None:
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None

    def __enter__(self) -> SynapseServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# ----------------------------------------------------------------------------- users


def _http_json(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            result: dict[str, Any] = json.loads(r.read())
            return result
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise RuntimeError(f"{method} {url} -> HTTP {exc.code}: {detail}") from exc


def register_user(
    url: str,
    secret: str,
    name: str,
    password: str,
    admin: bool = False,
    displayname: str | None = None,
) -> dict[str, Any]:
    """Register ``name`` via Synapse's shared-secret admin API (blocking, stdlib only).

    Returns the server's JSON: ``user_id``, ``access_token``, ``device_id``, ``home_server``.
    """
    nonce = _http_json("GET", url + REGISTER_PATH)["nonce"]  # single use
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    for part in (nonce, name, password):
        mac.update(part.encode() + b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    body: dict[str, Any] = {
        "nonce": nonce,
        "username": name,
        "password": password,
        "admin": admin,
        "mac": mac.hexdigest(),
    }
    if displayname:
        body["displayname"] = displayname
    return _http_json("POST", url + REGISTER_PATH, body)


# ----------------------------------------------------------------------------- spaces


@dataclass
class Space:
    """A space and its child rooms, as made by :func:`create_space_with_rooms`."""

    space_id: str
    rooms: dict[str, str] = field(default_factory=dict)  # child name -> room id


MatrixUserFactory = Callable[..., Awaitable[AsyncClient]]
"""Type of the ``matrix_user`` fixture: ``await matrix_user(name="user", admin=False)``."""
SpaceFactory = Callable[..., Awaitable[Space]]
"""Type of the ``make_space`` fixture: ``await make_space(admin, name, children)``."""


def _ok(resp: Any) -> Any:
    if isinstance(resp, ErrorResponse):
        raise RuntimeError(f"{type(resp).__name__}: {resp}")
    return resp


async def create_space_with_rooms(
    admin: AsyncClient,
    name: str = "Community",
    children: tuple[str, ...] = ("general", "random"),
    *,
    server_name: str = SERVER_NAME,
    public: bool = True,
) -> Space:
    """Create a space and one room per child name, linked both ways (plain nio calls).

    Each child gets ``m.space.child`` in the space and ``m.space.parent`` in the room.
    """
    preset = RoomPreset.public_chat if public else RoomPreset.private_chat
    visibility = RoomVisibility.public if public else RoomVisibility.private
    space_id = _ok(
        await admin.room_create(space=True, name=name, preset=preset, visibility=visibility)
    ).room_id
    space = Space(space_id)
    for child in children:
        room_id = _ok(
            await admin.room_create(
                name=child,
                preset=preset,
                initial_state=[
                    {
                        "type": "m.space.parent",
                        "state_key": space_id,
                        "content": {"via": [server_name], "canonical": True},
                    }
                ],
            )
        ).room_id
        _ok(await admin.room_put_state(space_id, "m.space.child", {"via": [server_name]}, state_key=room_id))
        space.rooms[child] = room_id
    return space


@contextlib.contextmanager
def running_synapse(data_dir: Path | None = None) -> Any:
    """``with running_synapse() as hs:`` -- a fresh server in a fresh data dir (scripts)."""
    import shutil

    own_dir = data_dir is None
    path = data_dir if data_dir is not None else make_data_dir()
    hs = SynapseServer(path)
    try:
        yield hs.start()
    finally:
        hs.stop()
        if own_dir:
            shutil.rmtree(path, ignore_errors=True)
