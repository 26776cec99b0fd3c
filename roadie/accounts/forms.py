from django import forms
from django.utils.translation import gettext_lazy as _

from roadie.accounts.models import Role


class InvitationAcceptForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, required=False)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Role.CUSTOMER_MEMBER, Role.CUSTOMER_MEMBER.label),
            (Role.CUSTOMER_ADMIN, Role.CUSTOMER_ADMIN.label),
        ],
    )
