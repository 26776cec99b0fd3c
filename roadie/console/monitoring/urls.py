"""Mounted under console/monitoring/ as the console's "monitoring" namespace."""

from django.urls import path

from roadie.console.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.fleet, name="fleet"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path(
        "incidents/<int:incident_id>/acknowledge/",
        views.incident_acknowledge,
        name="incident_acknowledge",
    ),
    path("incidents/<int:incident_id>/resolve/", views.incident_resolve, name="incident_resolve"),
    path("deployments/<int:deployment_id>/", views.deployment, name="deployment"),
    path("deployments/<int:deployment_id>/tokens/", views.token_create, name="token_create"),
    path(
        "deployments/<int:deployment_id>/tokens/<int:token_id>/revoke/",
        views.token_revoke,
        name="token_revoke",
    ),
    path("deployments/<int:deployment_id>/silences/", views.silence_create, name="silence_create"),
    path(
        "deployments/<int:deployment_id>/silences/<int:silence_id>/expire/",
        views.silence_expire,
        name="silence_expire",
    ),
    path(
        "deployments/<int:deployment_id>/maintenance/",
        views.maintenance_create,
        name="maintenance_create",
    ),
    path(
        "deployments/<int:deployment_id>/maintenance/<int:window_id>/end/",
        views.maintenance_end,
        name="maintenance_end",
    ),
    path("deployments/<int:deployment_id>/rules/", views.rule_set, name="rule_set"),
]
