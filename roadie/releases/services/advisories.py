"""Security advisories: draft → embargoed → published, and OSV import.

Publishing computes the affected deployments from their installed versions, writes one notice per
affected organization and queues the e-mails to its admins in the same transaction as the status
change, so every notice's notified_at equals the advisory's published_at: the affected customers
are told no later than publication, everyone else only once an embargo time has passed.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Product
from roadie.releases import notify, osv, selectors, versions
from roadie.releases.errors import InvalidAdvisory, InvalidTransition, UnknownProduct
from roadie.releases.models import Advisory, AdvisoryNotice, AffectedRange, Event, Release
from roadie.releases.scoring import score_vector
from roadie.releases.services._common import event, require_release_manager

MAX_TITLE = 300
MAX_TEXT = 200_000
NOTICE_BATCH = 1000


@dataclass(frozen=True)
class RangeSpec:
    """One affected range as given: a product slug, introduced ("0" = every earlier version),
    fixed ("" = no fix yet) or last_affected."""

    product: str
    introduced: str = versions.ZERO
    fixed: str = ""
    last_affected: str = ""
    field: str = ""  # the input path for errors, e.g. "affected[0]"


@dataclass(frozen=True)
class _CheckedRange:
    product: Product
    range: versions.Range


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise InvalidAdvisory(_("An advisory needs a title."), field="title")
    if len(title) > MAX_TITLE:
        raise InvalidAdvisory(
            _("The title is longer than %(max)s characters.") % {"max": MAX_TITLE}, field="title"
        )
    return title


def _check_text(text: str, field: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidAdvisory(
            _("The text is longer than %(max)s characters.") % {"max": MAX_TEXT}, field=field
        )
    return text


def _check_ranges(specs: Sequence[RangeSpec]) -> list[_CheckedRange]:
    if not specs:
        raise InvalidAdvisory(_("Name at least one affected product."), field="affected")
    slugs = {spec.product for spec in specs}
    products = {p.slug: p for p in Product.objects.filter(slug__in=slugs)}
    checked = []
    for i, spec in enumerate(specs):
        where = spec.field or f"affected.{i}"
        product = products.get(spec.product)
        if product is None:
            raise UnknownProduct(
                _("Unknown product %(slug)r.") % {"slug": spec.product}, field=f"{where}.product"
            )
        checked.append(
            _CheckedRange(
                product,
                versions.check_range(
                    spec.introduced, spec.fixed, spec.last_affected, prefix=f"{where}."
                ),
            )
        )
    return checked


def _check_references(references: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    validate = URLValidator(schemes=["http", "https"])
    out = []
    for i, item in enumerate(references):
        kind = str(item.get("type", "WEB")).upper()
        if kind not in osv.REFERENCE_TYPES:
            raise InvalidAdvisory(
                _("Unknown reference type %(t)r.") % {"t": kind}, field=f"references.{i}.type"
            )
        url = str(item.get("url", "")).strip()
        try:
            validate(url)
        except ValidationError:
            raise InvalidAdvisory(_("Enter an http(s) link."), field=f"references.{i}.url")
        out.append({"type": kind, "url": url})
    return out


def _check_credits(credits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(credits):
        name = str(item.get("name", "")).strip()
        if not name:
            raise InvalidAdvisory(_("A credit needs a name."), field=f"credits.{i}.name")
        credit: dict[str, Any] = {"name": name[:200]}
        contact = [str(c).strip() for c in item.get("contact") or [] if str(c).strip()]
        if contact:
            credit["contact"] = contact
        kind = str(item.get("type") or "").upper()
        if kind:
            if kind not in osv.CREDIT_TYPES:
                raise InvalidAdvisory(
                    _("Unknown credit type %(t)r.") % {"t": kind}, field=f"credits.{i}.type"
                )
            credit["type"] = kind
        out.append(credit)
    return out


def _check_aliases(aliases: Sequence[str]) -> list[str]:
    out: list[str] = []
    for i, alias in enumerate(aliases):
        alias = str(alias).strip()
        if not alias or len(alias) > 100:
            raise InvalidAdvisory(_("An alias is a short identifier."), field=f"aliases.{i}")
        if alias not in out:
            out.append(alias)
    return out


def _check_embargo(embargo_until: datetime | None) -> datetime | None:
    if embargo_until is not None and timezone.is_naive(embargo_until):
        raise InvalidAdvisory(_("Give the time with its time zone."), field="embargo_until")
    return embargo_until


def _store_ranges(advisory: Advisory, ranges: list[_CheckedRange]) -> None:
    AffectedRange.objects.filter(advisory=advisory).delete()
    AffectedRange.objects.bulk_create(
        AffectedRange(
            advisory=advisory,
            product=item.product,
            introduced=item.range.introduced,
            fixed=item.range.fixed,
            last_affected=item.range.last_affected,
        )
        for item in ranges
    )
    fixed = [(item.product.pk, item.range.fixed) for item in ranges if item.range.fixed]
    releases = [
        release
        for release in Release.objects.filter(product_id__in={p for p, _v in fixed})
        if (release.product_id, release.version) in fixed
    ]
    advisory.fixed_releases.set(releases)


def _next_number(year: int) -> int:
    return (Advisory.objects.filter(year=year).aggregate(n=Max("number"))["n"] or 0) + 1


def advisory_create(
    *,
    by: User,
    title: str,
    cvss_vector: str,
    affected: Sequence[RangeSpec],
    description: str = "",
    workarounds: str = "",
    aliases: Sequence[str] = (),
    references: Sequence[dict[str, Any]] = (),
    credits: Sequence[dict[str, Any]] = (),
    embargo_until: datetime | None = None,
    at: datetime | None = None,
    imported_from: str = "",
) -> Advisory:
    """A draft advisory with the next RDSA-YYYY-NNNN of the year; everything is checked first."""
    require_release_manager(by)
    now = at or clock.now()
    title = _check_title(title)
    description = _check_text(description, "description")
    workarounds = _check_text(workarounds, "workarounds")
    score = score_vector(cvss_vector)
    ranges = _check_ranges(affected)
    values = {
        "title": title,
        "description": description,
        "workarounds": workarounds,
        "cvss_vector": score.vector,
        "cvss_score": score.score,
        "severity": score.severity,
        "aliases": _check_aliases(aliases),
        "references": _check_references(references),
        "credits": _check_credits(credits),
        "embargo_until": _check_embargo(embargo_until),
        "created_by": by,
    }
    year = timezone.localdate(now).year
    with transaction.atomic():
        for attempt in range(10):
            number = _next_number(year)
            try:
                with transaction.atomic():
                    advisory = Advisory.objects.create(
                        identifier=f"RDSA-{year}-{number:04d}", year=year, number=number, **values
                    )
                break
            except IntegrityError:  # a concurrent create took the number
                if attempt == 9:
                    raise
        _store_ranges(advisory, ranges)
        if imported_from:
            event(
                Event.Kind.ADVISORY_IMPORTED,
                at=now,
                actor=by,
                advisory=advisory,
                source=imported_from,
            )
        else:
            event(Event.Kind.ADVISORY_CREATED, at=now, actor=by, advisory=advisory)
    return advisory


def advisory_update(
    *,
    advisory: Advisory,
    by: User,
    title: str,
    cvss_vector: str,
    affected: Sequence[RangeSpec],
    description: str = "",
    workarounds: str = "",
    aliases: Sequence[str] = (),
    references: Sequence[dict[str, Any]] = (),
    credits: Sequence[dict[str, Any]] = (),
    at: datetime | None = None,
) -> Advisory:
    """Edit an advisory; its affected ranges are frozen once it is published."""
    require_release_manager(by)
    now = at or clock.now()
    score = score_vector(cvss_vector)
    ranges = _check_ranges(affected)
    values = {
        "title": _check_title(title),
        "description": _check_text(description, "description"),
        "workarounds": _check_text(workarounds, "workarounds"),
        "cvss_vector": score.vector,
        "cvss_score": score.score,
        "severity": score.severity,
        "aliases": _check_aliases(aliases),
        "references": _check_references(references),
        "credits": _check_credits(credits),
    }
    with transaction.atomic():
        advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
        current = sorted(
            (r.product_id, r.introduced, r.fixed, r.last_affected) for r in advisory.ranges.all()
        )
        wanted = sorted(
            (i.product.pk, i.range.introduced, i.range.fixed, i.range.last_affected) for i in ranges
        )
        if current != wanted:
            if advisory.is_published:
                raise InvalidTransition(
                    _("The affected ranges of a published advisory cannot change."),
                    field="affected",
                )
            _store_ranges(advisory, ranges)
        for name, value in values.items():
            setattr(advisory, name, value)
        advisory.save()
        event(
            Event.Kind.ADVISORY_UPDATED,
            at=now,
            actor=by,
            advisory=advisory,
            ranges_changed=current != wanted,
        )
    return advisory


def advisory_embargo(
    *, advisory: Advisory, by: User, embargo_until: datetime | None, at: datetime | None = None
) -> Advisory:
    """Draft → embargoed: final, known to staff only, with the time it may become public."""
    require_release_manager(by)
    now = at or clock.now()
    embargo_until = _check_embargo(embargo_until)
    with transaction.atomic():
        advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
        if advisory.is_published:
            raise InvalidTransition(_("The advisory is already published."), field="status")
        advisory.status = Advisory.Status.EMBARGOED
        advisory.embargo_until = embargo_until
        advisory.save(update_fields=["status", "embargo_until", "updated_at"])
        event(
            Event.Kind.ADVISORY_EMBARGOED,
            at=now,
            actor=by,
            advisory=advisory,
            embargo_until=embargo_until.isoformat() if embargo_until else None,
        )
    return advisory


def advisory_publish(
    *,
    advisory: Advisory,
    by: User,
    embargo_until: datetime | None = None,
    at: datetime | None = None,
) -> Advisory:
    """Draft or embargoed → published. In one transaction: the affected deployments are computed,
    each affected organization gets a notice and its admins an e-mail, then the status changes.
    embargo_until (if given, else the one set before) keeps it from non-affected customers and
    the public feed until then."""
    require_release_manager(by)
    now = at or clock.now()
    embargo_until = _check_embargo(embargo_until)
    with transaction.atomic():
        advisory = Advisory.objects.select_for_update().get(pk=advisory.pk)
        if advisory.is_published:
            raise InvalidTransition(_("The advisory is already published."), field="status")
        if embargo_until is not None:
            advisory.embargo_until = embargo_until
        affected = selectors.affected_deployments(advisory=advisory)
        by_organization: dict[int, list[dict[str, object]]] = defaultdict(list)
        for item in affected:
            by_organization[item.organization_id].append(_deployment_entry(item))
        notices = AdvisoryNotice.objects.bulk_create(
            [
                AdvisoryNotice(
                    advisory=advisory,
                    organization_id=organization_id,
                    deployments=entries,
                    notified_at=now,
                )
                for organization_id, entries in by_organization.items()
            ],
            batch_size=NOTICE_BATCH,
        )
        notify.advisory_notices(
            advisory=advisory,
            notices=notices,
            recipients=notify.organization_recipients(by_organization),
            fixed=fixed_versions(advisory),
        )
        advisory.status = Advisory.Status.PUBLISHED
        advisory.published_at = now
        advisory.save(update_fields=["status", "published_at", "embargo_until", "updated_at"])
        event(
            Event.Kind.ADVISORY_PUBLISHED,
            at=now,
            actor=by,
            advisory=advisory,
            organizations=len(by_organization),
            deployments=len(affected),
            embargo_until=advisory.embargo_until.isoformat() if advisory.embargo_until else None,
        )
    return advisory


def _deployment_entry(item: selectors.AffectedDeployment) -> dict[str, object]:
    return {
        "deployment": item.deployment,
        "product": item.product,
        "version": item.version,
        "name": item.name,
        "environment": item.environment,
    }


def fixed_versions(advisory: Advisory) -> list[str]:
    return sorted(
        {
            f"{slug} {fixed}"
            for slug, fixed in advisory.ranges.exclude(fixed="").values_list(
                "product__slug", "fixed"
            )
        }
    )


def advisory_import_osv(*, document: Any, by: User, at: datetime | None = None) -> Advisory:
    """An OSV JSON document becomes a draft advisory; its own id is kept as an alias."""
    require_release_manager(by)
    parsed = osv.parse_osv(document)
    score_vector(parsed.cvss_vector, field="severity")
    known = set(
        Product.objects.filter(slug__in={r.product for r in parsed.ranges}).values_list(
            "slug", flat=True
        )
    )
    for item in parsed.ranges:
        if item.product not in known:
            raise UnknownProduct(
                _("No product has the slug %(slug)r.") % {"slug": item.product},
                field=item.field.split(".ranges")[0] + ".package.name",
            )
    specs = [
        RangeSpec(
            product=item.product,
            introduced=item.introduced,
            fixed=item.fixed,
            last_affected=item.last_affected,
            field=item.field.rsplit(".events", 1)[0] if item.field else "",
        )
        for item in parsed.ranges
    ]
    return advisory_create(
        by=by,
        title=parsed.title,
        description=parsed.description,
        cvss_vector=parsed.cvss_vector,
        affected=specs,
        aliases=parsed.aliases,
        references=parsed.references,
        credits=parsed.credits,
        at=at,
        imported_from=parsed.source_id,
    )
