from django.contrib import admin

from roadie.notifications.models import Channel, NotificationPreference, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "recipient",
        "kind",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient", "subject", "idempotency_key"]
    raw_id_fields = ["channel", "digest"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organization", "user", "enabled", "rate_limit_per_minute"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "url"]
    raw_id_fields = ["organization", "user", "created_by"]
    exclude = ["recent_sends"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "time_zone", "quiet_start", "quiet_end"]
    raw_id_fields = ["user", "organization"]
