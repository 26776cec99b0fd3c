"""OSV export validates against the (vendored) OSV 1.6 schema; OSV import makes a draft."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from roadie.core.tests import factories
from roadie.releases import osv, services
from roadie.releases.errors import InvalidCvss, InvalidOsv, UnknownProduct
from roadie.releases.models import Advisory, Event
from roadie.releases.services import RangeSpec
from roadie.releases.tests.factories import HIGH_V40, make_deployment, make_release

pytestmark = pytest.mark.django_db

SCHEMA = json.loads((Path(__file__).parent / "osv_schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _errors(document):
    return [e.message for e in VALIDATOR.iter_errors(document)]


@pytest.fixture
def advisory(product, engineer, org_a):
    other = factories.make_product("live-admin")
    make_deployment(org_a, product, "2.4.1")
    make_release(product, "2.4.3", by=engineer)
    created = services.advisory_create(
        by=engineer,
        title="礼物接口越权 Gift API privilege escalation",
        description="攻击者可以**伪造**礼物订单。",
        workarounds="在网关限制 /api/gift 的来源。",
        cvss_vector=HIGH_V40,
        affected=[
            RangeSpec("live-pro", "0", "2.4.3"),
            RangeSpec("live-pro", "3.0.0-rc.1", ""),
            RangeSpec(other.slug, "1.2.0", last_affected="1.4.7"),
        ],
        aliases=["CVE-2026-31337"],
        references=[{"type": "FIX", "url": "https://git.example.cn/live/commit/abc123"}],
        credits=[{"name": "张三", "contact": ["mailto:z@example.cn"], "type": "FINDER"}],
        at=T0,
    )
    return services.advisory_publish(advisory=created, by=engineer, at=T0)


def test_export_validates_against_the_osv_schema(advisory):
    document = osv.advisory_to_osv(advisory)
    assert _errors(document) == []
    assert document["id"] == advisory.identifier and document["schema_version"] == "1.6.0"
    assert document["published"] == "2026-06-01T02:00:00Z"
    assert document["severity"] == [{"type": "CVSS_V4", "score": HIGH_V40}]
    live = next(a for a in document["affected"] if a["package"]["name"] == "live-pro")
    assert live["ranges"] == [
        {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.4.3"}]},
        {"type": "SEMVER", "events": [{"introduced": "3.0.0-rc.1"}]},
    ]
    admin = next(a for a in document["affected"] if a["package"]["name"] == "live-admin")
    assert admin["ranges"][0]["events"] == [{"introduced": "1.2.0"}, {"last_affected": "1.4.7"}]
    assert document["database_specific"]["fixed_releases"] == ["live-pro 2.4.3"]
    assert "## Workarounds" in document["details"]


def test_a_draft_exports_without_published_and_still_validates(product, engineer):
    draft = services.advisory_create(
        by=engineer,
        title="x",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        affected=[RangeSpec(product.slug)],
    )
    document = osv.advisory_to_osv(draft)
    assert "published" not in document and _errors(document) == []


def test_the_schema_catches_what_osv_forbids(advisory):
    """The vendored schema is not a rubber stamp."""
    document = osv.advisory_to_osv(advisory)
    assert document["affected"][1]["package"]["name"] == "live-pro"  # sorted by slug
    for mutate in (
        lambda d: d.pop("modified"),
        lambda d: d.__setitem__("modified", "2026-06-01 02:00:00"),
        lambda d: d["affected"][1]["ranges"][0]["events"].__setitem__(1, {"fixed": "v2.4.3"}),
        lambda d: d["affected"][1]["ranges"][0]["events"].append({"last_affected": "2.4.2"}),
        lambda d: d["severity"][0].__setitem__("score", "CVSS:3.1/AV:N"),
        lambda d: d.__setitem__("kind", "extra"),
        lambda d: d["references"].append({"type": "BLOG", "url": "https://x.example"}),
    ):
        broken = copy.deepcopy(document)
        mutate(broken)
        assert _errors(broken), mutate


def test_import_round_trips_an_export_as_a_draft(advisory, engineer):
    document = osv.advisory_to_osv(advisory)
    imported = services.advisory_import_osv(document=document, by=engineer)
    assert imported.status == Advisory.Status.DRAFT
    assert imported.identifier != advisory.identifier
    assert advisory.identifier in imported.aliases and "CVE-2026-31337" in imported.aliases
    assert imported.cvss_vector == advisory.cvss_vector
    ranges = sorted(
        (r.product.slug, r.introduced, r.fixed, r.last_affected) for r in imported.ranges.all()
    )
    assert ranges == [
        ("live-admin", "1.2.0", "", "1.4.7"),
        ("live-pro", "0", "2.4.3", ""),
        ("live-pro", "3.0.0-rc.1", "", ""),
    ]
    assert imported.credits == [
        {"name": "张三", "contact": ["mailto:z@example.cn"], "type": "FINDER"}
    ]
    assert Event.objects.filter(kind=Event.Kind.ADVISORY_IMPORTED, advisory=imported).exists()
    assert _errors(osv.advisory_to_osv(imported)) == []


def _doc(**changes):
    document = {
        "schema_version": "1.6.0",
        "id": "GHSA-abcd-efgh-ijkl",
        "modified": "2026-05-01T00:00:00Z",
        "summary": "SRS 推流服务拒绝服务",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "Roadie", "name": "live-pro"},
                "ranges": [
                    {"type": "SEMVER", "events": [{"introduced": "2.0.0"}, {"fixed": "2.4.3"}]}
                ],
            }
        ],
    }
    document.update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "error", "field"),
    [
        ([], InvalidOsv, "document"),
        (_doc(id=""), InvalidOsv, "id"),
        (_doc(severity=[]), InvalidOsv, "severity"),
        (_doc(severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}]), InvalidCvss, "severity"),
        (_doc(affected=[]), InvalidOsv, "affected"),
        (
            _doc(
                affected=[
                    {
                        "package": {"ecosystem": "npm", "name": "left-pad"},
                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                    }
                ]
            ),
            UnknownProduct,
            "affected.0.package.name",
        ),
        (
            _doc(
                affected=[
                    {
                        "package": {"ecosystem": "Roadie", "name": "live-pro"},
                        "ranges": [{"type": "GIT", "repo": "x", "events": [{"introduced": "0"}]}],
                    }
                ]
            ),
            InvalidOsv,
            "affected.0.ranges.0.type",
        ),
        (
            _doc(
                affected=[
                    {
                        "package": {"ecosystem": "Roadie", "name": "live-pro"},
                        "ranges": [
                            {
                                "type": "SEMVER",
                                "events": [{"introduced": "2.5.0"}, {"fixed": "2.4.0"}],
                            }
                        ],
                    }
                ]
            ),
            Exception,
            "affected.0.ranges.0.fixed",
        ),
    ],
)
def test_import_refuses_bad_documents_naming_the_path(product, engineer, document, error, field):
    with pytest.raises(error) as raised:
        services.advisory_import_osv(document=document, by=engineer)
    assert raised.value.field == field
    assert not Advisory.objects.exists()
