"""Mounted under portal/releases/ in the portal's namespace."""

from django.urls import path

from roadie.portal.releases import views

urlpatterns = [
    path("", views.overview, name="releases"),
    path("advisories/", views.advisories, name="advisories"),
    path("advisories/<str:advisory_id>/", views.advisory_detail, name="advisory"),
    path(
        "advisories/<str:advisory_id>/acknowledge/",
        views.advisory_acknowledge,
        name="advisory_acknowledge",
    ),
    path(
        "deployments/<int:deployment_id>/version/",
        views.deployment_version,
        name="deployment_version",
    ),
    path("<int:release_id>/", views.release_detail, name="release"),
    path("<int:release_id>/request/", views.release_request, name="release_request"),
    path("<int:release_id>/quote/", views.release_quote, name="release_quote"),
    path(
        "<int:release_id>/artifacts/<int:artifact_id>/",
        views.release_artifact,
        name="release_artifact",
    ),
]
