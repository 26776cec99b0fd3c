from django.contrib import admin

from roadie.releases.models import (
    Advisory,
    AdvisoryNotice,
    AffectedRange,
    Artifact,
    ContractEntitlement,
    Event,
    Release,
    UpdateRequest,
)


class ArtifactInline(admin.TabularInline):
    model = Artifact
    extra = 0
    readonly_fields = ["sha256", "size"]


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["product", "version", "kind", "channel", "released_on", "end_of_support_on"]
    list_filter = ["product", "kind", "channel"]
    search_fields = ["version", "product__slug"]
    inlines = [ArtifactInline]


@admin.register(ContractEntitlement)
class ContractEntitlementAdmin(admin.ModelAdmin):
    list_display = [
        "contract",
        "patch_cost",
        "minor_cost",
        "minor_allowance_per_year",
        "major_cost",
        "delivery_mode",
        "support_until",
    ]
    list_filter = ["delivery_mode", "minor_cost", "major_cost"]


@admin.register(UpdateRequest)
class UpdateRequestAdmin(admin.ModelAdmin):
    list_display = ["organization", "release", "status", "source", "cost", "created_at"]
    list_filter = ["status", "source", "cost"]


class AffectedRangeInline(admin.TabularInline):
    model = AffectedRange
    extra = 0


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    list_display = ["identifier", "title", "severity", "cvss_score", "status", "published_at"]
    list_filter = ["status", "severity"]
    search_fields = ["identifier", "title"]
    readonly_fields = ["identifier", "year", "number", "cvss_score", "severity", "published_at"]
    inlines = [AffectedRangeInline]


@admin.register(AdvisoryNotice)
class AdvisoryNoticeAdmin(admin.ModelAdmin):
    list_display = ["advisory", "organization", "status", "notified_at", "acknowledged_at"]
    list_filter = ["status"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "actor", "release", "advisory", "organization"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # append-only history

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
