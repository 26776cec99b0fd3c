"""Console and portal pages of releases and advisories, through the test client."""

import hashlib
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.releases import services
from roadie.releases.models import Advisory, AdvisoryNotice, Artifact, Release, UpdateRequest
from roadie.releases.tests.factories import (
    CRITICAL_V31,
    make_advisory,
    make_deployment,
    make_release,
)
from roadie.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(product, engineer, org_a, org_b):
    make_deployment(org_a, product, "2.4.1")
    make_deployment(org_b, product, "2.5.0")
    releases = {
        v: make_release(
            product,
            v,
            by=engineer,
            released_on=date(2026, 1, 10),
            upgrade_guide=f"升级到 {v}：运行迁移",
        )
        for v in ("2.4.1", "2.4.2", "2.5.0", "3.0.0")
    }
    return releases


# Console --------------------------------------------------------------------------------------


def test_console_pages_render_for_staff(
    world, engineer, product, org_a, django_assert_max_num_queries
):
    advisory = make_advisory(product, "0", "2.4.2", by=engineer)
    client = client_for(engineer)
    for name, args in (
        ("console:releases", []),
        ("console:release_new", []),
        ("console:release", [world["2.4.2"].pk]),
        ("console:releases_behind", []),
        ("console:update_requests", []),
        ("console:advisories", []),
        ("console:advisory_new", []),
        ("console:advisory_import", []),
        ("console:advisory", [advisory.identifier]),
        ("console:advisory_edit", [advisory.identifier]),
        ("console:entitlement", [org_a.contracts.get().pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    with django_assert_max_num_queries(12):
        client.get(reverse("console:releases_behind"))


def test_console_is_hidden_from_customers(world, customer_a):
    client = client_for(customer_a)
    assert client.get(reverse("console:releases")).status_code == 404
    assert client.get(reverse("console:advisories")).status_code == 404


def test_behind_view_shows_who_runs_what_and_how_far_behind(world, engineer):
    response = client_for(engineer).get(reverse("console:releases_behind") + "?product=live-pro")
    html = response.content.decode()
    assert "甲公司 Alpha Live" in html and "2.4.1" in html
    rows = {row.deployment.organization.slug: row for row in response.context["rows"]}
    assert [r.version for r in rows["alpha"].behind] == ["2.4.2", "2.5.0", "3.0.0"]
    assert rows["alpha"].distance == "major" and rows["beta"].count == 1


def test_new_release_form_derives_the_kind(world, engineer):
    response = client_for(engineer).post(
        reverse("console:release_new"),
        {"product": "live-pro", "version": "3.0.1", "channel": "stable", "notes": "修复"},
    )
    release = Release.objects.get(version="3.0.1")
    assert response.status_code == 302 and release.kind == "patch"
    bad = client_for(engineer).post(
        reverse("console:release_new"),
        {"product": "live-pro", "version": "3.0", "channel": "stable"},
    )
    assert bad.status_code == 200 and "version" in bad.context["form"].errors


def test_artifact_form_refuses_a_wrong_checksum(world, engineer):
    release = world["2.5.0"]
    url = reverse("console:release_artifact_add", args=[release.pk])
    data = b"payload" * 10
    response = client_for(engineer).post(
        url, {"file": SimpleUploadedFile("live.zip", data), "sha256": "0" * 64}
    )
    assert response.status_code == 422 and not Artifact.objects.exists()
    ok = client_for(engineer).post(
        url,
        {"file": SimpleUploadedFile("live.zip", data), "sha256": hashlib.sha256(data).hexdigest()},
    )
    assert ok.status_code == 302
    artifact = Artifact.objects.get()
    download = client_for(engineer).get(
        reverse("console:release_artifact", args=[release.pk, artifact.pk])
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == data
    artifact.file.delete(save=False)


def test_advisory_form_creates_and_reports_range_errors(world, engineer):
    client = client_for(engineer)
    form = {
        "title": "弹幕 XSS",
        "cvss_vector": CRITICAL_V31,
        "description": "",
        "workarounds": "",
        "aliases": "CVE-2026-1",
        "references": "FIX https://git.example.cn/fix/1",
        "credits": "李四",
        "affected-TOTAL_FORMS": "2",
        "affected-INITIAL_FORMS": "0",
        "affected-0-product": "live-pro",
        "affected-0-introduced": "2.5.0",
        "affected-0-fixed": "2.4.0",
        "affected-1-product": "",
    }
    bad = client.post(reverse("console:advisory_new"), form)
    assert bad.status_code == 422 and not Advisory.objects.exists()
    assert "2.4.0" in bad.content.decode()
    form["affected-0-fixed"] = "2.5.1"
    ok = client.post(reverse("console:advisory_new"), form)
    advisory = Advisory.objects.get()
    assert ok.status_code == 302 and advisory.aliases == ["CVE-2026-1"]
    assert advisory.references == [{"type": "FIX", "url": "https://git.example.cn/fix/1"}]


def test_publish_from_the_console_notifies(world, engineer, product, org_b):
    advisory = make_advisory(product, "2.5.0", "2.5.1", by=engineer)
    client = client_for(engineer)
    response = client.post(reverse("console:advisory_publish", args=[advisory.identifier]), {})
    assert response.status_code == 302
    advisory.refresh_from_db()
    assert advisory.status == "published"
    assert list(AdvisoryNotice.objects.values_list("organization__slug", flat=True)) == ["beta"]
    page = client.get(reverse("console:advisory", args=[advisory.identifier]))
    assert "乙公司 Beta Stream" in page.content.decode()


def test_console_import_makes_a_draft(world, engineer):
    document = (
        '{"id": "OSV-2026-1", "modified": "2026-05-01T00:00:00Z", "severity": [{"type": "CVSS_V3",'
        f' "score": "{CRITICAL_V31}"}}], "affected": [{{"package": {{"ecosystem": "Roadie", "name":'
        ' "live-pro"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}'
    )
    response = client_for(engineer).post(reverse("console:advisory_import"), {"document": document})
    assert response.status_code == 302
    assert Advisory.objects.get().aliases == ["OSV-2026-1"]
    bad = client_for(engineer).post(reverse("console:advisory_import"), {"document": "{"})
    assert bad.status_code == 200 and Advisory.objects.count() == 1


def test_update_requests_are_decided_in_the_console(world, engineer, customer_a):
    request = services.update_request_create(release=world["2.4.2"], by=customer_a)
    client = client_for(engineer)
    page = client.get(reverse("console:update_requests"))
    assert "甲公司 Alpha Live" in page.content.decode()
    client.post(reverse("console:update_request_approve", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == "approved"


def test_entitlement_form_saves(world, manager, org_a):
    contract = org_a.contracts.get()
    response = client_for(manager).post(
        reverse("console:entitlement", args=[contract.pk]),
        {
            "patch_cost": "free",
            "minor_cost": "free",
            "minor_allowance_per_year": "4",
            "major_cost": "paid",
            "delivery_mode": "push",
            "support_until": "",
        },
    )
    assert response.status_code == 302
    assert contract.entitlement.minor_allowance_per_year == 4


# Portal ---------------------------------------------------------------------------------------


def test_portal_shows_affecting_advisories_first_then_the_upgrade_path(
    world, engineer, product, customer_a, django_assert_max_num_queries
):
    advisory = make_advisory(product, "0", "2.4.2", by=engineer, title="推流鉴权绕过")
    services.advisory_publish(advisory=advisory, by=engineer)
    client = client_for(customer_a)
    response = client.get(reverse("portal:releases"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(advisory.identifier) < html.index("2.5.0")
    assert "升级到 2.4.2：运行迁移" in html  # the upgrade guide of each step
    (path,) = response.context["paths"]
    assert [s.release.version for s in path["steps"]] == ["2.4.2", "2.5.0", "3.0.0"]
    assert [s.entitlement.cost for s in path["steps"]] == ["free", "allowance", "paid"]
    with django_assert_max_num_queries(40):
        client.get(reverse("portal:releases"))


def test_portal_never_shows_a_draft_or_embargoed_advisory(world, engineer, product, customer_a):
    draft = make_advisory(product, "0", "2.4.2", by=engineer, title="DRAFT-SECRET")
    client = client_for(customer_a)
    assert client.get(reverse("portal:advisory", args=[draft.identifier])).status_code == 404
    services.advisory_embargo(advisory=draft, by=engineer, embargo_until=None)
    assert client.get(reverse("portal:advisory", args=[draft.identifier])).status_code == 404
    assert "DRAFT-SECRET" not in client.get(reverse("portal:releases")).content.decode()
    assert "DRAFT-SECRET" not in client.get(reverse("portal:advisories")).content.decode()


def test_portal_acknowledge_and_report_the_upgrade(world, engineer, product, customer_a, org_a):
    advisory = make_advisory(product, "0", "2.4.2", by=engineer)
    services.advisory_publish(advisory=advisory, by=engineer)
    client = client_for(customer_a)
    page = client.get(reverse("portal:advisory", args=[advisory.identifier]))
    assert "2.4.1" in page.content.decode()
    client.post(reverse("portal:advisory_acknowledge", args=[advisory.identifier]))
    assert AdvisoryNotice.objects.get().status == "acknowledged"
    deployment = org_a.deployments.get()
    response = client.post(
        reverse("portal:deployment_version", args=[deployment.pk]), {"version": "2.4.2"}
    )
    assert response.status_code == 302
    assert AdvisoryNotice.objects.get().status == "upgraded"


def test_portal_release_request_download_and_quote(world, customer_a, engineer):
    release = world["2.4.2"]
    services.artifact_add_link(
        release=release, by=engineer, url="https://cdn.example.cn/2.4.2.tgz", sha256="b" * 64
    )
    artifact = release.artifacts.get()
    client = client_for(customer_a)
    refused = client.get(reverse("portal:release_artifact", args=[release.pk, artifact.pk]))
    assert refused.status_code == 403  # not requested yet: says why
    client.post(reverse("portal:release_request", args=[release.pk]), {"note": "请批准"})
    services.update_request_approve(request=UpdateRequest.objects.get(), by=engineer)
    granted = client.get(reverse("portal:release_artifact", args=[release.pk, artifact.pk]))
    assert granted.status_code == 302 and granted["Location"] == "https://cdn.example.cn/2.4.2.tgz"
    major = world["3.0.0"]
    page = client.get(reverse("portal:release", args=[major.pk]))
    assert reverse("portal:release_quote", args=[major.pk]) in page.content.decode()
    quote = client.post(reverse("portal:release_quote", args=[major.pk]), {"note": ""})
    ticket = Ticket.objects.get()
    assert quote.status_code == 302 and ticket.kind == "change_request"


def test_portal_hides_releases_of_products_the_customer_does_not_run(world, customer_a):
    other = factories.make_product("other")
    hidden = make_release(other, "1.0.0")
    client = client_for(customer_a)
    assert client.get(reverse("portal:release", args=[hidden.pk])).status_code == 404
    member = factories.make_user(Role.CUSTOMER_MEMBER, customer_a.organization)
    deployment = customer_a.organization.deployments.get()
    response = client_for(member).post(
        reverse("portal:deployment_version", args=[deployment.pk]), {"version": "9.9.9"}
    )
    assert response.status_code == 403
