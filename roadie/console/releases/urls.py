"""Mounted under console/releases/ in the console's namespace."""

from django.urls import path

from roadie.console.releases import views

urlpatterns = [
    path("", views.releases, name="releases"),
    path("new/", views.release_new, name="release_new"),
    path("behind/", views.behind, name="releases_behind"),
    path("requests/", views.update_requests, name="update_requests"),
    path(
        "requests/<int:update_request_id>/approve/",
        views.update_request_approve,
        name="update_request_approve",
    ),
    path(
        "requests/<int:update_request_id>/decline/",
        views.update_request_decline,
        name="update_request_decline",
    ),
    path("entitlements/<int:contract_id>/", views.entitlement, name="entitlement"),
    path("advisories/", views.advisories, name="advisories"),
    path("advisories/new/", views.advisory_new, name="advisory_new"),
    path("advisories/import/", views.advisory_import, name="advisory_import"),
    path("advisories/<str:advisory_id>/", views.advisory_detail, name="advisory"),
    path("advisories/<str:advisory_id>/edit/", views.advisory_edit, name="advisory_edit"),
    path("advisories/<str:advisory_id>/embargo/", views.advisory_embargo, name="advisory_embargo"),
    path("advisories/<str:advisory_id>/publish/", views.advisory_publish, name="advisory_publish"),
    path("<int:release_id>/", views.release_detail, name="release"),
    path("<int:release_id>/artifacts/", views.release_artifact_add, name="release_artifact_add"),
    path(
        "<int:release_id>/artifacts/<int:artifact_id>/",
        views.release_artifact,
        name="release_artifact",
    ),
]
