from django import forms
from django.contrib import admin

from roadie.monitoring.errors import InvalidRuleSetting
from roadie.monitoring.models import (
    Alert,
    CycleRun,
    Incident,
    IncidentEvent,
    IngestToken,
    MaintenanceWindow,
    RuleSetting,
    Silence,
)
from roadie.monitoring.services.rules import clean_params

# Incidents, alerts and tokens are changed through the services (console, portal, API); the
# admin shows them read-only. Rule settings may be edited here: product defaults live nowhere
# else in the UI.


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class IncidentEventInline(admin.TabularInline):
    model = IncidentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "actor", "data"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["title", "deployment", "rule", "severity", "status", "opened_at", "resolved_at"]
    list_filter = ["status", "severity", "source"]
    search_fields = ["title", "dedup_key", "rule"]
    inlines = [IncidentEventInline]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["rule", "deployment", "fingerprint", "status", "severity", "starts_at"]
    list_filter = ["status", "source", "severity"]
    search_fields = ["fingerprint", "rule", "summary"]


@admin.register(IngestToken)
class IngestTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "deployment", "name", "created_at", "last_used_at", "revoked_at"]


@admin.register(Silence)
class SilenceAdmin(ReadOnlyAdmin):
    list_display = ["deployment", "rule", "starts_at", "ends_at", "comment"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ReadOnlyAdmin):
    list_display = ["deployment", "starts_at", "ends_at", "reason"]


@admin.register(CycleRun)
class CycleRunAdmin(ReadOnlyAdmin):
    list_display = ["kind", "started_at", "duration_ms", "deployments", "samples", "transitions"]
    list_filter = ["kind"]


class RuleSettingForm(forms.ModelForm):
    class Meta:
        model = RuleSetting
        fields = ["product", "deployment", "rule", "enabled", "params"]

    def clean(self):  # type: ignore[no-untyped-def]
        # The same checks as the API: unknown parameters and out-of-range values are refused.
        data = super().clean()
        if data.get("rule"):
            try:
                data["params"] = clean_params(data["rule"], data.get("params") or {})
            except InvalidRuleSetting as error:
                self.add_error("params", error.message)
        return data


@admin.register(RuleSetting)
class RuleSettingAdmin(admin.ModelAdmin):
    form = RuleSettingForm
    list_display = ["rule", "product", "deployment", "enabled", "params", "updated_at"]
    list_filter = ["rule", "enabled"]
    raw_id_fields = ["deployment"]
    readonly_fields = ["updated_by"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
