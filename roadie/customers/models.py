from django.db import models
from django.utils.translation import gettext_lazy as _

from roadie.core.models import TimeStampedModel


class Organization(TimeStampedModel):
    """A customer company that bought the source code and runs a live platform on it."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    email_domain = models.CharField(
        _("e-mail domain"), max_length=200, blank=True, help_text=_("e.g. example.cn")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    """A contract tier (standard, premium): SLA policies and entitlements attach to it."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name


class Contract(TimeStampedModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contracts"
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="contracts")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="contract_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.tier} ({self.starts_on}–{self.ends_on})"


class Product(TimeStampedModel):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Module(models.Model):
    """A part of the product a ticket can be about: streaming, co-hosting, IM, gifts, ..."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="modules")
    slug = models.SlugField(_("slug"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    is_core = models.BooleanField(
        _("core module"),
        default=False,
        help_text=_("Defects in core modules have shorter fix targets."),
    )

    class Meta:
        ordering = ["product", "name"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        constraints = [
            models.UniqueConstraint(fields=["product", "slug"], name="module_slug_per_product")
        ]

    def __str__(self) -> str:
        return self.name


class Deployment(TimeStampedModel):
    """One installation of a product at a customer."""

    class Environment(models.TextChoices):
        PRODUCTION = "production", _("Production")
        STAGING = "staging", _("Staging")
        TEST = "test", _("Test")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="deployments"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="deployments")
    name = models.CharField(_("name"), max_length=200, blank=True)
    version = models.CharField(_("version"), max_length=64)
    environment = models.CharField(
        _("environment"), max_length=16, choices=Environment.choices, default=Environment.PRODUCTION
    )

    class Meta:
        ordering = ["organization", "product", "environment"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")

    def __str__(self) -> str:
        label = self.name or self.get_environment_display()
        return f"{self.product} {self.version} · {label}"
