"""One event fanned out to 10,000 recipients through notify_users: enqueued in under 5 s.

Run: .venv/bin/python bench/bench_outbox_fanout.py [--recipients 10000]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/roadie_bench_fanout .venv/bin/python bench/...

A fresh database (bench/_setup.py) gets one organization and --recipients customer members,
each with a preference that routes every event to e-mail (bulk-created: set-up is not timed).
Timed: one transaction calling notify_users() for all of them — preferences read, the e-mail
rendered once per language, one OutboxMessage per person bulk-inserted — and the commit, which
schedules delivery tasks (huey, chunks of 100). Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time

from _setup import prepare

TARGET_SECONDS = 5.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    args = parser.parse_args()
    database = prepare("roadie_bench_fanout")
    try:
        from django.db import transaction

        from roadie.accounts.models import Role, User
        from roadie.customers.services import organization_create
        from roadie.notifications.models import NotificationPreference, OutboxMessage
        from roadie.notifications.services import notify_users

        organization = organization_create(name="Fan-out Live", slug="fanout")
        User.objects.bulk_create(
            [
                User(
                    email=f"member{n}@fanout.example",
                    role=Role.CUSTOMER_MEMBER,
                    organization=organization,
                    password="!",
                    language="en" if n % 5 == 0 else "zh-hans",
                )
                for n in range(args.recipients)
            ],
            batch_size=1000,
        )
        users = list(User.objects.filter(organization=organization))
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=u, routes={"*": ["email"]}) for u in users],
            batch_size=1000,
        )

        started = time.perf_counter()
        with transaction.atomic():
            messages = notify_users(
                users=users,
                event="advisory",
                subject="[安全公告] RSA-2026-007 推流鉴权绕过",
                body="请在 48 小时内升级到 3.4.2。Upgrade to 3.4.2 within 48 hours.",
                urgent=False,
                idempotency_key="advisory:RSA-2026-007",
                links={"advisory": "https://roadie.example/advisories/RSA-2026-007"},
            )
            enqueued = time.perf_counter() - started
        committed = time.perf_counter() - started

        stored = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
        ok = len(messages) == args.recipients == stored and committed < TARGET_SECONDS
        print(
            f"outbox fan-out [{database.vendor}]: {args.recipients} recipients, "
            f"{stored} messages queued in {enqueued:.2f} s (committed with delivery tasks "
            f"scheduled: {committed:.2f} s; target < {TARGET_SECONDS:.0f} s) "
            f"{'OK' if ok else 'MISSED'}"
        )
        return 0 if ok else 1
    finally:
        database.drop()


if __name__ == "__main__":
    sys.exit(main())
