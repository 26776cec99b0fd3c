from django.apps import AppConfig


class Config(AppConfig):
    name = "roadie.portal"
    label = "portal"
