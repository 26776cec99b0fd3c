from django.apps import AppConfig


class Config(AppConfig):
    name = "roadie.api"
    label = "api"
