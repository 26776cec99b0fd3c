"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for tests."""

import socket
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, cast

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Collector:
    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(content))
        self.received.append(
            Received(
                mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), message=message
            )
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """`with SmtpSink() as smtp:` listens on 127.0.0.1:smtp.port until the block ends."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return list(self._collector.received)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages whose envelope named `address` as a recipient, oldest first."""
        return [r.message for r in self._collector.received if address in r.rcpt_tos]

    def clear(self) -> None:
        self._collector.received.clear()

    def __enter__(self) -> "SmtpSink":
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


def use_smtp(settings: Any, port: int) -> None:
    """Point Django's mail at 127.0.0.1:`port` through the real SMTP backend."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
