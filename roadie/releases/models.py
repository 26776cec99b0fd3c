"""Releases, contract entitlements, update requests, security advisories and their notices."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from roadie.core.models import TimeStampedModel
from roadie.customers.models import Contract, Deployment, Organization, Product


class Kind(models.TextChoices):
    PATCH = "patch", _("Patch")
    MINOR = "minor", _("Minor version")
    MAJOR = "major", _("Major version")


class Release(TimeStampedModel):
    """One SemVer version of a product; its kind is derived from the previous release."""

    class Channel(models.TextChoices):
        STABLE = "stable", _("Stable")
        LTS = "lts", _("Long-term support")

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="releases", verbose_name=_("product")
    )
    version = models.CharField(_("version"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    derived_kind = models.CharField(_("derived kind"), max_length=8, choices=Kind.choices)
    kind_reason = models.TextField(
        _("reason for the kind"), blank=True, help_text=_("Required when overriding the kind.")
    )
    notes = models.TextField(_("release notes"), blank=True, help_text=_("Markdown."))
    upgrade_guide = models.TextField(_("upgrade guide"), blank=True, help_text=_("Markdown."))
    compatibility_notes = models.TextField(_("compatibility notes"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.STABLE
    )
    released_on = models.DateField(_("released on"))
    end_of_support_on = models.DateField(_("end of support"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["product", "-released_on", "-pk"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="release_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.version}"

    @property
    def kind_overridden(self) -> bool:
        return self.kind != self.derived_kind


def artifact_path(instance: "Artifact", filename: str) -> str:
    return f"releases/{instance.release.product.slug}/{instance.release.version}/{filename}"


class Artifact(TimeStampedModel):
    """A file of a release: uploaded (stored in the data dir) or a link; always with a SHA-256."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(_("name"), max_length=255)
    file = models.FileField(_("file"), upload_to=artifact_path, max_length=500, blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)

    class Meta:
        ordering = ["release", "name"]
        verbose_name = _("artifact")
        verbose_name_plural = _("artifacts")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url=""))
                | (~models.Q(file="") & models.Q(url="")),
                name="artifact_file_xor_url",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_link(self) -> bool:
        return bool(self.url)


class Cost(models.TextChoices):
    FREE = "free", _("Free")
    ALLOWANCE = "allowance", _("Counted against the yearly allowance")
    PAID = "paid", _("Paid")


class DeliveryMode(models.TextChoices):
    PUSH = "push", _("Pushed to the customer")
    REQUEST = "request", _("On request")


class ContractEntitlement(TimeStampedModel):
    """What a contract includes for free; a contract without one gets ENTITLEMENT_DEFAULTS."""

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="entitlement")
    patch_cost = models.CharField(
        _("patch releases"), max_length=16, choices=Cost.choices, default=Cost.FREE
    )
    minor_cost = models.CharField(
        _("minor releases"), max_length=16, choices=Cost.choices, default=Cost.ALLOWANCE
    )
    minor_allowance_per_year = models.PositiveSmallIntegerField(
        _("minor releases included per contract year"), default=2
    )
    major_cost = models.CharField(
        _("major releases"), max_length=16, choices=Cost.choices, default=Cost.PAID
    )
    delivery_mode = models.CharField(
        _("delivery"), max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.REQUEST
    )
    support_until = models.DateField(
        _("support until"), null=True, blank=True, help_text=_("Empty: the contract's end.")
    )

    class Meta:
        verbose_name = _("contract entitlement")
        verbose_name_plural = _("contract entitlements")

    def __str__(self) -> str:
        return str(self.contract)

    def cost_of(self, kind: str) -> str:
        return {Kind.PATCH: self.patch_cost, Kind.MINOR: self.minor_cost}.get(kind, self.major_cost)

    def support_ends_on(self) -> date:
        return self.support_until or self.contract.ends_on


class UpdateRequest(TimeStampedModel):
    """A customer's request for a release (or a push to it), decided by staff."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    class Source(models.TextChoices):
        REQUEST = "request", _("Requested by the customer")
        PUSH = "push", _("Pushed by the vendor")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="update_requests"
    )
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="update_requests")
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.REQUEST
    )
    # The cost when it was requested: an approved "allowance" request uses one of the year's.
    cost = models.CharField(_("cost"), max_length=16, choices=Cost.choices)
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("update request")
        verbose_name_plural = _("update requests")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "release"],
                condition=models.Q(status__in=["requested", "approved"]),
                name="one_open_update_request_per_release",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.release}"


class Severity(models.TextChoices):
    NONE = "none", _("None")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Advisory(TimeStampedModel):
    """A security advisory RDSA-YYYY-NNNN: draft → embargoed → published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        EMBARGOED = "embargoed", _("Embargoed")
        PUBLISHED = "published", _("Published")

    identifier = models.CharField(_("identifier"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    workarounds = models.TextField(_("workarounds"), blank=True, help_text=_("Markdown."))
    cvss_vector = models.CharField(_("CVSS vector"), max_length=200)
    cvss_score = models.DecimalField(_("CVSS score"), max_digits=3, decimal_places=1)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    embargo_until = models.DateTimeField(
        _("public from"),
        null=True,
        blank=True,
        help_text=_(
            "Affected customers are told at publication; everyone else sees the advisory from "
            "this time on. Empty: at publication."
        ),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    references = models.JSONField(_("references"), default=list, blank=True)
    credits = models.JSONField(_("credits"), default=list, blank=True)
    fixed_releases = models.ManyToManyField(
        Release, blank=True, related_name="advisories", verbose_name=_("fixed in")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-year", "-number"]
        verbose_name = _("security advisory")
        verbose_name_plural = _("security advisories")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="advisory_number_per_year")
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="advisory_status")]

    def __str__(self) -> str:
        return f"{self.identifier} {self.title}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class AffectedRange(models.Model):
    """introduced ≤ v < fixed (or ≤ last_affected) of one product; "0" = every earlier version."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="ranges")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    introduced = models.CharField(_("introduced in"), max_length=64, default="0")
    fixed = models.CharField(_("fixed in"), max_length=64, blank=True)
    last_affected = models.CharField(_("last affected"), max_length=64, blank=True)

    class Meta:
        ordering = ["advisory", "product", "pk"]
        verbose_name = _("affected range")
        verbose_name_plural = _("affected ranges")

    def __str__(self) -> str:
        upper = self.fixed and f"< {self.fixed}" or self.last_affected and f"≤ {self.last_affected}"
        return f"{self.product.slug} ≥ {self.introduced} {upper or ''}".strip()


class AdvisoryNotice(models.Model):
    """An affected organization told of an advisory: notified → acknowledged → upgraded."""

    class Status(models.TextChoices):
        NOTIFIED = "notified", _("Notified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        UPGRADED = "upgraded", _("Upgraded")

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="notices")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="advisory_notices"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NOTIFIED
    )
    # The affected deployments when last checked: [{"deployment": id, "version": "2.4.1"}].
    deployments = models.JSONField(default=list, blank=True)
    notified_at = models.DateTimeField(_("notified at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    upgraded_at = models.DateTimeField(_("upgraded at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["advisory", "organization"]
        verbose_name = _("advisory notice")
        verbose_name_plural = _("advisory notices")
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "organization"], name="one_notice_per_organization"
            )
        ]
        indexes = [models.Index(fields=["status", "notified_at"], name="notice_open")]

    def __str__(self) -> str:
        return f"{self.advisory.identifier} → {self.organization}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.UPGRADED


class Event(models.Model):
    """Append-only history of releases, update requests, advisories and notices."""

    class Kind(models.TextChoices):
        RELEASE_CREATED = "release_created", _("Release created")
        ARTIFACT_ADDED = "artifact_added", _("Artifact added")
        RELEASE_PUSHED = "release_pushed", _("Release pushed")
        ENTITLEMENT_SET = "entitlement_set", _("Entitlement changed")
        UPDATE_REQUESTED = "update_requested", _("Update requested")
        UPDATE_APPROVED = "update_approved", _("Update approved")
        UPDATE_DECLINED = "update_declined", _("Update declined")
        QUOTE_REQUESTED = "quote_requested", _("Quote requested")
        ADVISORY_CREATED = "advisory_created", _("Advisory created")
        ADVISORY_IMPORTED = "advisory_imported", _("Advisory imported from OSV")
        ADVISORY_UPDATED = "advisory_updated", _("Advisory updated")
        ADVISORY_EMBARGOED = "advisory_embargoed", _("Advisory embargoed")
        ADVISORY_PUBLISHED = "advisory_published", _("Advisory published")
        NOTICE_SENT = "notice_sent", _("Customer notified")
        NOTICE_ACKNOWLEDGED = "notice_acknowledged", _("Customer acknowledged")
        NOTICE_UPGRADED = "notice_upgraded", _("Customer upgraded")
        NOTICE_REOPENED = "notice_reopened", _("Customer affected again")
        NOTICE_REMINDED = "notice_reminded", _("Reminder sent")
        NOTICE_ESCALATED = "notice_escalated", _("Escalated to managers")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    advisory = models.ForeignKey(
        Advisory, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"
