from django.contrib import admin

from roadie.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Leave,
    Override,
    Page,
    PageEvent,
    Rotation,
    RotationMember,
    Schedule,
    Team,
)

# Schedules, policies and pages are changed through the console and the API (the services check
# them); the admin shows them read-only so nobody bypasses those checks.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "time_zone", "updated_at"]
    search_fields = ["name"]


@admin.register(Rotation)
class RotationAdmin(ReadOnlyAdmin):
    list_display = ["name", "schedule", "layer", "kind", "interval", "handoff_time", "start_date"]
    list_filter = ["kind"]
    inlines = [RotationMemberInline]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["schedule", "user", "start", "end", "note"]


@admin.register(Leave)
class LeaveAdmin(ReadOnlyAdmin):
    list_display = ["user", "start", "end", "note"]


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name"]


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    fk_name = "policy"
    extra = 0


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_default", "repeat_times", "ack_timeout_minutes"]
    inlines = [EscalationStepInline]


class PageEventInline(admin.TabularInline):
    model = PageEvent
    extra = 0


@admin.register(Page)
class PageAdmin(ReadOnlyAdmin):
    list_display = ["title", "source", "status", "started_at", "acknowledged_by", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["title", "source"]
    inlines = [PageEventInline]
