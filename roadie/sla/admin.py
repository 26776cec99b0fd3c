from django.contrib import admin

from roadie.sla.models import Calendar, CalendarOverride, ContractTarget, Policy, SlaEvent


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "time_zone", "always_open", "start_time", "end_time"]
    # Calendars are created through the API (roadie.sla.services checks the hours).
    readonly_fields = ["slug"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "tier",
        "severity",
        "response_minutes",
        "resolution_minutes",
        "response_calendar",
        "resolution_calendar",
        "warning_percent",
    ]
    list_filter = ["tier", "severity"]

    # Policies change through roadie.sla.services (validation); the admin shows them.
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ContractTarget)
class ContractTargetAdmin(admin.ModelAdmin):
    list_display = ["contract", "severity", "response_minutes", "resolution_minutes"]
    raw_id_fields = ["contract"]


@admin.register(SlaEvent)
class SlaEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "clock", "threshold", "at", "recorded_at"]
    list_filter = ["clock", "threshold"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
