from django.contrib import admin
from django.http import HttpRequest

from roadie.scorecard.models import ScorecardShare


@admin.register(ScorecardShare)
class ScorecardShareAdmin(admin.ModelAdmin):
    """Read-only: links are switched on and off in the console (roadie.scorecard.services)."""

    list_display = ("__str__", "period_days", "created_by", "created_at", "revoked_at")
    readonly_fields = (
        "token",
        "period_days",
        "created_by",
        "created_at",
        "revoked_by",
        "revoked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
