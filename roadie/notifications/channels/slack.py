"""Slack incoming webhook: {"text": fallback, "blocks": [a mrkdwn section]}.

Slack answers 200 "ok"; errors are 4xx with a plain-text reason (invalid_payload, no_service,
channel_not_found, …) and 429 with Retry-After when posting faster than about one a second.
"""

from roadie.notifications.channels import http
from roadie.notifications.channels.base import Outgoing, Target
from roadie.notifications.channels.render import render, title

DEFAULT_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
SECTION_LIMIT = 3000


def payload(outgoing: Outgoing) -> dict[str, object]:
    text = render("slack", outgoing)
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    return {
        "text": title(outgoing),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def send(target: Target, outgoing: Outgoing) -> None:
    response = http.post(target.url, http.dumps(payload(outgoing)), {}, target.timeout)
    http.check_status(response, "Slack")
