from django.urls import path

from roadie.console.tickets import views as tickets

app_name = "console"
urlpatterns = [
    path("", tickets.queue, name="queue"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/bulk-assign/", tickets.bulk_assign, name="bulk_assign"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
]
