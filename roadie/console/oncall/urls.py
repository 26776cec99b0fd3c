from django.urls import path

from roadie.console.oncall import views

app_name = "oncall"
urlpatterns = [
    path("", views.schedules, name="schedules"),
    path("gaps/", views.gaps, name="gaps"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/feed.ics", views.schedule_feed, name="schedule_feed"),
    path("schedules/<int:pk>/overrides/", views.override_add, name="override_add"),
    path("schedules/<int:pk>/leave/", views.leave_add, name="leave_add"),
    path("overrides/<int:pk>/delete/", views.override_delete, name="override_delete"),
    path("leave/<int:pk>/delete/", views.leave_delete, name="leave_delete"),
    path("feed/", views.my_feed, name="my_feed"),
    path("feeds/<str:secret>.ics", views.person_feed, name="person_feed"),
    path("policies/", views.policies, name="policies"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("pages/", views.pages, name="pages"),
    path("pages/<int:pk>/", views.page_detail, name="page"),
    path("pages/<int:pk>/acknowledge/", views.page_acknowledge, name="page_ack"),
    path("pages/<int:pk>/resolve/", views.page_resolve, name="page_resolve"),
    path("ack/<str:secret>/", views.acknowledge_link, name="ack"),
]
