"""E-mail through Django's mail backend (SMTP in production)."""

from django.conf import settings
from django.core.mail import EmailMessage

from roadie.notifications.channels.base import Outgoing, Target, TransientFailure
from roadie.notifications.channels.render import render, title


def send(target: Target, outgoing: Outgoing) -> None:
    recipient = outgoing.recipient or target.url.removeprefix("mailto:")
    if outgoing.is_digest:
        subject, body = title(outgoing), render("email", outgoing, extension="txt")
    else:
        subject, body = outgoing.items[0].subject, outgoing.items[0].body
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers=outgoing.headers,
    )
    try:
        email.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 — any transport failure is retried, not raised
        raise TransientFailure(f"{type(error).__name__}: {error}") from error
