"""A real `roadie worker` is SIGKILLed in the middle of a delivery and started again: every message
still arrives, the receiver (de-duplicating by X-Roadie-Delivery) has each exactly once, and
nothing is left pending. Once with the embedded job queue (SQLite), once with Redis."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roadie.notifications.tests.receivers import WebhookReceiver

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SECRET = "kill-test-secret"
MESSAGES = 24

SEED = """
from django.db import transaction
from roadie.notifications.services import channel_create, outbox_enqueue
with transaction.atomic():
    channel = channel_create(by=None, kind="webhook", name="sink", url={url!r}, secret={secret!r},
                             timeout_seconds=2)
    for n in range({count}):
        outbox_enqueue(channel=channel, subject=f"message {{n}}", body="推流中断",
                       idempotency_key=f"kill:{{n}}")
"""


# A Redis database of its own, emptied before the run: the queue must hold only this test's jobs.
REDIS_URL = "redis://127.0.0.1:6379/13"


def _env(data_dir: Path, broker: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ROADIE_TESTING", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        ROADIE_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'roadie.sqlite3'}",
        ROADIE_OUTBOX_SWEEP_SECONDS="1",
        EMAIL_URL="memory://",
        SECRET_KEY="sigkill-test",
    )
    if broker == "redis":
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        env["REDIS_URL"] = REDIS_URL
    return env


def _roadie(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "roadie.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "roadie.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _statuses(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "roadie.sqlite3", timeout=10) as db:
        rows = db.execute(
            "SELECT status, COUNT(*) FROM notifications_outboxmessage GROUP BY status"
        ).fetchall()
    return dict(rows)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("broker", ["sqlite", "redis"])
def test_a_sigkilled_worker_loses_nothing_and_the_receiver_sees_each_message_once(
    tmp_path, broker
):
    env = _env(tmp_path, broker)
    log = tmp_path / "worker.log"
    _roadie(env, "migrate")
    with WebhookReceiver(SECRET, delay=0.4) as receiver:
        _roadie(
            env,
            "manage",
            "shell",
            "-c",
            SEED.format(url=receiver.url, secret=SECRET, count=MESSAGES),
        )
        assert _statuses(tmp_path) == {"pending": MESSAGES}

        first = _worker(env, log)
        try:
            # Kill while a request is inside the receiver (it sleeps 0.4 s before answering).
            assert _wait(lambda: len(receiver.requests) >= 3, 60), log.read_text()
            receiver.arrived.clear()
            assert receiver.arrived.wait(10)
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                os.kill(first.pid, signal.SIGKILL)
                first.wait(10)
        killed_at = len(receiver.requests)
        assert killed_at < MESSAGES, "the worker finished before it could be killed"
        assert _statuses(tmp_path).get("pending", 0) > 0

        second = _worker(env, log)
        try:
            delivered = _wait(lambda: len(receiver.deliveries) == MESSAGES, 90)
            settled = _wait(lambda: _statuses(tmp_path) == {"sent": MESSAGES}, 30)
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(second.pid, signal.SIGKILL)
                second.wait(10)

    assert delivered, f"{len(receiver.deliveries)} of {MESSAGES} arrived\n{log.read_text()[-3000:]}"
    assert settled, _statuses(tmp_path)
    assert set(receiver.deliveries) == {f"kill:{n}:c1" for n in range(MESSAGES)}
    # At least once: every key arrived; the receiver keeps each exactly once by its key.
    assert len(receiver.accepted) == MESSAGES
    assert len(receiver.requests) >= MESSAGES
    assert receiver.rejected == []
