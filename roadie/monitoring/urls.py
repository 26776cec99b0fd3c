"""Mounted at /metrics by config/urls.py."""

from django.urls import path

from roadie.monitoring import views

urlpatterns = [path("", views.metrics, name="metrics")]
