from django.urls import path

from roadie.console.reports import views

app_name = "reports"
urlpatterns = [
    path("sla/", views.sla, name="sla"),
    path("sla.csv", views.sla_csv, name="sla_csv"),
]
