from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScorecardConfig(AppConfig):
    name = "roadie.scorecard"
    label = "scorecard"
    verbose_name = _("Service-quality scorecard")
