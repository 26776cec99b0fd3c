"""A customer of organization A walks every URL and every API route with organization B's ids.

Nothing of B may be read or changed. Every route must be classified in ROUTES / API_PARAMS below:
a route added without a classification fails this test, so nobody can forget the check.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from roadie.accounts.models import ApiToken, Role
from roadie.accounts.services import invitation_create
from roadie.api.urls import api
from roadie.core.tests import factories
from roadie.monitoring.ingest import EventIn
from roadie.monitoring.models import Incident
from roadie.monitoring.services.alerts import event_receive
from roadie.notifications.models import Channel, OutboxMessage
from roadie.notifications.services import channel_create
from roadie.releases import services as release_services
from roadie.tickets import services
from roadie.tickets.attachments import check_upload
from roadie.tickets.models import Comment, InboundMail, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

SECRET = "SECRET-OF-BETA"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def world(org_a, org_b, customer_a, customer_b, agent):
    product = factories.make_product("live-b")
    deployment_b = factories.make_deployment(org_b, product)
    ticket_b = services.ticket_create(
        by=customer_b,
        title=f"{SECRET} 推流中断",
        description=SECRET,
        severity="urgent",
        attachments=[check_upload(name="shot.png", declared_type="image/png", data=PNG)],
    )
    services.ticket_comment(ticket=ticket_b, by=agent, body=f"{SECRET} public reply")
    services.ticket_comment(ticket=ticket_b, by=agent, body=f"{SECRET} note", public=False)
    ticket_a = factories.make_ticket(requester=customer_a, title="Alpha ticket")
    invitation, _secret = invitation_create(by=customer_b, email="new@beta.example")
    mail_b = InboundMail.objects.create(
        message_id="<b@beta>",
        sender="x@beta.example",
        subject=SECRET,
        raw=b"x",
        status=InboundMail.Status.HELD,
    )
    factories.make_token(customer_b)
    engineer = factories.make_user(Role.ENGINEER)
    channel_b = channel_create(
        by=customer_b,
        kind="webhook",
        name=SECRET,
        url="https://hooks.beta.example/roadie",
        secret="s3cret",
        organization=org_b,
    )
    release_services.release_create(product=product, version="2.4.0", by=engineer)
    release_b = release_services.release_create(
        product=product, version="2.4.2", by=engineer, notes=SECRET
    )
    release_services.artifact_add_link(
        release=release_b, by=engineer, url="https://x.example/a.tgz", sha256="a" * 64, name=SECRET
    )
    advisory_b = release_services.advisory_create(
        by=engineer,
        title=SECRET,
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        affected=[release_services.RangeSpec(product="live-b", introduced="0", fixed="2.4.2")],
    )
    release_services.advisory_embargo(advisory=advisory_b, by=engineer, embargo_until=None)
    request_b = release_services.update_request_create(
        release=release_b, by=customer_b, note=SECRET
    )
    event_receive(
        deployment=deployment_b,
        event=EventIn.model_validate(
            {
                "event_action": "trigger",
                "dedup_key": "b-1",
                "payload": {"summary": SECRET, "severity": "critical", "source": "b"},
            }
        ),
    )
    incident_b = Incident.objects.get(deployment=deployment_b)
    return {
        "incident_b": incident_b,
        "channel_b": channel_b,
        "release_b": release_b,
        "advisory_b": advisory_b,
        "request_b": request_b,
        "ticket_b": ticket_b,
        "ticket_a": ticket_a,
        "deployment_b": deployment_b,
        "attachment_b": ticket_b.attachments.get(),
        "contract_b": org_b.contracts.get(),
        "token_b": ApiToken.objects.get(user=customer_b),
        "invitation_b": invitation,
        "mail_b": mail_b,
        "outbox_b": OutboxMessage.objects.filter(recipient=customer_b.email).first(),
    }


def _b_ids(world):
    t = world["ticket_b"]
    return {
        "number": t.number,
        "attachment_id": world["attachment_b"].pk,
        "deployment_id": world["deployment_b"].pk,
        "contract_id": world["contract_b"].pk,
        "token_id": world["token_b"].pk,
        "slug": "beta",
        "pk": None,  # filled per route below
        "secret": "not-a-valid-secret",
        "token": "not-a-valid-token",
        "channel_id": world["channel_b"].pk,
        "message_id": world["outbox_b"].pk,
        "release_id": world["release_b"].pk,
        "advisory_id": world["advisory_b"].identifier,
        "update_request_id": world["request_b"].pk,
        "artifact_id": world["release_b"].artifacts.get().pk,
        # Vendor-side objects: customers are refused before any id is read.
        "schedule_id": 1,
        "rotation_id": 1,
        "override_id": 1,
        "leave_id": 1,
        "team_id": 1,
        "policy_id": 1,
        "page_id": 1,
        "incident_id": world["incident_b"].pk,
        "silence_id": 1,
        "window_id": 1,
        "rule": "cpu_high",
        "day": "2027-01-01",
        "severity": "urgent",
    }


# Django routes by name: "public" (anyone may open; must leak nothing of B), "object" (takes
# B's ids: must answer 404 to A), "staff" (vendor staff only: must not answer 200 to a customer),
# "own" (the user's own things; must leak nothing of B), "skip" (handled elsewhere, with reason).
ROUTES: dict[str, str] = {
    "home": "own",
    "healthz": "public",
    "metrics": "staff",
    "login": "public",
    "logout": "own",
    "set_language": "public",
    "invitation_accept": "object",
    "tokens": "own",
    "token_revoke": "object",
    "tickets:attachment": "object",
    "console:*": "staff",
    "portal:ticket_new": "own",
    "portal:releases": "own",
    "portal:advisories": "own",
    "portal:notifications": "own",
    "oncall:*": "staff",
    "reports:*": "staff",
    "scorecard:*": "staff",
    "scorecard_public:page": "object",
    "monitoring:deployments": "own",
    "monitoring:*": "object",
    "portal:tickets": "own",
    "portal:team": "own",
    "portal:*": "object",
    "admin:login": "public",
    "admin:*": "staff",
}

PK_FOR_ROUTE = {
    "token_revoke": lambda w: w["token_b"].pk,
    "console:mail_detail": lambda w: w["mail_b"].pk,
    "console:outbox_retry": lambda w: w["outbox_b"].pk if w["outbox_b"] else 1,
    "portal:notification_channel_test": lambda w: w["channel_b"].pk,
    "portal:notification_channel_toggle": lambda w: w["channel_b"].pk,
}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns == "api-v1":
                continue  # the API is walked through its OpenAPI schema below
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield prefix + str(entry.pattern), name


def _classify(name):
    if name in ROUTES:
        return ROUTES[name]
    namespace = name.split(":")[0]
    return ROUTES.get(f"{namespace}:*")


def _fill(route, ids, name, world):
    def value(match):
        param = match.group("param")
        if param == "pk" or name in PK_FOR_ROUTE:
            return str(PK_FOR_ROUTE[name](world)) if name in PK_FOR_ROUTE else "1"
        return str(ids[param])

    route = re.sub(r"<(?:\w+:)?(?P<param>\w+)>", value, route)
    route = route.replace("^", "").replace("$", "")
    return "/" + route


def _assert_nothing_of_b(response, url):
    body = response.content.decode("utf-8", "replace")
    assert SECRET not in body, f"{url} leaked organization B's data"


def test_every_url_refuses_organization_b(world, customer_a):
    client = Client()
    client.force_login(customer_a)
    ids = _b_ids(world)
    before = _snapshot(world)
    unclassified = []
    for route, name in _walk(get_resolver().url_patterns):
        kind = _classify(name)
        if kind is None:
            unclassified.append(f"{name or '(unnamed)'} {route}")
            continue
        if "<path:" in route or name.startswith("admin:") and "<" in route:
            url = None
        else:
            url = _fill(route, ids, name, world)
        if url is None:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            _assert_nothing_of_b(response, f"{method.upper()} {url}")
            if kind == "object":
                assert response.status_code in (404, 405), (
                    f"{method.upper()} {url} ({name}) answered {response.status_code}"
                )
            elif kind == "staff":
                assert response.status_code in (302, 403, 404, 405), (
                    f"{method.upper()} {url} ({name}) answered {response.status_code}"
                )
        client.force_login(customer_a)  # logout or language routes may have ended the session
    assert not unclassified, "classify these routes in ROUTES: " + ", ".join(unclassified)
    assert _snapshot(world) == before, "a request of A changed organization B's data"


VENDOR_PARAMS = {
    "day",
    "schedule_id",
    "rotation_id",
    "override_id",
    "leave_id",
    "team_id",
    "policy_id",
    "page_id",
}
API_PARAMS = {
    "day",
    "severity",
    "incident_id",
    "silence_id",
    "window_id",
    "rule",
    "number",
    "attachment_id",
    "deployment_id",
    "contract_id",
    "token_id",
    "slug",
    "release_id",
    "advisory_id",
    "update_request_id",
    "artifact_id",
    "channel_id",
    "message_id",
    "schedule_id",
    "rotation_id",
    "override_id",
    "leave_id",
    "team_id",
    "policy_id",
    "page_id",
}


def test_every_api_route_refuses_organization_b(world, customer_a):
    token = factories.make_token(customer_a)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    ids = _b_ids(world)
    before = _snapshot(world)
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        assert params <= API_PARAMS, f"classify the parameters of {path} in API_PARAMS"
        url = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)
        for method in operations:
            body = json.dumps(
                {
                    "title": SECRET,
                    "severity": "urgent",
                    "body": "x",
                    "version": "9.9.9",
                    "status": "closed",
                    "organization": "beta",
                    "name": "x",
                }
            )
            if method == "post" and path.endswith("/attachments"):
                upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
                response = client.post(url, {"file": upload})
            elif method in ("post", "patch", "put"):
                response = getattr(client, method)(url, body, content_type="application/json")
            else:
                response = getattr(client, method)(url)
            _assert_nothing_of_b(response, f"{method.upper()} {url}")
            if path.startswith("/api/v1/products"):
                # The product catalogue is the vendor's, not a tenant's: customers may not write it.
                assert method == "get" or response.status_code >= 400, f"{method.upper()} {url}"
            elif params and params <= VENDOR_PARAMS:
                # The vendor's own rota and policies: a customer is refused (a body that does
                # not even parse may be refused first, with 422).
                assert response.status_code in (403, 404, 405, 422), f"{method.upper()} {url}"
            elif params:
                assert response.status_code == 404, (
                    f"{method.upper()} {url} answered {response.status_code}"
                )
            if response["Content-Type"].startswith("application/") and response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json"
    assert _snapshot(world) == before, "an API request of A changed organization B's data"


def test_search_never_finds_organization_b(world, customer_a):
    token = factories.make_token(customer_a)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for url in (
        f"/api/v1/tickets?q={SECRET}",
        f"/api/v1/tickets?q={world['ticket_b'].number}",
        "/api/v1/tickets?organization=beta",
        "/api/v1/deployments?organization=beta",
        "/api/v1/contracts?organization=beta",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json()["items"] == [], url
    browser = Client()
    browser.force_login(customer_a)
    link = f"/tickets/{world['ticket_b'].number}/"
    for url in (f"/portal/?q={SECRET}", f"/portal/?q={world['ticket_b'].number}&queue=all"):
        response = browser.get(url)
        assert response.status_code == 200
        # The search box echoes the query; what must never appear is B's ticket.
        assert link not in response.content.decode(), url


def _snapshot(world):
    ticket = Ticket.objects.get(pk=world["ticket_b"].pk)
    return (
        ticket.status,
        ticket.severity,
        ticket.assignee_id,
        ticket.title,
        Comment.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        ticket.attachments.count(),
        world["deployment_b"].__class__.objects.get(pk=world["deployment_b"].pk).version,
        ApiToken.objects.get(pk=world["token_b"].pk).revoked_at,
        InboundMail.objects.get(pk=world["mail_b"].pk).status,
        world["advisory_b"].__class__.objects.get(pk=world["advisory_b"].pk).status,
        world["request_b"].__class__.objects.get(pk=world["request_b"].pk).status,
        Channel.objects.get(pk=world["channel_b"].pk).enabled,
        OutboxMessage.objects.get(pk=world["outbox_b"].pk).status,
        Incident.objects.get(pk=world["incident_b"].pk).status,
        Role.CUSTOMER_ADMIN,
    )
