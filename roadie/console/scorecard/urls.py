from django.urls import path

from roadie.console.scorecard import views

app_name = "scorecard"
urlpatterns = [
    path("", views.scorecard_page, name="scorecard"),
    path("share/", views.share, name="share"),
]
