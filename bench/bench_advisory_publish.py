"""Publishing a security advisory over 10,000 deployments of ~2,000 organizations.

Run: .venv/bin/python bench/bench_advisory_publish.py [--deployments 10000] [--organizations 2000]
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/roadie_bench_advisory .venv/bin/python …

A fresh database (see bench/_setup.py) gets the organizations, one customer admin each (half
prefer English, half Chinese), and the deployments of one product by bulk_create, with installed
versions spread over 2.0.0 … 2.9.x and some pre-releases. A draft advisory affects
"0" ≤ v < 2.6.0 and 2.8.0 ≤ v < 2.8.3 (about 60 % of the deployments). What is timed is
advisory_publish(): the affected set computed from the installed versions, one notice per
affected organization, every e-mail queued in the outbox and the status change, committed
(including the after-commit hand-over of the outbox messages to the task queue). The URLconf
and the e-mail template are loaded before the clock starts, as in a serving process.
Prints `advisory publish (<db>): … in <s> s (target < 5 s)`; exits 1 over the target.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from _setup import prepare

TARGET_SECONDS = 5.0
VERSIONS = [
    *(f"2.{minor}.{patch}" for minor in range(10) for patch in range(4)),
    "2.6.0-rc.1",
    "2.8.3-beta.2",
    "3.0.0-rc.1",
]


def _load(organizations: int, deployments: int) -> tuple[object, object]:
    from django.contrib.auth.hashers import make_password

    from roadie.accounts.models import Role, User
    from roadie.accounts.services import user_create
    from roadie.customers.models import Deployment, Organization
    from roadie.customers.services import product_create

    rng = random.Random(6)
    product = product_create(slug="livestream-pro", name="直播系统 LiveStream Pro")
    Organization.objects.bulk_create(
        Organization(name=f"直播客户 {n:04d}", slug=f"customer-{n:04d}")
        for n in range(organizations)
    )
    orgs = list(Organization.objects.values_list("pk", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        User(
            email=f"admin{n}@customer-{n:04d}.example",
            name=f"Admin {n}",
            role=Role.CUSTOMER_ADMIN,
            organization_id=org,
            language="en" if n % 2 else "zh-hans",
            password=unusable,
        )
        for n, org in enumerate(orgs)
    )
    Deployment.objects.bulk_create(
        (
            Deployment(
                organization_id=orgs[n % len(orgs)],
                product=product,
                name=f"node-{n}",
                version=rng.choice(VERSIONS),
                environment=rng.choice(["production", "production", "staging", "test"]),
            )
            for n in range(deployments)
        ),
        batch_size=2000,
    )
    engineer = user_create(
        email="security@vendor.example", password=None, role=Role.ENGINEER, name="Security"
    )
    return product, engineer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--organizations", type=int, default=2_000)
    args = parser.parse_args()
    database = prepare("roadie_bench_advisory")
    try:
        from django.template.loader import get_template
        from django.urls import reverse

        from roadie.notifications.models import OutboxMessage
        from roadie.releases.models import AdvisoryNotice
        from roadie.releases.services import RangeSpec, advisory_create, advisory_publish

        product, engineer = _load(args.organizations, args.deployments)
        advisory = advisory_create(
            by=engineer,  # type: ignore[arg-type]
            title="推流鉴权绕过 Stream key bypass",
            description="RTMP 推流未校验签名过期时间。",
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            affected=[
                RangeSpec(product=product.slug, introduced="0", fixed="2.6.0"),  # type: ignore[attr-defined]
                RangeSpec(product=product.slug, introduced="2.8.0", fixed="2.8.3"),  # type: ignore[attr-defined]
            ],
        )
        # A serving process has its URLconf and templates loaded already.
        reverse("portal:advisory", args=[advisory.identifier])
        get_template("releases/emails/advisory_notice.txt")
        started = time.perf_counter()
        advisory_publish(advisory=advisory, by=engineer)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        notices = AdvisoryNotice.objects.filter(advisory=advisory)
        affected = sum(len(n.deployments) for n in notices)
        emails = OutboxMessage.objects.count()
        ok = seconds < TARGET_SECONDS
        print(
            f"advisory publish ({database.vendor}): {args.deployments:,} deployments of "
            f"{args.organizations:,} organizations, {affected:,} affected in {notices.count():,} "
            f"organizations, {emails:,} e-mails queued in {seconds:.2f} s "
            f"(target < {TARGET_SECONDS:.0f} s){'' if ok else '  !! over target'}"
        )
        return 0 if ok else 1
    finally:
        database.drop()


if __name__ == "__main__":
    sys.exit(main())
