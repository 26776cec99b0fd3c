"""Shared set-up for the benchmarks: a throw-away database, Django configured, migrated.

SQLite (DATABASE_URL unset or sqlite://…): a fresh file in a temporary ROADIE_DATA_DIR.
PostgreSQL (DATABASE_URL=postgres://…/roadie_bench…): that database is dropped and created
through the server's `postgres` database, and dropped again at the end. Only names starting
with "roadie_bench" are accepted, so a benchmark can never touch roadie or test_roadie.
The data dir is always temporary, so var/ is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_PREFIX = "roadie_bench"


@dataclass
class BenchDatabase:
    vendor: str  # "sqlite" or "postgresql"
    url: str
    data_dir: Path
    admin_url: str = ""
    name: str = ""

    def env(self) -> dict[str, str]:
        """The environment a server subprocess needs to use the same database."""
        env = dict(os.environ)
        env["ROADIE_DATA_DIR"] = str(self.data_dir)
        env["DATABASE_URL"] = self.url
        env.pop("ROADIE_TESTING", None)
        return env

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        if self.vendor == "postgresql":
            _pg_execute(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _pg_execute(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql)


def prepare(default_pg_name: str = BENCH_PREFIX) -> BenchDatabase:
    """Create a fresh database from DATABASE_URL (or SQLite), set up Django and migrate it."""
    url = os.environ.get("DATABASE_URL", "")
    data_dir = Path(tempfile.mkdtemp(prefix="roadie-bench-"))
    os.environ["ROADIE_DATA_DIR"] = str(data_dir)
    os.environ.pop("ROADIE_TESTING", None)
    os.environ.setdefault("EMAIL_URL", "memory://")
    if url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        name = parsed.path.lstrip("/") or default_pg_name
        if not name.startswith(BENCH_PREFIX):
            raise SystemExit(
                f"refusing to use database {name!r}: bench databases start with "
                f"{BENCH_PREFIX!r} (e.g. {default_pg_name})"
            )
        admin_url = urlunparse(parsed._replace(path="/postgres"))
        url = urlunparse(parsed._replace(path=f"/{name}"))
        _pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg_execute(admin_url, f'CREATE DATABASE "{name}"')
        database = BenchDatabase("postgresql", url, data_dir, admin_url, name)
    else:
        url = f"sqlite:///{data_dir / 'roadie.sqlite3'}"
        database = BenchDatabase("sqlite", url, data_dir)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    # Pages link static files through the manifest, as under `roadie serve`.
    call_command("collectstatic", interactive=False, verbosity=0)
    return database


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    import http.client
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz in time")


def serve(
    database: BenchDatabase, *, timeout: int = 60, log: bool = False
) -> tuple[subprocess.Popen, int]:
    """gunicorn on a free loopback port as `roadie serve` runs it (2 workers × 4 threads, minus
    collectstatic), on the bench database; returns (process, port) once /healthz answers."""
    from django.db import connections

    connections.close_all()  # the server's workers open their own
    port = _free_port()
    output = None if log else subprocess.DEVNULL
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            str(timeout),
        ],
        cwd=ROOT,
        env=database.env(),
        stdout=output,
        stderr=output,
    )
    try:
        _wait_ready(port, server)
    except BaseException:
        server.terminate()
        raise
    return server, port
