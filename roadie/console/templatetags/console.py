from django import template

from roadie.accounts.permissions import Action, can

register = template.Library()


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, action: str) -> bool:
    """`{% user_can "review_mail" as may_review %}`: the permission table, read in a template."""
    request = context.get("request")
    return request is not None and can(request.user, Action(action))
