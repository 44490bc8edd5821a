"""Starting and stopping the Rasa server and the action server as child processes.

Each child runs in its own process group, dies with its parent (PR_SET_PDEATHSIG), and is stopped
with SIGTERM, then SIGKILL, when the stack closes: Ctrl-C or SIGTERM leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import yaml

from rahnama_core import REPO_ROOT
from rahnama_core.settings import Settings

RASA_BIN = REPO_ROOT / ".venv" / "rasa" / "bin" / "rasa"
APP_PYTHON = REPO_ROOT / ".venv" / "app" / "bin" / "python"


class ServiceError(RuntimeError):
    """A service that did not start; the message says which and where its log is."""


def rasa_environment(**extra: str) -> dict[str, str]:
    """The environment of every process run with the Rasa server's Python: our code importable, Rasa quiet
    (no telemetry, no TensorFlow and deprecation chatter) and its training cache under var/."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
        "RASA_CACHE_DIRECTORY": str(REPO_ROOT / "var" / "rasa-cache"),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    os.setpgrp()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str
    log_path: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
        log.close()

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited with status {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return
            time.sleep(0.2)
        raise ServiceError(f"{self.name} did not become healthy within {timeout:.0f} s; see {self.log_path}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Stack:
    """The Rasa server and the action server, on free loopback ports."""

    settings: Settings
    model: Path
    persistent: bool = False  # True: Rasa keeps conversations in a SQL tracker store under var/
    services: list[Service] = field(default_factory=list)
    rasa_url: str = ""
    action_url: str = ""

    def start(self) -> None:
        from storage.db import migrate

        var = self.settings.var_dir
        (var / "log").mkdir(parents=True, exist_ok=True)
        migrate(self.settings.database_url)
        rasa_port = self.settings.rasa_port or free_port()
        action_port = self.settings.action_port or free_port()
        self.rasa_url = f"http://127.0.0.1:{rasa_port}"
        self.action_url = f"http://127.0.0.1:{action_port}"
        endpoints = var / "run" / f"endpoints-{rasa_port}.yml"
        endpoints.parent.mkdir(parents=True, exist_ok=True)
        endpoints.write_text(self._endpoints_yaml(), encoding="utf-8")
        base_env = rasa_environment(
            SANIC_HOST="127.0.0.1", RAHNAMA_VAR_DIR=str(var), DATABASE_URL=self.settings.database_url
        )
        actions = Service(
            name="action server",
            argv=[str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "-p", str(action_port), "--quiet"],
            health_url=f"{self.action_url}/health",
            log_path=var / "log" / "actions.log",
            env=base_env,
        )
        rasa = Service(
            name="Rasa server",
            argv=[
                str(RASA_BIN), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(rasa_port),
                "-m", str(self.model), "--endpoints", str(endpoints),
                "--credentials", str(REPO_ROOT / "credentials.yml"), "--quiet",
            ],
            health_url=f"{self.rasa_url}/status",
            log_path=var / "log" / "rasa.log",
            env=base_env,
        )
        self.services = [actions, rasa]
        for service in self.services:
            service.start()
        try:
            actions.wait_healthy(timeout=60)
            rasa.wait_healthy(timeout=180)
        except ServiceError:
            self.stop()
            raise

    def _endpoints_yaml(self) -> str:
        return endpoints_yaml(self.action_url, self.settings.tracker_url if self.persistent else None,
                              self.settings.redis_url)

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator["Stack"]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def endpoints_yaml(action_url: str, tracker_url: str | None, redis_url: str | None) -> str:
    """Rasa's endpoints: the action server; the tracker store (None: in memory); with REDIS_URL, a Redis lock
    store, so that with several Rasa replicas one person's messages are still handled one at a time, in order."""
    from sqlalchemy.engine import make_url

    endpoints: dict[str, dict[str, object]] = {"action_endpoint": {"url": f"{action_url}/webhook"}}
    if tracker_url is not None:
        url = make_url(tracker_url)
        if url.get_backend_name() == "sqlite":
            endpoints["tracker_store"] = {"type": "SQL", "dialect": "sqlite", "db": url.database}
        else:  # the Rasa environment talks to PostgreSQL through psycopg2, its own driver
            endpoints["tracker_store"] = {
                "type": "SQL", "dialect": "postgresql", "url": url.host or "localhost", "port": url.port or 5432,
                "db": url.database, "username": url.username, "password": url.password,
            }
    if redis_url:
        url = make_url(redis_url)
        endpoints["lock_store"] = {
            "type": "redis", "url": url.host or "localhost", "port": url.port or 6379, "db": int(url.database or 0),
            "password": url.password or None, "username": url.username or None,
            "use_ssl": url.drivername == "rediss", "key_prefix": "rahnama",
        }
    return yaml.safe_dump(endpoints, sort_keys=False)


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop the children."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def log(message: str) -> None:
    print(f"[rahnama] {message}", file=sys.stderr, flush=True)
