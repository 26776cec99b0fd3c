"""Factories for monitoring tests: plain functions over the real services."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.test import Client

from roadie.accounts.models import Role
from roadie.core.tests.factories import make_deployment, make_organization, make_product, make_user
from roadie.customers.models import Deployment
from roadie.monitoring import services
from roadie.oncall.services import StepInput
from roadie.oncall.tests.factories import make_engineer, make_policy

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def make_monitored(
    organization=None, *, environment: str = "production", product=None
) -> tuple[Deployment, str]:
    """A deployment and a fresh ingest token for it."""
    organization = organization or make_organization()
    deployment = make_deployment(organization, product or make_product())
    if environment != "production":
        deployment.environment = environment
        deployment.save(update_fields=["environment"])
    staff = make_user(Role.ENGINEER)
    _token, plain = services.ingest_token_create(deployment=deployment, by=staff)
    return deployment, plain


def ingest_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def post_json(client: Client, url: str, body: Any, **headers: str):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json", **headers)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def sample(name: str, value: float, ts: float, **labels: str) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, "value": value, "ts": iso(ts)}
    if labels:
        item["labels"] = labels
    return item


def make_default_policy():
    engineer = make_engineer("oncall")
    return make_policy(StepInput(kind="user", user=engineer, wait_minutes=5), is_default=True)
