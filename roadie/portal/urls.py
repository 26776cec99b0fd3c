from django.urls import include, path

from roadie.portal.team import views as team
from roadie.portal.tickets import views as tickets

app_name = "portal"
urlpatterns = [
    path("", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/close/", tickets.ticket_close, name="ticket_close"),
    path("tickets/<str:number>/reopen/", tickets.ticket_reopen, name="ticket_reopen"),
    path("team/", team.team, name="team"),
    path("releases/", include("roadie.portal.releases.urls")),
    path("notifications/", include("roadie.portal.notifications.urls")),
    path("monitoring/", include("roadie.portal.monitoring.urls")),
    path("survey/", include("roadie.portal.satisfaction.urls")),
]
