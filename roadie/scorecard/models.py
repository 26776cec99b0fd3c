from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScorecardShare(models.Model):
    """A public, read-only link to the scorecard that the vendor switched on.

    The token is random and shown in the console so it can be copied again; the page it opens
    holds aggregates only.  Switching the link off (or on again, which makes a new token)
    revokes it: a revoked token answers 404.
    """

    token = models.CharField(max_length=64, unique=True)
    # The page covers this many days up to the moment it is opened.
    period_days = models.PositiveSmallIntegerField(_("period (days)"), default=90)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scorecard link")
        verbose_name_plural = _("scorecard links")

    def __str__(self) -> str:
        return f"{self.token[:6]}… ({'revoked' if self.revoked_at else 'active'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
