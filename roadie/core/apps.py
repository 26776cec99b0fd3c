from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "roadie.core"
    label = "core"
