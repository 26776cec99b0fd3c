from django.apps import AppConfig


class Config(AppConfig):
    name = "roadie.console"
    label = "console"
