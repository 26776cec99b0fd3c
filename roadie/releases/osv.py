"""OSV (schema 1.6) export of an advisory, and the parsing of an OSV document to import.

Each product is an OSV package of the ecosystem ECOSYSTEM named by the product's slug; its ranges
are SEMVER ranges. Import reads SEMVER and ECOSYSTEM ranges of packages whose name is a product
slug; the document's own id is kept as an alias of the new RDSA id.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from roadie.releases.errors import InvalidOsv
from roadie.releases.models import Advisory, AffectedRange

SCHEMA_VERSION = "1.6.0"
ECOSYSTEM = "Roadie"
REFERENCE_TYPES = frozenset(
    {
        "ADVISORY",
        "ARTICLE",
        "DETECTION",
        "DISCUSSION",
        "REPORT",
        "FIX",
        "INTRODUCED",
        "GIT",
        "PACKAGE",
        "EVIDENCE",
        "WEB",
    }
)
CREDIT_TYPES = frozenset(
    {
        "FINDER",
        "REPORTER",
        "ANALYST",
        "COORDINATOR",
        "REMEDIATION_DEVELOPER",
        "REMEDIATION_REVIEWER",
        "REMEDIATION_VERIFIER",
        "TOOL",
        "SPONSOR",
        "OTHER",
    }
)


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, as OSV requires."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _details(advisory: Advisory) -> str:
    details = advisory.description.strip()
    if advisory.workarounds.strip():
        details += "\n\n## " + "Workarounds" + "\n\n" + advisory.workarounds.strip()
    return details


def _ranges(ranges: list[AffectedRange]) -> list[dict[str, Any]]:
    out = []
    for item in ranges:
        events: list[dict[str, str]] = [{"introduced": item.introduced or "0"}]
        if item.fixed:
            events.append({"fixed": item.fixed})
        elif item.last_affected:
            events.append({"last_affected": item.last_affected})
        out.append({"type": "SEMVER", "events": events})
    return out


def advisory_to_osv(advisory: Advisory) -> dict[str, Any]:
    by_product: dict[int, list[AffectedRange]] = {}
    products = {}
    for item in advisory.ranges.select_related("product").order_by("product__slug", "pk"):
        by_product.setdefault(item.product_id, []).append(item)
        products[item.product_id] = item.product
    fixed_releases = sorted(
        f"{r.product.slug} {r.version}" for r in advisory.fixed_releases.select_related("product")
    )
    affected = [
        {
            "package": {
                "ecosystem": ECOSYSTEM,
                "name": products[product_id].slug,
                "purl": f"pkg:generic/{products[product_id].slug}",
            },
            "ranges": _ranges(items),
            "database_specific": {"product_name": products[product_id].name},
        }
        for product_id, items in by_product.items()
    ]
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": advisory.identifier,
        "modified": timestamp(advisory.updated_at),
        "summary": advisory.title,
        "details": _details(advisory),
        "severity": [
            {
                "type": "CVSS_V4" if advisory.cvss_vector.startswith("CVSS:4.0/") else "CVSS_V3",
                "score": advisory.cvss_vector,
            }
        ],
        "affected": affected,
        "references": [
            {
                "type": "ADVISORY",
                "url": settings.ROADIE_BASE_URL
                + reverse("portal:advisory", args=[advisory.identifier]),
            },
            *advisory.references,
        ],
        "database_specific": {
            "severity": advisory.severity,
            "cvss_score": float(advisory.cvss_score),
            "status": advisory.status,
            "fixed_releases": fixed_releases,
        },
    }
    if advisory.published_at:
        document["published"] = timestamp(advisory.published_at)
    if advisory.aliases:
        document["aliases"] = list(advisory.aliases)
    if advisory.credits:
        document["credits"] = list(advisory.credits)
    return document


@dataclass
class ImportedRange:
    product: str
    introduced: str
    fixed: str = ""
    last_affected: str = ""
    field: str = ""  # where it came from, for errors


@dataclass
class ImportedAdvisory:
    source_id: str
    title: str
    description: str
    cvss_vector: str
    ranges: list[ImportedRange] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    references: list[dict[str, str]] = field(default_factory=list)
    credits: list[dict[str, Any]] = field(default_factory=list)


def _fail(message: str, where: str) -> InvalidOsv:
    return InvalidOsv(message, field=where)


def _string(value: Any, where: str, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(_("Expected a non-empty string."), where)
    return value.strip()


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(_("Expected a list."), where)
    return value


def _ranges_of(affected: dict[str, Any], product: str, where: str) -> list[ImportedRange]:
    out: list[ImportedRange] = []
    for j, item in enumerate(_list(affected.get("ranges"), f"{where}.ranges")):
        here = f"{where}.ranges.{j}"
        if not isinstance(item, dict):
            raise _fail(_("Expected an object."), here)
        if item.get("type") not in ("SEMVER", "ECOSYSTEM"):
            raise _fail(_("Only SEMVER and ECOSYSTEM ranges can be imported."), f"{here}.type")
        current: ImportedRange | None = None
        events = _list(item.get("events"), f"{here}.events")
        if not events:
            raise _fail(_("A range needs events."), f"{here}.events")
        for k, event in enumerate(events):
            at = f"{here}.events.{k}"
            if not isinstance(event, dict) or len(event) != 1:
                raise _fail(_("Each event has exactly one of introduced, fixed, ..."), at)
            ((name, value),) = event.items()
            value = _string(value, f"{at}.{name}", required=True)
            if name == "introduced":
                if current is not None:
                    out.append(current)
                current = ImportedRange(product, value, field=f"{at}.introduced")
            elif name in ("fixed", "last_affected"):
                if current is None:
                    raise _fail(_("A range must start with an introduced event."), at)
                setattr(current, name, value)
                out.append(current)
                current = None
            elif name != "limit":
                raise _fail(_("Unknown event %(name)r.") % {"name": name}, at)
        if current is not None:
            out.append(current)
    if not out:
        raise _fail(_("No SEMVER or ECOSYSTEM range for this package."), f"{where}.ranges")
    return out


def parse_osv(document: Any) -> ImportedAdvisory:
    """The parts of an OSV document Roadie keeps; InvalidOsv names the path at fault."""
    if not isinstance(document, dict):
        raise _fail(_("An OSV document is a JSON object."), "document")
    source_id = _string(document.get("id"), "id", required=True)
    _string(document.get("modified"), "modified", required=True)
    vectors = []
    for i, item in enumerate(_list(document.get("severity"), "severity")):
        if isinstance(item, dict) and item.get("type") in ("CVSS_V3", "CVSS_V4"):
            vectors.append(_string(item.get("score"), f"severity.{i}.score", required=True))
    if not vectors:
        raise _fail(_("The advisory needs a CVSS_V3 or CVSS_V4 severity."), "severity")
    ranges: list[ImportedRange] = []
    affected_list = _list(document.get("affected"), "affected")
    if not affected_list:
        raise _fail(_("The advisory affects no package."), "affected")
    for i, affected in enumerate(affected_list):
        where = f"affected.{i}"
        if not isinstance(affected, dict) or not isinstance(affected.get("package"), dict):
            raise _fail(_("Each affected entry names a package."), f"{where}.package")
        name = _string(affected["package"].get("name"), f"{where}.package.name", required=True)
        ranges.extend(_ranges_of(affected, name, where))
    references = []
    for i, item in enumerate(_list(document.get("references"), "references")):
        if not isinstance(item, dict) or item.get("type") not in REFERENCE_TYPES:
            raise _fail(_("A reference has a known type and a URL."), f"references.{i}.type")
        url = _string(item.get("url"), f"references.{i}.url", required=True)
        references.append({"type": item["type"], "url": url})
    credits = []
    for i, item in enumerate(_list(document.get("credits"), "credits")):
        if not isinstance(item, dict):
            raise _fail(_("Expected an object."), f"credits.{i}")
        credit: dict[str, Any] = {"name": _string(item.get("name"), f"credits.{i}.name", True)}
        contact = [str(c) for c in _list(item.get("contact"), f"credits.{i}.contact")]
        if contact:
            credit["contact"] = contact
        if item.get("type") in CREDIT_TYPES:
            credit["type"] = item["type"]
        credits.append(credit)
    aliases = [str(a) for a in _list(document.get("aliases"), "aliases")]
    if source_id not in aliases:
        aliases.insert(0, source_id)
    summary = _string(document.get("summary"), "summary")
    return ImportedAdvisory(
        source_id=source_id,
        title=(summary or source_id)[:300],
        description=_string(document.get("details"), "details"),
        cvss_vector=vectors[0],
        ranges=ranges,
        aliases=aliases,
        references=references,
        credits=credits,
    )
