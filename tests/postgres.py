"""A throwaway PostgreSQL server for the storage tests, from Debian's postgresql package, on a free port."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class TemporaryPostgres:
    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.url = f"postgresql+psycopg://rahnama@127.0.0.1:{port}/postgres"

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True)

    def start(self) -> "TemporaryPostgres":
        initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does this)")
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
            os.chmod(self.directory.parent, 0o755)
        data = str(self.directory / "data")
        self._run(initdb, "-D", data, "-A", "trust", "-U", "rahnama", "--no-sync")
        self._run(pg_ctl, "-D", data, "-l", str(self.directory / "log"), "-w", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off", "start")
        time.sleep(0.2)
        return self

    def stop(self) -> None:
        pg_ctl = find_binary("pg_ctl")
        if pg_ctl:
            self._run(pg_ctl, "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def running_postgres() -> Iterator[TemporaryPostgres]:
    """A server in a fresh folder, stopped and removed afterwards."""
    from rahnama_core.services import free_port

    folder = Path(tempfile.mkdtemp(prefix="rahnama-pg-"))  # outside pytest's private folders: postgres must enter it
    folder.chmod(0o755)
    server = TemporaryPostgres(folder / "cluster", free_port()).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
