import json

import pytest

from roadie.accounts.models import Role
from roadie.core.tests import factories

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def test_staff_creates_ticket_for_an_organization(api_as, agent, org_a):
    response = post(
        api_as(agent),
        "/api/v1/tickets",
        {
            "title": "推流中断",
            "description": "全部直播间黑屏",
            "severity": "urgent",
            "kind": "incident",
            "organization": "alpha",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("RD-")
    assert body["severity"] == "urgent" and body["status"] == "new"
    assert body["organization"] == "alpha"


def test_staff_must_name_the_organization(api_as, agent):
    response = post(
        api_as(agent),
        "/api/v1/tickets",
        {"title": "x", "description": "", "severity": "general", "kind": "question"},
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "organization"


def test_customer_files_for_own_organization_and_cannot_forge_another(api_as, customer_a, org_b):
    client = api_as(customer_a)
    ok = post(
        client,
        "/api/v1/tickets",
        {"title": "礼物不显示", "severity": "important", "kind": "defect"},
    )
    assert ok.status_code == 201 and ok.json()["organization"] == "alpha"
    forged = post(
        client,
        "/api/v1/tickets",
        {"title": "x", "severity": "general", "kind": "defect", "organization": "beta"},
    )
    assert forged.status_code == 422
    assert forged.json()["errors"][0]["field"] == "organization"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"title": "", "severity": "urgent"}, "title"),
        ({"title": "x" * 10_000_000, "severity": "urgent"}, "title"),
        ({"title": "ok", "severity": "catastrophic"}, "severity"),
    ],
)
def test_bad_ticket_input_is_a_problem_naming_the_field(api_as, customer_a, payload, field):
    response = post(api_as(customer_a), "/api/v1/tickets", payload)
    assert response.status_code in (413, 422)
    problem = response.json()
    assert problem["status"] == response.status_code
    if response.status_code == 422:
        assert field in [e["field"] for e in problem["errors"]]
    from roadie.tickets.models import Ticket

    assert Ticket.objects.count() == 0


def test_customer_cannot_assign(api_as, customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    response = patch(
        api_as(customer_a), f"/api/v1/tickets/{ticket.number}", {"assignee": agent.email}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_patch_status_severity_and_assignee(api_as, agent, customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    response = patch(
        api_as(agent),
        f"/api/v1/tickets/{ticket.number}",
        {"status": "open", "severity": "urgent", "assignee": agent.email},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["severity"], body["assignee"]) == ("open", "urgent", agent.email)


def test_customers_never_see_internal_notes(api_as, agent, customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    staff = api_as(agent)
    assert (
        post(
            staff,
            f"/api/v1/tickets/{ticket.number}/comments",
            {"body": "我们正在排查", "public": True},
        ).status_code
        == 201
    )
    assert (
        post(
            staff,
            f"/api/v1/tickets/{ticket.number}/comments",
            {"body": "内部：可能是 SRS 配置", "public": False},
        ).status_code
        == 201
    )
    bodies = [
        c["body"]
        for c in api_as(customer_a).get(f"/api/v1/tickets/{ticket.number}/comments").json()["items"]
    ]
    assert bodies == ["我们正在排查"]
    assert len(staff.get(f"/api/v1/tickets/{ticket.number}/comments").json()["items"]) == 2


def test_list_is_paginated_with_a_cursor(api_as, agent, customer_a):
    for i in range(7):
        factories.make_ticket(requester=customer_a, title=f"t{i}")
    client = api_as(agent)
    first = client.get("/api/v1/tickets?limit=5").json()
    assert len(first["items"]) == 5 and first["next"]
    second = client.get(f"/api/v1/tickets?limit=5&cursor={first['next']}").json()
    assert len(second["items"]) == 2 and second["next"] is None
    numbers = [t["number"] for t in first["items"] + second["items"]]
    assert len(set(numbers)) == 7


def test_revoked_token_is_refused(client, customer_a):
    from roadie.accounts.models import ApiToken
    from roadie.accounts.services import api_token_revoke

    plain = factories.make_token(customer_a)
    api_token_revoke(token=ApiToken.objects.get(user=customer_a), by=customer_a)
    response = client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_basic_auth_creates_a_token_shown_once(client, db):
    import base64

    user = factories.make_user(Role.AGENT, email="basic@vendor.example")
    creds = base64.b64encode(f"{user.email}:{factories.PASSWORD}".encode()).decode()
    response = client.post("/api/v1/tokens", HTTP_AUTHORIZATION=f"Basic {creds}")
    assert response.status_code == 201
    token = response.json()["token"]
    me = client.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.json()["email"] == user.email
    from roadie.accounts.models import ApiToken

    assert token not in [t.token_hash for t in ApiToken.objects.all()]


def test_contract_api_shapes(api_as, admin_user):
    client = api_as(admin_user)
    org = post(client, "/api/v1/organizations", {"name": "丙公司", "slug": "gamma"})
    assert org.status_code == 201 and set(org.json()) >= {"id", "name", "slug"}
    contract = post(
        client,
        "/api/v1/contracts",
        {
            "organization": "gamma",
            "tier": "standard",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert contract.status_code == 201 and "id" in contract.json()
    bad = post(
        client,
        "/api/v1/contracts",
        {
            "organization": "gamma",
            "tier": "standard",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert bad.status_code == 422
    user = post(
        client,
        "/api/v1/users",
        {
            "email": "ops@gamma.example",
            "name": "运维",
            "password": "Very-long-pw-123",
            "role": "customer_member",
            "organization": "gamma",
        },
    )
    assert user.status_code == 201
    product = post(client, "/api/v1/products", {"slug": "live", "name": "直播系统"})
    assert product.status_code == 201
    deployment = post(
        client,
        "/api/v1/deployments",
        {
            "organization": "gamma",
            "product": "live",
            "version": "3.2.0",
            "environment": "production",
        },
    )
    assert deployment.status_code == 201 and "id" in deployment.json()
    bad_version = patch(client, f"/api/v1/deployments/{deployment.json()['id']}", {"version": "v3"})
    assert bad_version.status_code == 422


def test_an_organization_with_a_chinese_name_needs_a_slug(api_as, admin_user):
    response = post(api_as(admin_user), "/api/v1/organizations", {"name": "星河直播"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "slug"
    from roadie.customers.models import Organization

    assert not Organization.objects.filter(name="星河直播").exists()
