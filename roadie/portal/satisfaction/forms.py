from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.tickets.satisfaction import MAX_COMMENT, SCORES

SCORE_LABELS = {
    1: _("1 – poor"),
    2: _("2"),
    3: _("3"),
    4: _("4"),
    5: _("5 – excellent"),
}


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled this ticket?"),
        choices=[(score, SCORE_LABELS[score]) for score in SCORES],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What could we do better? (optional)"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
