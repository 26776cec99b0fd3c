"""roadie-agent against a live Roadie on loopback, with the network cut and restored.

The agent is the real one (spool on disk, urllib sender); only its collector is a counter so
the order can be checked. Nothing may be lost, nothing stored twice, the order kept.
"""

import http.client
import socket
import threading
import time

import pytest
from django.utils import timezone

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.core.tests.factories import make_user
from roadie.monitoring.models import DeploymentHealth, IngestBatch, Sample
from roadie.monitoring.selectors import latest_values
from roadie.monitoring.services import ingest_token_create
from roadie.monitoring.tests.factories import make_monitored
from roadie_agent.agent import Agent
from roadie_agent.buffer import Spool
from roadie_agent.config import INGEST_PATH
from roadie_agent.sender import Sender


class Counter:
    """Three samples a tick; the value is the tick number, the time one minute further."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.tick = 0

    def collect(self, now=None):
        self.tick += 1
        ts = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(self.start + self.tick * 60))
        return [
            {"name": "heartbeat", "value": 1, "ts": ts},
            {"name": "cpu_percent", "value": float(self.tick), "ts": ts},
            {"name": "live_streams", "value": float(self.tick), "ts": ts},
        ]

    def version(self):
        return "2.4.1"


def closed_port() -> int:
    """A loopback port nobody listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SwallowingProxy:
    """Forwards each request to Roadie, then hangs up without passing the answer on: Roadie
    stored the batch, the agent never heard so."""

    def __init__(self, target: str) -> None:
        self.target = target.replace("http://", "")
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.forwarded = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, body = data.split(b"\r\n\r\n", 1)
                headers = dict(
                    line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line
                )
                length = int(headers.get("Content-Length", 0))
                while len(body) < length:
                    body += conn.recv(65536)
                upstream = http.client.HTTPConnection(self.target, timeout=10)
                upstream.request("POST", INGEST_PATH, body=body, headers=headers)
                upstream.getresponse().read()
                self.forwarded += 1

    def close(self) -> None:
        self.server.close()


@pytest.fixture(autouse=True)
def default_data(transactional_db):
    factories.restore_default_data()


def stored_values(deployment):
    rows = Sample.objects.filter(deployment=deployment, name="cpu_percent").order_by("id")
    return [int(v) for v in rows.values_list("value", flat=True)]


@pytest.mark.django_db(transaction=True)
def test_network_cut_and_restored_loses_nothing_and_keeps_order(live_server, tmp_path):
    deployment, token = make_monitored()
    collector = Counter(start=time.time() - 3600)
    down = Sender(endpoint=f"http://127.0.0.1:{closed_port()}{INGEST_PATH}", token=token, timeout=2)
    agent = Agent(collector=collector, spool=Spool(tmp_path / "spool"), sender=down)

    # Roadie unreachable: every tick is kept on disk.
    for _ in range(5):
        result = agent.tick()
        assert result.sent == 0
    assert result.pending == 5
    assert stored_values(deployment) == []

    # Restored: the backlog goes first, oldest first, then the new batch.
    agent.sender = Sender(endpoint=live_server.url + INGEST_PATH, token=token, timeout=5)
    result = agent.tick()
    assert (result.sent, result.pending) == (6, 0)
    assert stored_values(deployment) == [1, 2, 3, 4, 5, 6]

    # Cut again, this time Roadie stops accepting mid-way (connections refused), then back.
    agent.sender = down
    agent.tick()
    agent.tick()
    agent.sender = Sender(endpoint=live_server.url + INGEST_PATH, token=token, timeout=5)
    agent.tick()
    assert stored_values(deployment) == list(range(1, 10))
    assert len(agent.spool) == 0
    health = DeploymentHealth.objects.get(deployment=deployment)
    assert health.reported_version == "2.4.1"
    assert latest_values(deployment=deployment, now=timezone.now())["cpu_percent"][""][1] == 9.0


@pytest.mark.django_db(transaction=True)
def test_an_answer_lost_on_the_way_back_does_not_store_the_batch_twice(live_server, tmp_path):
    deployment, token = make_monitored()
    collector = Counter(start=time.time() - 3600)
    proxy = SwallowingProxy(live_server.url)
    try:
        agent = Agent(
            collector=collector,
            spool=Spool(tmp_path / "spool"),
            sender=Sender(
                endpoint=f"http://127.0.0.1:{proxy.port}{INGEST_PATH}", token=token, timeout=5
            ),
        )
        result = agent.tick()
        assert result.sent == 0 and result.pending == 1  # the agent believes it failed
        assert proxy.forwarded == 1 and stored_values(deployment) == [1]  # Roadie has it
    finally:
        proxy.close()
    agent.sender = Sender(endpoint=live_server.url + INGEST_PATH, token=token, timeout=5)
    result = agent.tick()
    assert result.sent == 2
    assert stored_values(deployment) == [1, 2]  # the resend was recognised, not stored again
    assert IngestBatch.objects.filter(deployment=deployment).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_keeps_the_spool_until_a_new_one_is_set(live_server, tmp_path):
    deployment, token = make_monitored()
    deployment.ingest_tokens.update(revoked_at="2026-01-01T00:00:00Z")
    agent = Agent(
        collector=Counter(start=time.time() - 3600),
        spool=Spool(tmp_path / "spool"),
        sender=Sender(endpoint=live_server.url + INGEST_PATH, token=token, timeout=5),
    )
    result = agent.tick()
    assert result.pending == 1 and "401" in result.error
    _row, new_token = ingest_token_create(deployment=deployment, by=make_user(Role.AGENT))
    agent.sender = Sender(endpoint=live_server.url + INGEST_PATH, token=new_token, timeout=5)
    assert agent.tick().sent == 2
    assert stored_values(deployment) == [1, 2]
