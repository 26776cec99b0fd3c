"""Generic webhook: a signed JSON body.

Headers: X-Roadie-Timestamp (Unix seconds), X-Roadie-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" keyed by the channel's secret>, X-Roadie-Delivery (the idempotency key: a
receiver drops a delivery it has already seen), X-Roadie-Event. Receivers should reject a
timestamp more than 5 minutes from their clock (docs/notifications.md).
"""

import hashlib
import hmac
import time
from urllib.parse import quote

from roadie.notifications.channels import http
from roadie.notifications.channels.base import Outgoing, Target
from roadie.notifications.channels.render import render, title

REPLAY_WINDOW_SECONDS = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def header_safe(key: str) -> str:
    return quote(key, safe=":/-_.@+=~")


def payload(outgoing: Outgoing) -> dict[str, object]:
    first = outgoing.items[0]
    return {
        "id": outgoing.key,
        "event": first.event if not outgoing.is_digest else "digest",
        "subject": title(outgoing),
        "text": render("webhook", outgoing),
        "urgent": outgoing.urgent,
        "language": outgoing.language,
        "items": [
            {
                "id": item.key,
                "event": item.event,
                "subject": item.subject,
                "body": item.body,
                "links": item.links,
                "urgent": item.urgent,
                "created_at": item.created_at,
            }
            for item in outgoing.items
        ],
    }


def send(target: Target, outgoing: Outgoing, *, now: float | None = None) -> None:
    body = http.dumps(payload(outgoing))
    timestamp = str(int(now if now is not None else time.time()))
    headers = {
        "X-Roadie-Timestamp": timestamp,
        "X-Roadie-Delivery": header_safe(outgoing.key),
        "X-Roadie-Event": header_safe(outgoing.items[0].event or "message"),
    }
    if target.secret:
        headers["X-Roadie-Signature"] = signature(target.secret, timestamp, body)
    response = http.post(target.url, body, headers, target.timeout)
    http.check_status(response, "webhook")
