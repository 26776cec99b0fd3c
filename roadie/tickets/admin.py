from django.contrib import admin

from roadie.tickets.models import (
    Attachment,
    Comment,
    InboundMail,
    SatisfactionSurvey,
    Tag,
    Ticket,
    TicketEvent,
)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "organization", "severity", "status", "assignee", "created_at"]
    list_filter = ["severity", "status", "kind"]
    search_fields = ["title"]
    raw_id_fields = ["requester", "assignee", "deployment", "module"]
    # History is written by services only; the admin shows tickets read-only.
    readonly_fields = [f.name for f in Ticket._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "actor", "created_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(Tag)
admin.site.register(Comment)
admin.site.register(Attachment)
admin.site.register(InboundMail)


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(admin.ModelAdmin):
    list_display = ["ticket", "score", "answered_by", "answered_at"]
    list_filter = ["score"]
