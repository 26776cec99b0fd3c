from django.urls import path

from roadie.portal.tickets import views as tickets

app_name = "portal"
urlpatterns = [
    path("", tickets.ticket_list, name="tickets"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<str:number>/", tickets.ticket_detail, name="ticket"),
]
