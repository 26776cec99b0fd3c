"""One sender per channel kind; `send(target, outgoing)` picks it."""

from collections.abc import Callable

from roadie.notifications.channels import dingtalk, email, feishu, slack, webhook, wecom
from roadie.notifications.channels.base import (
    DeliveryFailure,
    Item,
    Mentions,
    Outgoing,
    PermanentFailure,
    Target,
    TransientFailure,
)

SENDERS: dict[str, Callable[[Target, Outgoing], None]] = {
    "email": email.send,
    "webhook": webhook.send,
    "wecom": wecom.send,
    "dingtalk": dingtalk.send,
    "feishu": feishu.send,
    "slack": slack.send,
}

DEFAULT_URLS = {
    "wecom": wecom.DEFAULT_URL,
    "dingtalk": dingtalk.DEFAULT_URL,
    "feishu": feishu.DEFAULT_URL,
    "slack": slack.DEFAULT_URL,
    "webhook": "https://example.com/roadie-webhook",
}


def send(target: Target, outgoing: Outgoing) -> None:
    """Send now; raises TransientFailure or PermanentFailure."""
    sender = SENDERS.get(target.kind)
    if sender is None:
        raise PermanentFailure(f"unknown channel kind {target.kind!r}")
    sender(target, outgoing)


__all__ = [
    "DEFAULT_URLS",
    "DeliveryFailure",
    "Item",
    "Mentions",
    "Outgoing",
    "PermanentFailure",
    "Target",
    "TransientFailure",
    "send",
]
