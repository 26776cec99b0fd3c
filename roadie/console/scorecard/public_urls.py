"""The public, read-only scorecard link (mounted at /scorecard/ in config/urls.py)."""

from django.urls import path

from roadie.console.scorecard import views

app_name = "scorecard_public"
urlpatterns = [
    path("<str:token>/", views.public, name="page"),
]
