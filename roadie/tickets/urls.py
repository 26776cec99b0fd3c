from django.urls import path

from roadie.tickets import views

app_name = "tickets"
urlpatterns = [
    path("<int:attachment_id>/", views.attachment_download, name="attachment"),
]
