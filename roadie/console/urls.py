from django.urls import include, path

from roadie.console.notifications import views as notifications
from roadie.console.tickets import mail, pages
from roadie.console.tickets import views as tickets

app_name = "console"
urlpatterns = [
    path("", tickets.queue, name="queue"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path(
        "tickets/new/deployments/",
        tickets.ticket_new_deployments,
        name="ticket_new_deployments",
    ),
    path("tickets/bulk-assign/", tickets.bulk_assign, name="bulk_assign"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/status/", tickets.ticket_status, name="ticket_status"),
    path("tickets/<str:number>/severity/", tickets.ticket_severity, name="ticket_severity"),
    path("tickets/<str:number>/kind/", tickets.ticket_kind, name="ticket_kind"),
    path("tickets/<str:number>/assign/", tickets.ticket_assign_view, name="ticket_assign"),
    path("tickets/<str:number>/tags/", tickets.ticket_tags, name="ticket_tags"),
    path("tickets/<str:number>/watch/", tickets.ticket_watch_view, name="ticket_watch"),
    path("tickets/<str:number>/pages/", pages.ticket_pages_view, name="ticket_pages"),
    path("mail/", mail.mail_held, name="mail_held"),
    path("mail/<int:pk>/", mail.mail_detail, name="mail_detail"),
    path("mail/<int:pk>/accept/", mail.mail_accept, name="mail_accept"),
    path("mail/<int:pk>/attach/", mail.mail_attach, name="mail_attach"),
    path("mail/<int:pk>/discard/", mail.mail_discard, name="mail_discard"),
    path("outbox/", notifications.outbox, name="outbox"),
    path("outbox/<int:pk>/retry/", notifications.outbox_retry_view, name="outbox_retry"),
    path("notifications/", include("roadie.console.notifications.urls")),
    path("releases/", include("roadie.console.releases.urls")),
    path("oncall/", include("roadie.console.oncall.urls")),
    path("monitoring/", include("roadie.console.monitoring.urls")),
    path("reports/", include("roadie.console.reports.urls")),
    path("scorecard/", include("roadie.console.scorecard.urls")),
]
