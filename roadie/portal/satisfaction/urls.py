"""Mounted at /portal/survey/ without a namespace of its own: the names are portal:*."""

from django.urls import path

from roadie.portal.satisfaction import views

urlpatterns = [
    path("<str:token>/", views.survey, name="survey"),
]
