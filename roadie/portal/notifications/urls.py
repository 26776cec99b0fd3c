"""Included into the portal's namespace by roadie/portal/urls.py."""

from django.urls import path

from roadie.portal.notifications import views

urlpatterns = [
    path("", views.preferences, name="notifications"),
    path("channels/<int:pk>/test/", views.channel_test_view, name="notification_channel_test"),
    path("channels/<int:pk>/toggle/", views.channel_toggle, name="notification_channel_toggle"),
]
