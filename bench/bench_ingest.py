"""Ingest throughput through the API against a real server: metric samples and Alertmanager alerts.

Run: .venv/bin/python bench/bench_ingest.py [--deployments 50] [--clients 8] [--seconds 10]
         [--batch 100] [--alerts-per-notification 100] [--client http|inprocess]

A fresh database (bench/_setup.py) gets N deployments, each with an ingest token. Then:
1. metrics: C client threads POST /api/v1/ingest/metrics for S seconds, each batch B samples of
   one deployment (heartbeat, CPU, memory, per-process RSS, disk, load, live streams — what the
   agent sends, 9 samples a minute), every batch with its own Idempotency-Key; once with B = 9
   (one agent's minute: the cost is per request) and once with B = 90 (a backlog resent);
2. alerts: the same clients POST /api/v1/ingest/alertmanager notifications (payload version 4)
   of A alerts each: firing (new fingerprints: alerts, grouping, an incident and its ticket per
   deployment and alert name), then the same alerts resolved.
--client http (default) starts gunicorn as `roadie serve` does (2 workers × 4 threads) on a
free loopback port; --client inprocess uses django.test.Client in one thread.
Prints one line per figure, `ingest metrics (...): <rate> samples/s (target >= 2000/s)` for each
batch size and `ingest alertmanager (...): <rate> alerts/s (target >= 1000/s)`; exits 1 when
the best metrics rate or the alert rate is under its target.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from _setup import prepare, serve

SAMPLE_TARGET = 2000
ALERT_TARGET = 1000


def _fixtures(n: int) -> list[str]:
    from roadie.accounts.models import Role
    from roadie.accounts.services import user_create
    from roadie.customers.services import deployment_create, organization_create, product_create
    from roadie.monitoring.services import ingest_token_create

    product = product_create(slug="livestream-pro", name="直播系统 LiveStream Pro")
    engineer = user_create(email="eng@bench.example", password=None, role=Role.ENGINEER)
    tokens = []
    for i in range(n):
        organization = organization_create(name=f"客户 {i}", slug=f"customer-{i}")
        deployment = deployment_create(organization=organization, product=product, version="3.4.0")
        tokens.append(ingest_token_create(deployment=deployment, by=engineer)[1])
    return tokens


def _metrics_body(batch: int, minute: int) -> bytes:
    start = datetime.now(tz=UTC) - timedelta(minutes=minute % 5000 + batch // 9 + 1)
    samples = []
    for i in range(batch):
        ts = (start + timedelta(seconds=i // 9 * 60)).isoformat()
        kind = i % 9
        name, labels, value = (
            ("heartbeat", None, 1),
            ("cpu_percent", None, 37.5),
            ("memory_used_bytes", None, 6.1e9),
            ("memory_total_bytes", None, 16e9),
            ("process_rss_bytes", {"process": "srs"}, 8.2e8),
            ("process_rss_bytes", {"process": "java"}, 2.1e9),
            ("disk_used_percent", {"mount": "/"}, 41.0),
            ("load1", None, 1.7),
            ("live_streams", None, 128),
        )[kind]
        sample = {"name": name, "value": value, "ts": ts}
        if labels:
            sample["labels"] = labels
        samples.append(sample)
    return json.dumps({"samples": samples, "agent": "bench"}).encode()


def _alertmanager_body(status: str, round_: int, size: int) -> bytes:
    started = (datetime.now(tz=UTC) - timedelta(minutes=10)).isoformat()
    ended = datetime.now(tz=UTC).isoformat() if status == "resolved" else "0001-01-01T00:00:00Z"
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": f"StreamDown{round_ % 7}",
                "instance": f"edge-{round_}-{i}:1985",
                "job": "srs",
                "severity": "critical" if i % 10 == 0 else "warning",
            },
            "annotations": {"summary": f"edge-{round_}-{i} publishes no stream"},
            "startsAt": started,
            "endsAt": ended,
            "generatorURL": "http://prometheus:9090/graph?g0.expr=srs_streams+%3D%3D+0",
            "fingerprint": f"{round_:08x}{i:08x}",
        }
        for i in range(size)
    ]
    return json.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="StreamDown"}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "roadie",
            "groupLabels": {"alertname": f"StreamDown{round_ % 7}"},
            "commonLabels": {"job": "srs"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": alerts,
        }
    ).encode()


class Load:
    """C threads posting the requests `make(i)` until the time is up; counts what was accepted."""

    def __init__(self, post, clients: int) -> None:  # type: ignore[no-untyped-def]
        self.post = post
        self.clients = clients
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.units = 0
        self.errors: list[str] = []

    def run(self, make, seconds: float, units_per_request: int) -> float:  # type: ignore[no-untyped-def]
        deadline = time.perf_counter() + seconds

        def worker(slot: int) -> None:
            send = self.post(slot)
            while time.perf_counter() < deadline and not self.errors:
                i = next(self.counter)
                path, token, body, expected = make(i)
                status, text = send(path, token, body)
                if status != expected:
                    self.errors.append(f"{path} → {status}: {text[:300]!r}")
                    return
                with self.lock:
                    self.units += units_per_request

        began = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.errors:
            raise SystemExit(self.errors[0])
        return time.perf_counter() - began


def _http_poster(port: int):  # type: ignore[no-untyped-def]
    def for_slot(slot: int):  # type: ignore[no-untyped-def]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def send(path: str, token: str, body: bytes) -> tuple[int, bytes]:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": f"{slot}-{time.perf_counter_ns()}",
                },
            )
            response = connection.getresponse()
            return response.status, response.read()

        return send

    return for_slot


def _inprocess_poster():  # type: ignore[no-untyped-def]
    from django.test import Client

    def for_slot(slot: int):  # type: ignore[no-untyped-def]
        client = Client()

        def send(path: str, token: str, body: bytes) -> tuple[int, bytes]:
            response = client.post(
                path,
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_IDEMPOTENCY_KEY=f"{slot}-{time.perf_counter_ns()}",
            )
            return response.status_code, response.content

        return send

    return for_slot


def _measure_metrics(args: argparse.Namespace, tokens: list[str], post, batch: int) -> float:  # type: ignore[no-untyped-def]
    metrics = Load(post, args.clients)
    bodies = [_metrics_body(batch, m) for m in range(64)]

    def metric_request(i: int) -> tuple[str, str, bytes, int]:
        return "/api/v1/ingest/metrics", tokens[i % len(tokens)], bodies[i % len(bodies)], 202

    elapsed = metrics.run(metric_request, args.seconds, batch)
    return metrics.units / elapsed


def _measure_alerts(args: argparse.Namespace, tokens: list[str], post) -> float:  # type: ignore[no-untyped-def]

    alerts = Load(post, args.clients)
    size = args.alerts_per_notification

    def alert_request(i: int) -> tuple[str, str, bytes, int]:
        # Request 2k fires new alerts; request 2k + 1 resolves them.
        round_, phase = divmod(i, 2)
        status = "firing" if phase == 0 else "resolved"
        token = tokens[round_ % len(tokens)]
        return "/api/v1/ingest/alertmanager", token, _alertmanager_body(status, round_, size), 200

    elapsed = _run_pairs(alerts, alert_request, args.seconds, size, itertools.count())
    return alerts.units / elapsed


def _run_pairs(load: Load, make, seconds: float, size: int, pairs) -> float:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        send = load.post(slot)
        while time.perf_counter() < deadline and not load.errors:
            round_ = next(pairs)
            for i in (2 * round_, 2 * round_ + 1):
                path, token, body, expected = make(i)
                status, text = send(path, token, body)
                if status != expected:
                    load.errors.append(f"{path} → {status}: {text[:300]!r}")
                    return
                with load.lock:
                    load.units += size

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(load.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if load.errors:
        raise SystemExit(load.errors[0])
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[9, 90],
        help="samples per metrics request: 9 is one agent's minute, 90 a backlog (default both)",
    )
    parser.add_argument("--alerts-per-notification", type=int, default=100)
    parser.add_argument("--client", choices=["http", "inprocess"], default="http")
    parser.add_argument("--server-log", action="store_true", help="show the server's errors")
    args = parser.parse_args()

    database = prepare(default_pg_name="roadie_bench")
    server = None
    try:
        tokens = _fixtures(args.deployments)
        if args.client == "http":
            server, port = serve(database, timeout=120, log=args.server_log)
            post = _http_poster(port)
        else:
            args.clients = 1
            post = _inprocess_poster()
        sample_rates = [(b, _measure_metrics(args, tokens, post, b)) for b in args.batch]
        alert_rate = _measure_alerts(args, tokens, post)
        from roadie.monitoring.models import Alert, Incident, Sample

        stored = Sample.objects.count()
        alerts, incidents = Alert.objects.count(), Incident.objects.count()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        database.drop()
    where = f"{database.vendor}, {args.client}, {args.clients} clients"
    for batch, rate in sample_rates:
        print(
            f"ingest metrics ({where}, {batch} samples a request): "
            f"{rate:.0f} samples/s (target >= {SAMPLE_TARGET}/s)"
        )
    print(
        f"ingest alertmanager ({where}, {args.alerts_per_notification} alerts a notification, "
        f"fired then resolved, {alerts} alerts → {incidents} incidents): "
        f"{alert_rate:.0f} alerts/s (target >= {ALERT_TARGET}/s)"
    )
    print(f"({stored} samples stored in all)")
    best = max(rate for _batch, rate in sample_rates)
    return 0 if best >= SAMPLE_TARGET and alert_rate >= ALERT_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
