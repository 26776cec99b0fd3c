"""The agent alone (no Roadie): configuration, spool, collector, sender, and the flush order.

Runs with the standard library and psutil only, as on a customer's server; a loopback
http.server stands in for Roadie where an answer is needed.
"""

import ast
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from roadie_agent.agent import Agent
from roadie_agent.buffer import Spool
from roadie_agent.cli import main
from roadie_agent.collector import Collector
from roadie_agent.config import ConfigError, parse
from roadie_agent.sender import Outcome, Sender

PACKAGE = Path(__file__).resolve().parent.parent

CONFIG = """
[roadie]
url = https://roadie.example.com/
token = rdi_secret
interval = 30
buffer_dir = {buffer}

[collect]
processes = python, python3 ; comments are allowed
mounts = /
version = 2.4.1
"""


def config(tmp_path, text=CONFIG):
    return parse(text.format(buffer=tmp_path / "spool"))


def test_the_package_imports_neither_django_nor_roadie():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"django", "roadie", "ninja", "requests"}, f"{path.name}: {name}"


# --- configuration ---------------------------------------------------------------------------


def test_config_file_is_parsed(tmp_path):
    c = config(tmp_path)
    assert c.endpoint == "https://roadie.example.com/api/v1/ingest/metrics"
    assert c.token == "rdi_secret"
    assert c.interval == 30
    assert c.processes == ["python", "python3"]
    assert c.version == "2.4.1"


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "[roadie]"),
        ("[roadie]\ntoken = x\n", "url"),
        ("[roadie]\nurl = https://r.example\n", "token"),
        ("[roadie]\nurl = https://r.example\ntoken = x\ninterval = soon\n", "interval"),
        ("[roadie]\nurl = ftp://r.example\ntoken = x\n", "url"),
        ("not ini at all", "INI"),
    ],
)
def test_config_errors_name_the_key(text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(text)


def test_cli_reports_a_bad_config_file(tmp_path, capsys):
    path = tmp_path / "agent.ini"
    path.write_text("[roadie]\n")
    assert main(["--config", str(path)]) == 2
    assert "url" in capsys.readouterr().err


def test_cli_print_shows_a_batch_and_sends_nothing(tmp_path, capsys):
    path = tmp_path / "agent.ini"
    path.write_text(CONFIG.format(buffer=tmp_path / "spool"))
    assert main(["--config", str(path), "--print"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert {s["name"] for s in body["samples"]} >= {"heartbeat", "cpu_percent"}
    assert not (tmp_path / "spool").exists()


# --- collector -------------------------------------------------------------------------------


def test_the_collector_uses_roadie_s_metric_names(tmp_path):
    backup = tmp_path / "backup-1.sql.gz"
    backup.write_text("x")
    streams = tmp_path / "streams.sh"
    streams.write_text("#!/bin/sh\necho 42\n")
    streams.chmod(0o755)
    c = config(tmp_path)
    c.backup_glob = str(tmp_path / "backup-*.sql.gz")
    c.live_streams_command = str(streams)
    c.health_url = "http://127.0.0.1:9/health"  # nothing listens: the probe reports 0
    # The interpreter running the tests is named python3.11 in some virtualenvs: watch it by name.
    me = psutil.Process().name()
    c.processes = [me]
    samples = Collector(c).collect(now=time.time())
    names = {s["name"] for s in samples}
    assert names >= {
        "heartbeat",
        "cpu_percent",
        "memory_used_bytes",
        "memory_total_bytes",
        "process_rss_bytes",
        "disk_used_percent",
        "load1",
        "live_streams",
        "backup_age_seconds",
    }
    rss = [s for s in samples if s["name"] == "process_rss_bytes"]
    assert rss and all(s["labels"]["process"] == me for s in rss)
    assert {"name": "heartbeat", "value": 0.0} == {
        k: v
        for k, v in next(s for s in samples if s.get("labels") == {"probe": "http"}).items()
        if k in ("name", "value")
    }
    assert next(s for s in samples if s["name"] == "live_streams")["value"] == 42
    assert next(s for s in samples if s["name"] == "backup_age_seconds")["value"] < 60
    assert all(s["ts"].endswith("+00:00") for s in samples)


def test_a_failing_probe_does_not_silence_the_others(tmp_path):
    c = config(tmp_path)
    c.live_streams_command = "/bin/false"
    names = {s["name"] for s in Collector(c).collect()}
    assert "live_streams" not in names and "heartbeat" in names and "cpu_percent" in names


# --- spool -------------------------------------------------------------------------------------


def test_the_spool_keeps_order_across_restarts(tmp_path):
    spool = Spool(tmp_path)
    first = [spool.put({"n": n}) for n in range(3)]
    spool.remove(first[0])
    spool.remove(first[1])
    spool.remove(first[2])
    again = Spool(tmp_path)  # the agent restarted with an empty spool
    later = again.put({"n": 3})
    assert later.seq > first[-1].seq  # numbers never repeat
    assert [i.body for i in again.pending()] == [{"n": 3}]
    assert len({i.key for i in first} | {later.key}) == 4


def test_the_spool_drops_what_roadie_would_refuse_and_sets_aside_broken_files(tmp_path):
    spool = Spool(tmp_path, max_age_seconds=3600)
    spool.put({"n": 0}, now=time.time() - 7200)
    spool.put({"n": 1})
    (tmp_path / "000000000099.json").write_text("{not json")
    assert spool.prune() == 1
    assert [i.body for i in spool.pending()] == [{"n": 1}]
    assert (tmp_path / "000000000099.broken").exists()


# --- sender and flush ---------------------------------------------------------------------------


class Roadie(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Roadie.received.append((self.headers["Idempotency-Key"], body))
        status = Roadie.answers.pop(0) if Roadie.answers else 202
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"detail": "as told"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def roadie():
    Roadie.answers, Roadie.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Roadie)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/ingest/metrics"
    server.shutdown()


def test_the_sender_sorts_answers_into_sent_drop_and_retry(roadie):
    sender = Sender(endpoint=roadie, token="rdi_x", timeout=2)
    Roadie.answers = [202, 422, 503, 401]
    assert sender.send({"samples": []}, key="a").sent
    assert sender.send({"samples": []}, key="b") == Outcome(False, True, 422, "as told")
    assert not sender.send({"samples": []}, key="c").drop
    assert not sender.send({"samples": []}, key="d").drop
    closed = Sender(endpoint="http://127.0.0.1:9/x", token="rdi_x", timeout=2)
    outcome = closed.send({"samples": []}, key="e")
    assert not outcome.sent and not outcome.drop and outcome.status is None


class Counter:
    def __init__(self):
        self.n = 0

    def collect(self, now=None):
        self.n += 1
        return [{"name": "cpu_percent", "value": float(self.n), "ts": "x"}]

    def version(self):
        return "2.4.1"


def test_flush_sends_oldest_first_and_stops_at_the_first_failure(tmp_path, roadie):
    agent = Agent(
        collector=Counter(),
        spool=Spool(tmp_path),
        sender=Sender(endpoint=roadie, token="rdi_x", timeout=2),
    )
    Roadie.answers = [503]
    result = agent.tick()
    assert result.sent == 0 and result.pending == 1
    Roadie.answers = [202, 503]
    result = agent.tick()  # sends #1, fails on #2
    assert (result.sent, result.pending) == (1, 1)
    Roadie.answers = [422]  # #2 is refused for good: dropped, #3 goes through
    result = agent.tick()
    assert (result.sent, result.dropped, result.pending) == (1, 1, 0)
    values = [body["samples"][0]["value"] for _key, body in Roadie.received]
    assert values == [1.0, 1.0, 2.0, 2.0, 3.0]
    keys = [key for key, _body in Roadie.received]
    assert keys[0] == keys[1] and keys[2] == keys[3]  # a resend carries the same key
    assert all(body["version"] == "2.4.1" for _k, body in Roadie.received)
