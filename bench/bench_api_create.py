"""Ticket creation through the REST API, one client, against a real server.

Run: .venv/bin/python bench/bench_api_create.py [--n 2000] [--client http|inprocess]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/roadie_bench .venv/bin/python bench/...

A fresh database (see bench/_setup.py) gets an organization with a contract, a support agent and
an API token; then one client POSTs /api/v1/tickets N times, each request waiting for the last.
--client http (default) starts gunicorn as `roadie serve` does (2 workers × 4 threads) on a
free loopback port and talks HTTP/1.1 keep-alive to it; --client inprocess uses
django.test.Client in this process (no HTTP, no second process).
Prints `api ticket create (<db>): <rate>/s (target >= <t>/s)`; exits 1 under the target.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
from datetime import date

from _setup import BenchDatabase, prepare, serve

TARGETS = {"sqlite": 200, "postgresql": 150}
WARMUP = 50


def _fixtures() -> tuple[str, str]:
    """An organization with a contract, a deployment, and a support agent's API token."""
    from roadie.accounts.models import Role
    from roadie.accounts.services import api_token_create, user_create
    from roadie.customers.services import (
        contract_create,
        deployment_create,
        module_create,
        organization_create,
        product_create,
    )

    organization = organization_create(name="星河直播 Galaxy Live", slug="galaxy-live")
    contract_create(
        organization=organization,
        tier_slug="standard",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    product = product_create(slug="livestream-pro", name="直播系统 LiveStream Pro")
    module_create(product=product, slug="streaming", name="推流/拉流", is_core=True)
    deployment_create(organization=organization, product=product, version="3.4.0")
    agent = user_create(
        email="agent@bench.example", password=None, role=Role.AGENT, name="Bench Agent"
    )
    # A customer watches each ticket too, so the created-ticket e-mail goes to the outbox.
    user_create(
        email="admin@galaxy.example",
        password=None,
        role=Role.CUSTOMER_ADMIN,
        organization=organization,
    )
    _token, plain = api_token_create(user=agent, name="bench")
    return organization.slug, plain


def _payload(i: int, organization: str) -> bytes:
    severities = ("urgent", "important", "general")
    return json.dumps(
        {
            "title": f"推流中断 #{i}: 主播推流约 10 分钟后自动断开",
            "description": "今晚高峰开始，多个主播反馈 OBS 推流约 10 分钟后断开。\n\n"
            "OBS 日志：`Socket closed by remote`",
            "severity": severities[i % 3],
            "kind": "incident",
            "organization": organization,
            "module": "streaming",
        },
        ensure_ascii=False,
    ).encode()


def _run_http(database: BenchDatabase, n: int, organization: str, token: str) -> float:
    server, port = serve(database)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(i: int) -> None:
            connection.request(
                "POST", "/api/v1/tickets", body=_payload(i, organization), headers=headers
            )
            response = connection.getresponse()
            body = response.read()
            if response.status != 201:
                raise SystemExit(f"POST /api/v1/tickets → {response.status}: {body[:300]!r}")

        for i in range(WARMUP):
            post(i)
        began = time.perf_counter()
        for i in range(n):
            post(WARMUP + i)
        return time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=30)


def _run_inprocess(n: int, organization: str, token: str) -> float:
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def post(i: int) -> None:
        response = client.post(
            "/api/v1/tickets", data=_payload(i, organization), content_type="application/json"
        )
        if response.status_code != 201:
            raise SystemExit(
                f"POST /api/v1/tickets → {response.status_code}: {response.content[:300]!r}"
            )

    for i in range(WARMUP):
        post(i)
    began = time.perf_counter()
    for i in range(n):
        post(WARMUP + i)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="tickets to create (after warm-up)")
    parser.add_argument("--client", choices=["http", "inprocess"], default="http")
    parser.add_argument("--target", type=int, help="minimum tickets per second")
    args = parser.parse_args()

    database = prepare(default_pg_name="roadie_bench")
    try:
        organization, token = _fixtures()
        if args.client == "http":
            elapsed = _run_http(database, args.n, organization, token)
        else:
            elapsed = _run_inprocess(args.n, organization, token)
        from roadie.tickets.models import Ticket

        created = Ticket.objects.count()
    finally:
        database.drop()
    if created != args.n + WARMUP:
        print(f"expected {args.n + WARMUP} tickets, found {created}", file=sys.stderr)
        return 1
    target = args.target or TARGETS[database.vendor]
    rate = args.n / elapsed
    print(
        f"api ticket create ({database.vendor}, {args.client}): {rate:.0f}/s "
        f"(target >= {target}/s, n={args.n}, {1000 * elapsed / args.n:.1f} ms/ticket)"
    )
    return 0 if rate >= target else 1


if __name__ == "__main__":
    sys.exit(main())
