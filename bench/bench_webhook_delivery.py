"""Delivery to a loopback webhook with 2 worker processes: at least 500 messages/s, none lost,
none doubled at the receiver.

Run: .venv/bin/python bench/bench_webhook_delivery.py [--messages 5000] [--workers 2]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/roadie_bench_webhook .venv/bin/python bench/...

A fresh database (bench/_setup.py) gets a signed generic-webhook channel pointing at a
ThreadingHTTPServer on 127.0.0.1 in this process, which verifies every X-Roadie-Signature (the
receiver of the tests) and counts deliveries by X-Roadie-Delivery. --messages are queued in
one transaction. Then --workers processes of `roadie manage outbox_deliver --until-empty` start
at once; timed from their start (Django start-up included) until the receiver has every key.
Throughput = messages / that time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _setup import ROOT, prepare

TARGET_PER_SECOND = 500.0
SECRET = "bench-webhook-secret"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # The receiver is on loopback, which Roadie refuses to send to unless allowed.
    os.environ["ROADIE_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    database = prepare("roadie_bench_webhook")
    workers: list[subprocess.Popen[bytes]] = []
    try:
        from django.db import transaction

        from roadie.core import clock
        from roadie.notifications.models import OutboxMessage
        from roadie.notifications.services import channel_create
        from roadie.notifications.tests.receivers import WebhookReceiver

        with WebhookReceiver(SECRET) as receiver:
            channel = channel_create(
                by=None, kind="webhook", name="bench", url=receiver.url, secret=SECRET
            )
            now = clock.now()
            with transaction.atomic():
                OutboxMessage.objects.bulk_create(
                    [
                        OutboxMessage(
                            kind="webhook",
                            channel=channel,
                            recipient="bench",
                            subject=f"[RD-{n}] 推流中断",
                            body="推流服务器无响应，影响约 300 个直播间。",
                            payload={
                                "event": "ticket.created",
                                "urgent": n % 10 == 0,
                                "links": {"ticket": f"https://roadie.example/t/RD-{n}"},
                                "language": "zh-hans",
                            },
                            idempotency_key=f"bench:{n}",
                            next_attempt_at=now,
                        )
                        for n in range(args.messages)
                    ],
                    batch_size=1000,
                )
            log = Path(database.data_dir) / "workers.log"
            started = time.perf_counter()
            for _ in range(args.workers):
                workers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "roadie.cli",
                            "manage",
                            "outbox_deliver",
                            "--until-empty",
                            "--idle",
                            "0.05",
                        ],
                        cwd=ROOT,
                        env=database.env(),
                        stdout=log.open("ab"),
                        stderr=subprocess.STDOUT,
                    )
                )
            deadline = started + 300
            while len(receiver.deliveries) < args.messages and time.perf_counter() < deadline:
                if all(w.poll() is not None for w in workers):
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            for worker in workers:
                worker.wait(60)

            received = len(receiver.deliveries)
            doubled = sum(1 for count in receiver.deliveries.values() if count > 1)
            requests = len(receiver.requests)
            sent = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count()
            rate = received / elapsed if elapsed else 0.0
            lost = args.messages - received
            ok = lost == 0 and doubled == 0 and rate >= TARGET_PER_SECOND and not receiver.rejected
        print(
            f"webhook delivery [{database.vendor}]: {args.messages} messages, {args.workers} "
            f"workers, {elapsed:.2f} s → {rate:.0f} messages/s (target ≥ {TARGET_PER_SECOND:.0f}); "
            f"received {received}, lost {lost}, doubled {doubled}, requests {requests}, "
            f"rows sent {sent}, bad signatures {len(receiver.rejected)} "
            f"{'OK' if ok else 'MISSED'}"
        )
        return 0 if ok else 1
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
        database.drop()


if __name__ == "__main__":
    sys.exit(main())
