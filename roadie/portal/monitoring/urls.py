"""Mounted under portal/monitoring/ as the portal's "monitoring" namespace."""

from django.urls import path

from roadie.portal.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.deployments, name="deployments"),
    path("<int:deployment_id>/", views.deployment, name="deployment"),
    path("<int:deployment_id>/tokens/", views.token_create, name="token_create"),
    path(
        "<int:deployment_id>/tokens/<int:token_id>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
    path("<int:deployment_id>/maintenance/", views.maintenance_create, name="maintenance_create"),
    path(
        "<int:deployment_id>/maintenance/<int:window_id>/end/",
        views.maintenance_end,
        name="maintenance_end",
    ),
]
