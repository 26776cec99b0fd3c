"""Releases and their artifacts; a new final release is pushed to the customers entitled to it."""

import hashlib
import re
from datetime import date, datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.core import clock
from roadie.customers.models import Organization, Product
from roadie.releases import notify, versions
from roadie.releases.entitlements import entitlement_check
from roadie.releases.errors import (
    ArtifactTooLarge,
    ChecksumMismatch,
    DuplicateRelease,
    InvalidRelease,
)
from roadie.releases.models import (
    Advisory,
    AffectedRange,
    Artifact,
    DeliveryMode,
    Event,
    Kind,
    Release,
    UpdateRequest,
)
from roadie.releases.services._common import event, require_release_manager

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_NOTES = 200_000


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NOTES:
        raise InvalidRelease(
            _("The text is longer than %(max)s characters.") % {"max": MAX_NOTES}, field=field
        )
    return value


def release_create(
    *,
    product: Product,
    version: str,
    by: User,
    notes: str = "",
    upgrade_guide: str = "",
    compatibility_notes: str = "",
    channel: str = Release.Channel.STABLE,
    kind: str | None = None,
    kind_reason: str = "",
    released_on: date | None = None,
    end_of_support_on: date | None = None,
    at: datetime | None = None,
) -> Release:
    """Record a release; its kind is derived from the previous release unless overridden with a
    reason. A final release is pushed to organizations whose contract says push."""
    require_release_manager(by)
    now = at or clock.now()
    version = (version or "").strip()
    parsed = versions.check_version(version)
    if channel not in Release.Channel.values:
        raise InvalidRelease(_("Unknown channel %(c)r.") % {"c": channel}, field="channel")
    existing = list(Release.objects.filter(product=product).values_list("version", flat=True))
    if any(versions.parse(v) == parsed for v in existing):
        raise DuplicateRelease(
            _("%(product)s %(version)s has already been released.")
            % {"product": product.name, "version": version},
            field="version",
        )
    derived = versions.derive_kind(version, existing)
    kind = kind or derived
    if kind not in Kind.values:
        raise InvalidRelease(_("Unknown kind %(k)r.") % {"k": kind}, field="kind")
    kind_reason = (kind_reason or "").strip()
    if kind != derived and not kind_reason:
        raise InvalidRelease(
            _("The previous release makes this a %(derived)s release; say why it is a %(kind)s.")
            % {"derived": derived, "kind": kind},
            field="kind_reason",
        )
    released_on = released_on or timezone.localdate(now)
    if end_of_support_on is not None and end_of_support_on < released_on:
        raise InvalidRelease(
            _("Support cannot end before the release date."), field="end_of_support_on"
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                release = Release.objects.create(
                    product=product,
                    version=version,
                    kind=kind,
                    derived_kind=derived,
                    kind_reason=kind_reason if kind != derived else "",
                    notes=_text(notes, "notes"),
                    upgrade_guide=_text(upgrade_guide, "upgrade_guide"),
                    compatibility_notes=_text(compatibility_notes, "compatibility_notes"),
                    channel=channel,
                    released_on=released_on,
                    end_of_support_on=end_of_support_on,
                    created_by=by,
                )
        except IntegrityError:
            raise DuplicateRelease(
                _("%(product)s %(version)s has already been released.")
                % {"product": product.name, "version": version},
                field="version",
            )
        event(
            Event.Kind.RELEASE_CREATED,
            at=now,
            actor=by,
            release=release,
            version=version,
            kind=kind,
            derived_kind=derived,
        )
        fixes = Advisory.objects.filter(
            pk__in=AffectedRange.objects.filter(product=product, fixed=version).values(
                "advisory_id"
            )
        )
        for advisory in fixes:
            advisory.fixed_releases.add(release)
        if parsed.prerelease is None:
            release_push(release=release, at=now)
    return release


def release_push(*, release: Release, at: datetime) -> int:
    """Offer a release to every organization running an older version whose contract says push
    and includes it; each gets an approved update request and an e-mail. Returns how many."""
    target = versions.parse(release.version)
    organization_ids = {
        organization_id
        for organization_id, installed in release.product.deployments.values_list(
            "organization_id", "version"
        )
        if (have := versions.parse(installed)) is not None and target is not None and have < target
    }
    recipients = notify.organization_recipients(organization_ids)
    pushed = 0
    for organization in Organization.objects.filter(pk__in=organization_ids):
        decision = entitlement_check(
            organization=organization, release=release, on=timezone.localdate(at)
        )
        if (
            not decision.allowed
            or decision.already_granted
            or decision.delivery_mode != DeliveryMode.PUSH
        ):
            continue
        UpdateRequest.objects.create(
            organization=organization,
            release=release,
            status=UpdateRequest.Status.APPROVED,
            source=UpdateRequest.Source.PUSH,
            cost=decision.cost,
            decided_at=at,
        )
        event(Event.Kind.RELEASE_PUSHED, at=at, release=release, organization=organization)
        notify.release_available(
            release=release,
            organization_id=organization.pk,
            recipients=recipients.get(organization.pk, []),
            cost=decision.cost,
        )
        pushed += 1
    return pushed


def _check_sha256(value: str, field: str = "sha256") -> str:
    value = (value or "").strip().lower()
    if value and not SHA256.match(value):
        raise InvalidRelease(_("A SHA-256 is 64 hexadecimal digits."), field=field)
    return value


def _artifact_name(name: str, fallback: str) -> str:
    name = (name or "").strip() or PurePath(fallback or "").name
    if not name:
        raise InvalidRelease(_("An artifact needs a name."), field="name")
    if len(name) > 255:
        raise InvalidRelease(_("The name is too long."), field="name")
    return name


def artifact_add_file(
    *,
    release: Release,
    by: User,
    content: File,  # type: ignore[type-arg]
    name: str = "",
    sha256: str = "",
    at: datetime | None = None,
) -> Artifact:
    """Store an uploaded file under the data dir with its SHA-256; a declared checksum that does
    not match the bytes stores nothing."""
    require_release_manager(by)
    declared = _check_sha256(sha256)
    name = _artifact_name(name, content.name or "")
    limit = settings.ROADIE_MAX_UPLOAD_BYTES
    if content.size is None or content.size > limit:
        raise ArtifactTooLarge(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            field="file",
        )
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks():
        digest.update(chunk)
    actual = digest.hexdigest()
    if declared and declared != actual:
        raise ChecksumMismatch(
            _("The file's SHA-256 is %(actual)s, not the declared %(declared)s.")
            % {"actual": actual, "declared": declared},
            field="sha256",
        )
    content.seek(0)
    now = at or clock.now()
    artifact = Artifact(release=release, name=name, sha256=actual, size=content.size)
    with transaction.atomic():
        artifact.file.save(get_valid_filename(PurePath(name).name), content, save=False)
        try:
            artifact.save()
            event(
                Event.Kind.ARTIFACT_ADDED,
                at=now,
                actor=by,
                release=release,
                name=name,
                sha256=actual,
            )
        except Exception:
            artifact.file.delete(save=False)
            raise
    return artifact


def artifact_add_link(
    *,
    release: Release,
    by: User,
    url: str,
    sha256: str,
    name: str = "",
    at: datetime | None = None,
) -> Artifact:
    """A download hosted elsewhere: the link and the SHA-256 its bytes must have."""
    require_release_manager(by)
    url = (url or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise InvalidRelease(_("Enter an http(s) link."), field="url")
    declared = _check_sha256(sha256)
    if not declared:
        raise InvalidRelease(_("A link needs the SHA-256 of the file."), field="sha256")
    name = _artifact_name(name, url.rstrip("/").rsplit("/", 1)[-1])
    now = at or clock.now()
    with transaction.atomic():
        artifact = Artifact.objects.create(release=release, name=name, url=url, sha256=declared)
        event(Event.Kind.ARTIFACT_ADDED, at=now, actor=by, release=release, name=name, url=url)
    return artifact
