"""The API shapes of issue #6, exactly; bad input as problem bodies naming the field."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from roadie.notifications.models import OutboxMessage
from roadie.releases import services
from roadie.releases.models import Advisory, AdvisoryNotice, Artifact, Release
from roadie.releases.tests.factories import (
    CRITICAL_V31,
    make_advisory,
    make_deployment,
    make_release,
)
from roadie.releases.tests.test_osv import SCHEMA

pytestmark = pytest.mark.django_db


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def problem_field(response):
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()["errors"][0]["field"]


@pytest.fixture
def staff(api_as, engineer):
    return api_as(engineer)


@pytest.fixture
def deployments(product, org_a, org_b):
    return {
        "a_old": make_deployment(org_a, product, "2.4.1"),
        "a_rc": make_deployment(org_a, product, "2.4.3-rc.1"),
        "a_new": make_deployment(org_a, product, "2.4.3"),
        "b_old": make_deployment(org_b, product, "1.0.0"),
    }


def test_post_release_derives_the_kind(staff, product):
    first = post(
        staff, "/api/v1/releases", {"product": "live-pro", "version": "2.4.0", "notes": "首个版本"}
    )
    assert first.status_code == 201, first.content
    assert first.json()["version"] == "2.4.0" and first.json()["kind"] == "major"
    response = post(
        staff, "/api/v1/releases", {"product": "live-pro", "version": "2.4.1", "notes": "修复推流"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["kind"], body["product"], body["notes"]) == (
        "2.4.1",
        "patch",
        "live-pro",
        "修复推流",
    )
    minor = post(
        staff, "/api/v1/releases", {"product": "live-pro", "version": "2.5.0", "notes": ""}
    )
    assert minor.json()["kind"] == "minor"
    override = post(
        staff,
        "/api/v1/releases",
        {
            "product": "live-pro",
            "version": "2.6.0",
            "notes": "",
            "kind": "patch",
            "kind_reason": "Only fixes.",
        },
    )
    assert (override.json()["kind"], override.json()["derived_kind"]) == ("patch", "minor")


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"product": "live-pro", "version": "2.4", "notes": ""}, 422, "version"),
        ({"product": "live-pro", "version": "v2.4.1", "notes": ""}, 422, "version"),
        ({"product": "nope", "version": "2.4.1", "notes": ""}, 422, "product"),
        ({"product": "live-pro", "version": "2.4.2", "kind": "minor"}, 422, "kind_reason"),
        ({"product": "live-pro", "notes": ""}, 422, "version"),
    ],
)
def test_bad_release_input_is_a_problem_naming_the_field(staff, product, payload, status, field):
    make_release(product, "2.4.1")
    response = post(staff, "/api/v1/releases", payload)
    assert response.status_code == status
    assert problem_field(response) == field
    assert Release.objects.count() == 1


def test_duplicate_release_is_a_conflict(staff, product):
    make_release(product, "2.4.1")
    response = post(
        staff, "/api/v1/releases", {"product": "live-pro", "version": "2.4.1", "notes": ""}
    )
    assert response.status_code == 409 and problem_field(response) == "version"
    assert response.json()["code"] == "duplicate_release"


def test_customers_cannot_write_releases_or_advisories(api_as, customer_a, product):
    client = api_as(customer_a)
    assert (
        post(client, "/api/v1/releases", {"product": "live-pro", "version": "1.0.0"}).status_code
        == 403
    )
    response = post(
        client,
        "/api/v1/advisories",
        {"title": "x", "cvss_vector": CRITICAL_V31, "affected": [{"product": "live-pro"}]},
    )
    assert response.status_code == 403
    assert not Release.objects.exists() and not Advisory.objects.exists()


def test_artifact_upload_checks_the_declared_sha256(staff, product):
    release = make_release(product, "2.5.0")
    data = b"\x1f\x8b" + b"live" * 500
    url = f"/api/v1/releases/{release.pk}/artifacts"
    bad = staff.post(url, {"file": SimpleUploadedFile("live.tgz", data), "sha256": "f" * 64})
    assert bad.status_code == 422 and problem_field(bad) == "sha256"
    assert bad.json()["code"] == "checksum_mismatch"
    assert not Artifact.objects.exists()
    ok = staff.post(
        url,
        {"file": SimpleUploadedFile("live.tgz", data), "sha256": hashlib.sha256(data).hexdigest()},
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["sha256"] == hashlib.sha256(data).hexdigest() and ok.json()["size"] == len(
        data
    )
    link = staff.post(url, {"url": "https://cdn.example.cn/live.tgz", "sha256": "a" * 64})
    assert link.status_code == 201 and link.json()["link"] == "https://cdn.example.cn/live.tgz"
    staff.get(ok.json()["download"])  # staff may download
    Artifact.objects.get(pk=ok.json()["id"]).file.delete(save=False)


def test_post_advisory_shape_and_id(staff, product):
    response = post(
        staff,
        "/api/v1/advisories",
        {
            "title": "推流鉴权绕过",
            "description": "未校验 **stream key**",
            "cvss_vector": CRITICAL_V31,
            "affected": [
                {"product": "live-pro", "introduced": "0", "fixed": "2.4.3"},
                {"product": "live-pro", "introduced": "3.0.0"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    year = datetime.now(UTC).year
    assert body["id"].startswith(f"RDSA-{year}-") and len(body["id"]) == len("RDSA-2026-0001")
    assert (body["cvss_score"], body["severity"], body["status"]) == (9.8, "critical", "draft")
    assert body["affected"] == [
        {"product": "live-pro", "introduced": "0", "fixed": "2.4.3", "last_affected": None},
        {"product": "live-pro", "introduced": "3.0.0", "fixed": None, "last_affected": None},
    ]


@pytest.mark.parametrize(
    ("affected", "vector", "field"),
    [
        (
            [{"product": "live-pro", "introduced": "2.4.3", "fixed": "2.4.1"}],
            CRITICAL_V31,
            "affected.0.fixed",
        ),
        (
            [{"product": "live-pro", "introduced": "2.x", "fixed": "2.4.1"}],
            CRITICAL_V31,
            "affected.0.introduced",
        ),
        ([{"product": "live-pro", "fixed": "2.4"}], CRITICAL_V31, "affected.0.fixed"),
        ([{"product": "live-pro"}], "CVSS:3.1/AV:N/AC:L/PR:N/UI:N", "cvss_vector"),
        ([{"product": "live-pro"}], "not a vector", "cvss_vector"),
        ([{"product": "ghost"}], CRITICAL_V31, "affected.0.product"),
        ([{"introduced": "0"}], CRITICAL_V31, "affected.0.product"),
    ],
)
def test_bad_advisory_input_is_a_problem_naming_the_field(staff, product, affected, vector, field):
    response = post(
        staff, "/api/v1/advisories", {"title": "x", "cvss_vector": vector, "affected": affected}
    )
    assert response.status_code == 422, response.content
    assert problem_field(response) == field
    assert not Advisory.objects.exists()


def test_publish_then_affected_lists_exactly_the_installed_versions_in_range(
    staff, product, deployments, api_as, customer_a, customer_b
):
    advisory = make_advisory(product, "0", "2.4.3")
    response = post(staff, f"/api/v1/advisories/{advisory.identifier}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published" and response.json()["published_at"]
    affected = staff.get(f"/api/v1/advisories/{advisory.identifier}/affected")
    assert affected.status_code == 200
    items = affected.json()["items"]
    assert {(i["deployment"], i["organization"], i["version"]) for i in items} == {
        (deployments["a_old"].pk, "alpha", "2.4.1"),
        (deployments["a_rc"].pk, "alpha", "2.4.3-rc.1"),
        (deployments["b_old"].pk, "beta", "1.0.0"),
    }
    # A customer sees only its own deployments.
    mine = api_as(customer_a).get(f"/api/v1/advisories/{advisory.identifier}/affected").json()
    assert {i["organization"] for i in mine["items"]} == {"alpha"} and len(mine["items"]) == 2
    again = post(staff, f"/api/v1/advisories/{advisory.identifier}/publish")
    assert again.status_code == 409


def test_customers_get_404_for_drafts_and_embargoed(
    staff, product, deployments, api_as, customer_a
):
    draft = make_advisory(product, "0", "2.4.3")
    embargoed = make_advisory(product, "0", "2.4.3")
    post(
        staff,
        f"/api/v1/advisories/{embargoed.identifier}/embargo",
        {"embargo_until": (datetime.now(UTC) + timedelta(days=5)).isoformat()},
    )
    client = api_as(customer_a)
    for advisory in (draft, embargoed):
        for suffix in ("", "/affected", "/osv", "/notices"):
            response = client.get(f"/api/v1/advisories/{advisory.identifier}{suffix}")
            assert response.status_code == 404, suffix
            assert response["Content-Type"] == "application/problem+json"
        assert post(client, f"/api/v1/advisories/{advisory.identifier}/publish").status_code == 404
    assert client.get("/api/v1/advisories").json()["items"] == []
    assert staff.get(f"/api/v1/advisories/{embargoed.identifier}").json()["status"] == "embargoed"


def test_embargo_until_hides_it_from_unaffected_customers_and_the_feed(
    staff, product, deployments, api_as, customer_a, customer_b, org_b
):
    deployments["b_old"].delete()  # beta is not affected
    advisory = make_advisory(product, "0", "2.4.3")
    lift = datetime.now(UTC) + timedelta(days=2)
    post(
        staff,
        f"/api/v1/advisories/{advisory.identifier}/publish",
        {"embargo_until": lift.isoformat()},
    )
    assert api_as(customer_a).get(f"/api/v1/advisories/{advisory.identifier}").status_code == 200
    assert api_as(customer_b).get(f"/api/v1/advisories/{advisory.identifier}").status_code == 404
    assert Client().get("/api/v1/advisories/feed.json").json() == {"vulns": []}
    Advisory.objects.filter(pk=advisory.pk).update(
        embargo_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    assert api_as(customer_b).get(f"/api/v1/advisories/{advisory.identifier}").status_code == 200
    feed = Client().get("/api/v1/advisories/feed.json")
    assert feed.status_code == 200
    (vuln,) = feed.json()["vulns"]
    assert vuln["id"] == advisory.identifier
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(vuln)) == []


def test_osv_endpoint_returns_a_valid_document(staff, product):
    advisory = make_advisory(product, "0", "2.4.3")
    response = staff.get(f"/api/v1/advisories/{advisory.identifier}/osv")
    assert response.status_code == 200
    document = response.json()
    assert document["id"] == advisory.identifier
    assert list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)) == []


def test_import_osv_makes_a_draft(staff, product):
    document = {
        "id": "GHSA-1234-5678-9abc",
        "modified": "2026-05-01T00:00:00Z",
        "summary": "Chat XSS",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}],
        "affected": [
            {
                "package": {"ecosystem": "Roadie", "name": "live-pro"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.4.3"}]}],
            }
        ],
    }
    response = post(staff, "/api/v1/advisories/import-osv", document)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["aliases"] == ["GHSA-1234-5678-9abc"]
    assert body["severity"] == "medium"
    bad = post(staff, "/api/v1/advisories/import-osv", {**document, "severity": []})
    assert bad.status_code == 422 and problem_field(bad) == "severity"


def test_acknowledge_and_the_upgrade_through_patch_deployments(
    staff, product, deployments, api_as, customer_a, org_a
):
    advisory = make_advisory(product, "0", "2.4.3")
    services.advisory_publish(advisory=advisory, by=advisory.created_by)
    client = api_as(customer_a)
    ack = post(client, f"/api/v1/advisories/{advisory.identifier}/acknowledge")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    notices = client.get(f"/api/v1/advisories/{advisory.identifier}/notices").json()["items"]
    assert [n["organization"] for n in notices] == ["alpha"]
    for key in ("a_old", "a_rc"):
        response = patch(client, f"/api/v1/deployments/{deployments[key].pk}", {"version": "2.4.3"})
        assert response.status_code == 200
    services.advisory_notices_recheck()  # what the periodic task runs
    assert AdvisoryNotice.objects.get(organization=org_a).status == "upgraded"


def test_entitlement_check_and_a_refusal_with_its_reason(staff, product, api_as, customer_a, org_a):
    make_deployment(org_a, product, "2.4.1")
    make_release(product, "2.4.1")
    major = make_release(product, "3.0.0")
    client = api_as(customer_a)
    check = client.get(f"/api/v1/releases/{major.pk}/entitlement")
    assert check.status_code == 200
    assert (check.json()["allowed"], check.json()["reason"], check.json()["cost"]) == (
        False,
        "paid",
        "paid",
    )
    refused = post(client, f"/api/v1/releases/{major.pk}/requests", {"note": "升级到 3.0"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_entitled" and refused.json()["reason"] == "paid"
    quote = post(client, f"/api/v1/releases/{major.pk}/quote", {"note": ""})
    assert quote.status_code == 201 and quote.json()["ticket"].startswith("RD-")
    download = client.get(f"/api/v1/releases/{major.pk}/artifacts/999")
    assert download.status_code == 404
    staff_view = staff.get(f"/api/v1/releases/{major.pk}/entitlement?organization=alpha")
    assert staff_view.json()["reason"] == "paid"


def test_update_request_flow_over_the_api(staff, product, api_as, customer_a, org_a):
    make_deployment(org_a, product, "2.4.1")
    make_release(product, "2.4.1")
    patch_release = make_release(product, "2.4.2")
    client = api_as(customer_a)
    created = post(client, f"/api/v1/releases/{patch_release.pk}/requests", {"note": ""})
    assert created.status_code == 201 and created.json()["status"] == "requested"
    request_id = created.json()["id"]
    assert post(client, f"/api/v1/update-requests/{request_id}/approve").status_code == 403
    approved = post(staff, f"/api/v1/update-requests/{request_id}/approve", {"note": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert client.get("/api/v1/update-requests").json()["items"][0]["id"] == request_id


def test_contract_entitlement_get_and_put(api_as, manager, org_a, customer_a):
    contract = org_a.contracts.get()
    client = api_as(manager)
    default = client.get(f"/api/v1/contracts/{contract.pk}/entitlement").json()
    assert default["default"] is True and default["minor_allowance_per_year"] == 2
    response = put(
        client,
        f"/api/v1/contracts/{contract.pk}/entitlement",
        {
            "patch_cost": "free",
            "minor_cost": "free",
            "minor_allowance_per_year": 0,
            "major_cost": "paid",
            "delivery_mode": "push",
        },
    )
    assert response.status_code == 200 and response.json()["delivery_mode"] == "push"
    bad = put(client, f"/api/v1/contracts/{contract.pk}/entitlement", {"major_cost": "cheap"})
    assert bad.status_code == 422 and problem_field(bad) == "major_cost"
    assert (
        put(api_as(customer_a), f"/api/v1/contracts/{contract.pk}/entitlement", {}).status_code
        == 403
    )


def test_publish_queues_mail_only_for_affected_organizations(
    staff, product, deployments, customer_a, customer_b
):
    deployments["b_old"].delete()
    advisory = make_advisory(product, "0", "2.4.3")
    OutboxMessage.objects.all().delete()
    post(staff, f"/api/v1/advisories/{advisory.identifier}/publish")
    assert set(OutboxMessage.objects.values_list("recipient", flat=True)) == {customer_a.email}


def test_patch_advisory_changes_only_what_is_given(staff, product, api_as, customer_a):
    advisory = make_advisory(product, "0", "2.4.3")
    response = patch(
        staff, f"/api/v1/advisories/{advisory.identifier}", {"workarounds": "关闭匿名推流"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["workarounds"] == "关闭匿名推流" and body["title"] == advisory.title
    assert body["affected"][0]["fixed"] == "2.4.3"
    bad = patch(staff, f"/api/v1/advisories/{advisory.identifier}", {"cvss_vector": "CVSS:3.1/x"})
    assert bad.status_code == 422 and problem_field(bad) == "cvss_vector"
    denied = patch(api_as(customer_a), f"/api/v1/advisories/{advisory.identifier}", {"title": "x"})
    assert denied.status_code == 404


def test_actions_take_an_optional_body(staff, product, deployments):
    advisory = make_advisory(product, "0", "2.4.3")
    bad = post(
        staff, f"/api/v1/advisories/{advisory.identifier}/publish", {"embargo_until": "soon"}
    )
    assert bad.status_code == 422 and problem_field(bad) == "embargo_until"
    assert Advisory.objects.get().status == "draft" and not AdvisoryNotice.objects.exists()
    # No body at all (a bare POST), and a lower-case identifier.
    response = staff.post(f"/api/v1/advisories/{advisory.identifier.lower()}/publish")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == advisory.identifier
    schema = staff.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/advisories/{advisory_id}/publish"]["post"]["requestBody"]
    assert "embargo_until" in json.dumps(body)
