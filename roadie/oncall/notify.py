"""The one place on-call reaches people: roadie.notifications' notify_user.

Messages are written in the caller's transaction and delivered after it commits, on each
person's own channels and preferences (quiet hours in their own zone, never for urgent).
"""

from roadie.accounts.models import User
from roadie.notifications.models import OutboxMessage
from roadie.notifications.services import notify_user


def notify(
    *,
    user: User,
    event: str,
    subject: str,
    body: str,
    urgent: bool,
    idempotency_key: str,
    links: dict[str, str] | None = None,
) -> list[OutboxMessage]:
    """Queue a message to the person on their channels; returns the queued messages."""
    return notify_user(
        user=user,
        event=event,
        subject=subject,
        body=body,
        urgent=urgent,
        idempotency_key=idempotency_key,
        links=links,
    )
