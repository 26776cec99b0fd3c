"""Channel pages, included into the console's namespace by roadie/console/urls.py."""

from django.urls import path

from roadie.console.notifications import views

urlpatterns = [
    path("channels/", views.channels, name="channels"),
    path("channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/test/", views.channel_test_view, name="channel_test"),
    path("channels/<int:pk>/toggle/", views.channel_toggle, name="channel_toggle"),
]
