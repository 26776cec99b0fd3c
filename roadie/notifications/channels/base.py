"""What every sender receives and how it reports failure."""

from dataclasses import dataclass, field


class DeliveryFailure(Exception):
    """A send that did not succeed; `permanent` ones are dead letters at once."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientFailure(DeliveryFailure):
    """Worth retrying later: a timeout, a 5xx, the platform's own rate limit."""


class PermanentFailure(DeliveryFailure):
    """Retrying cannot help: a bad signature, an unknown robot, a rejected payload."""

    permanent = True


@dataclass(frozen=True)
class Item:
    """One notification as the caller wrote it."""

    key: str
    subject: str
    body: str
    links: dict[str, str] = field(default_factory=dict)
    urgent: bool = False
    event: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Mentions:
    mobiles: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    everyone: bool = False

    def __bool__(self) -> bool:
        return bool(self.mobiles or self.user_ids or self.everyone)


@dataclass(frozen=True)
class Outgoing:
    """What goes out in one request: one item, or several as a digest."""

    key: str
    items: tuple[Item, ...]
    language: str = "zh-hans"
    mentions: Mentions = Mentions()
    recipient: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_digest(self) -> bool:
        return len(self.items) > 1

    @property
    def urgent(self) -> bool:
        return any(item.urgent for item in self.items)


@dataclass(frozen=True)
class Target:
    """Where to: a channel's configuration (or a bare e-mail address)."""

    kind: str
    url: str
    secret: str = ""
    timeout: float = 10.0
