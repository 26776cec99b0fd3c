from django.contrib import admin
from django.urls import include, path

from roadie.api.urls import api
from roadie.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("roadie.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", include("roadie.console.urls")),
    path("portal/", include("roadie.portal.urls")),
    path("attachments/", include("roadie.tickets.urls")),
    path("api/v1/", api.urls),
    path("scorecard/", include("roadie.console.scorecard.public_urls")),
    path("metrics", include("roadie.monitoring.urls")),
    path("admin/", admin.site.urls),
]
