"""Filters for chat-platform message templates (plain text, never HTML)."""

from django import template

register = template.Library()


@register.filter
def slack_escape(value: object) -> str:
    """Slack mrkdwn: &, < and > are control characters and must be escaped."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@register.filter
def md_link_text(value: object) -> str:
    """Square brackets would end a Markdown link label early."""
    return str(value).replace("[", "(").replace("]", ")")


@register.filter
def quote_lines(value: object) -> str:
    """Indent every line as a Markdown block quote."""
    return "\n".join(f"> {line}" if line else ">" for line in str(value).splitlines())
