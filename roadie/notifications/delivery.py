"""Delivering outbox messages: claim a batch under a lease, send, record; retried with
exponential backoff and jitter up to a cap, then dead-lettered.

At least once: a worker killed mid-send leaves its messages claimed until the lease runs out,
then any worker sends them again with the same idempotency key (X-Roadie-Delivery), so the
receiver can drop the duplicate. Rate-limited channels take a slot in a sliding one-minute
window; a message that finds no slot waits, and the waiting messages of a channel go out
together as one digest when a slot frees up — nothing is dropped.
"""

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.dateparse import parse_datetime

from roadie.core import clock
from roadie.notifications import channels
from roadie.notifications.channels import (
    DeliveryFailure,
    Item,
    Mentions,
    Outgoing,
    PermanentFailure,
    Target,
)
from roadie.notifications.models import Channel, ChannelKind, OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
LEASE_MARGIN_SECONDS = 5
EMAIL_TIMEOUT_SECONDS = 30
BATCH_SIZE = 100
FLUSH_EVERY = 25
MAX_DIGEST_ITEMS = 50
RATE_WINDOW = timedelta(seconds=60)

Status = OutboxMessage.Status


def _backoff(attempts: int) -> timedelta:
    base = min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))


def _timeout(message: OutboxMessage) -> float:
    if message.channel is not None:
        return float(message.channel.timeout_seconds)
    return float(getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT_SECONDS)


def _due(now: datetime) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


# -- Rate limits and digests ------------------------------------------------------------------


def take_slot(*, channel_id: int, limit: int, now: datetime) -> datetime | None:
    """Count one send in the channel's sliding minute; None when taken, else when one frees."""
    with transaction.atomic():
        channel = Channel.objects.select_for_update().only("recent_sends").get(pk=channel_id)
        cutoff = now - RATE_WINDOW
        recent = sorted(
            t
            for t in (parse_datetime(str(s)) for s in channel.recent_sends or [])
            if t and t > cutoff
        )
        if len(recent) >= limit:
            return recent[len(recent) - limit] + RATE_WINDOW
        recent.append(now)
        Channel.objects.filter(pk=channel_id).update(recent_sends=[t.isoformat() for t in recent])
        return None


def _bind_waiting(leader: OutboxMessage, token: str) -> list[OutboxMessage]:
    """Fold the channel's waiting (rate-limited) messages into the leader's digest."""
    waiting = (
        OutboxMessage.objects.filter(
            channel_id=leader.channel_id,
            status=Status.PENDING,
            rate_limited=True,
            digest__isnull=True,
        )
        .exclude(pk=leader.pk)
        .filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=clock.now()) | Q(claim_token=token)
        )
        .order_by("created_at", "pk")
    )
    room = MAX_DIGEST_ITEMS - 1 - leader.digest_members.count()
    ids = list(waiting.values_list("pk", flat=True)[: max(room, 0)])
    if ids:
        with transaction.atomic():
            OutboxMessage.objects.filter(pk__in=ids, status=Status.PENDING).filter(
                Q(claimed_until__isnull=True)
                | Q(claimed_until__lte=clock.now())
                | Q(claim_token=token)
            ).update(digest=leader, status=Status.COALESCED, claimed_until=None, claim_token="")
            payload = {**leader.payload, "digest": True}
            OutboxMessage.objects.filter(pk=leader.pk).update(payload=payload)
            leader.payload = payload
    if not leader.payload.get("digest"):
        return []
    return list(leader.digest_members.order_by("created_at", "pk"))


# -- Building what goes out -------------------------------------------------------------------


def _item(message: OutboxMessage) -> Item:
    payload = message.payload or {}
    return Item(
        key=message.idempotency_key,
        subject=message.subject,
        body=message.body,
        links={str(k): str(v) for k, v in (payload.get("links") or {}).items()},
        urgent=bool(payload.get("urgent")),
        event=str(payload.get("event") or ""),
        created_at=message.created_at.isoformat() if message.created_at else "",
    )


def _mentions(messages: list[OutboxMessage]) -> Mentions:
    mobiles: dict[str, None] = {}
    user_ids: dict[str, None] = {}
    everyone = False
    for message in messages:
        mentions = (message.payload or {}).get("mentions") or {}
        mobiles.update(dict.fromkeys(mentions.get("mobiles") or []))
        user_ids.update(dict.fromkeys(mentions.get("user_ids") or []))
        everyone = everyone or bool(mentions.get("everyone"))
    return Mentions(mobiles=tuple(mobiles), user_ids=tuple(user_ids), everyone=everyone)


def _outgoing(message: OutboxMessage, members: list[OutboxMessage]) -> Outgoing:
    everything = [message, *members]
    language = (message.payload or {}).get("language") or (
        message.channel.language if message.channel else "zh-hans"
    )
    return Outgoing(
        key=message.idempotency_key,
        items=tuple(_item(m) for m in everything),
        language=str(language),
        mentions=_mentions(everything),
        recipient=message.recipient if message.kind == ChannelKind.EMAIL else "",
        headers=dict(message.headers or {}),
    )


def _target(message: OutboxMessage) -> Target:
    channel = message.channel
    if channel is None:
        if message.kind != ChannelKind.EMAIL:
            raise PermanentFailure("the channel was deleted")
        return Target(kind=ChannelKind.EMAIL, url=message.recipient, timeout=_timeout(message))
    if not channel.enabled:
        raise PermanentFailure(f"the channel {channel.name!r} is disabled")
    return Target(
        kind=channel.kind, url=channel.url, secret=channel.secret, timeout=_timeout(message)
    )


# -- Recording outcomes -----------------------------------------------------------------------


def _record_sent(ids: list[int], channel_ids: set[int], token: str) -> None:
    if not ids:
        return
    now = clock.now()
    OutboxMessage.objects.filter(pk__in=ids, claim_token=token).update(
        status=Status.SENT,
        attempts=F("attempts") + 1,
        sent_at=now,
        claimed_until=None,
        claim_token="",
        last_error="",
    )
    if channel_ids:
        Channel.objects.filter(pk__in=channel_ids).update(last_success_at=now, last_error="")


def _record_failure(message: OutboxMessage, token: str, failure: DeliveryFailure) -> None:
    attempts = message.attempts + 1
    dead = failure.permanent or attempts >= MAX_ATTEMPTS
    wait = _backoff(attempts)
    if failure.retry_after:
        wait = max(wait, timedelta(seconds=failure.retry_after))
    error = failure.message[:2000]
    OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
        attempts=attempts,
        last_error=error,
        status=Status.DEAD if dead else Status.PENDING,
        next_attempt_at=clock.now() + wait,
        claimed_until=None,
        claim_token="",
    )
    if message.channel_id is not None:
        Channel.objects.filter(pk=message.channel_id).update(last_error=error)
    log.warning(
        "outbox message %s failed (attempt %s%s): %s",
        message.pk,
        attempts,
        ", dead letter" if dead else "",
        error,
    )


def _defer(message: OutboxMessage, token: str, until: datetime) -> None:
    OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
        rate_limited=True, next_attempt_at=until, claimed_until=None, claim_token=""
    )


# -- The delivery loop ------------------------------------------------------------------------


@dataclass
class _Lease:
    token: str
    seconds: float
    until: datetime

    def renew_if_short(self, needed: float, remaining_ids: list[int]) -> set[int]:
        """Extend the lease when the next send might outlast it; the ids still held."""
        now = clock.now()
        if now + timedelta(seconds=needed + 1) <= self.until:
            return set(remaining_ids)
        self.until = now + timedelta(seconds=self.seconds)
        OutboxMessage.objects.filter(
            pk__in=remaining_ids, claim_token=self.token, status=Status.PENDING
        ).update(claimed_until=self.until)
        return set(
            OutboxMessage.objects.filter(pk__in=remaining_ids, claim_token=self.token).values_list(
                "pk", flat=True
            )
        )


def _claim(*, ids: list[int] | None, limit: int) -> tuple[_Lease, list[OutboxMessage]]:
    now = clock.now()
    candidates = OutboxMessage.objects.filter(_due(now))
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    rows = list(
        candidates.order_by("next_attempt_at", "pk").values_list("pk", "channel__timeout_seconds")[
            :limit
        ]
    )
    token = uuid.uuid4().hex
    if not rows:
        return _Lease(token, 0, now), []
    longest = max(
        float(timeout) if timeout is not None else float(EMAIL_TIMEOUT_SECONDS)
        for _pk, timeout in rows
    )
    seconds = longest + LEASE_MARGIN_SECONDS
    until = now + timedelta(seconds=seconds)
    picked = [pk for pk, _timeout in rows]
    OutboxMessage.objects.filter(_due(now), pk__in=picked).update(
        claimed_until=until, claim_token=token
    )
    messages = list(
        OutboxMessage.objects.filter(pk__in=picked, claim_token=token)
        .select_related("channel")
        .order_by("next_attempt_at", "pk")
    )
    return _Lease(token, seconds, until), messages


def _send_one(message: OutboxMessage, token: str, absorbed: set[int]) -> bool:
    """Send one claimed message (with its digest); True when the platform accepted it.

    Messages folded into its digest are added to `absorbed`.
    """
    try:
        target = _target(message)
        members: list[OutboxMessage] = []
        channel = message.channel
        if channel is not None and channel.rate_limit_per_minute:
            free_at = take_slot(
                channel_id=channel.pk, limit=channel.rate_limit_per_minute, now=clock.now()
            )
            if free_at is not None:
                _defer(message, token, free_at + timedelta(milliseconds=random.randint(0, 500)))
                return False
            members = _bind_waiting(message, token)
            absorbed.update(m.pk for m in members)
        elif (message.payload or {}).get("digest"):
            members = list(message.digest_members.order_by("created_at", "pk"))
        channels.send(target, _outgoing(message, members))
    except DeliveryFailure as failure:
        _record_failure(message, token, failure)
        return False
    except Exception as error:  # noqa: BLE001 — a bug in one message must not stop the batch
        log.exception("outbox message %s: unexpected error", message.pk)
        _record_failure(message, token, DeliveryFailure(f"{type(error).__name__}: {error}"))
        return False
    return True


def _deliver_batch(*, ids: list[int] | None, limit: int) -> tuple[int, int]:
    """Claim up to `limit` due messages and send them; (claimed, sent)."""
    lease, messages = _claim(ids=ids, limit=limit)
    sent_total = 0
    sent: list[int] = []
    sent_channels: set[int] = set()
    absorbed: set[int] = set()
    for index, message in enumerate(messages):
        if message.pk in absorbed:
            continue  # already went out inside an earlier message's digest
        remaining = [m.pk for m in messages[index:]]
        held = lease.renew_if_short(_timeout(message), remaining)
        if message.pk not in held:
            continue  # the lease ran out and another worker took it
        if _send_one(message, lease.token, absorbed):
            sent.append(message.pk)
            if message.channel_id is not None:
                sent_channels.add(message.channel_id)
            if len(sent) >= FLUSH_EVERY:
                _record_sent(sent, sent_channels, lease.token)
                sent_total += len(sent)
                sent, sent_channels = [], set()
    _record_sent(sent, sent_channels, lease.token)
    return len(messages), sent_total + len(sent)


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is pending, due and nobody else holds it; True when sent."""
    _claimed, sent = _deliver_batch(ids=[message_id], limit=1)
    return sent == 1


def outbox_deliver_many(*, message_ids: list[int]) -> int:
    """Deliver these messages (those still pending and due); returns how many were sent."""
    sent = 0
    for start in range(0, len(message_ids), BATCH_SIZE):
        sent += _deliver_batch(ids=message_ids[start : start + BATCH_SIZE], limit=BATCH_SIZE)[1]
    return sent


def outbox_deliver_due(*, limit: int = 500) -> int:
    """Deliver pending messages whose next attempt is due; returns how many were sent."""
    processed = sent = 0
    while processed < limit:
        claimed, batch_sent = _deliver_batch(ids=None, limit=min(BATCH_SIZE, limit - processed))
        if claimed == 0:
            break
        processed += claimed
        sent += batch_sent
    return sent


def outbox_sweep(*, budget_seconds: float, interval_seconds: float) -> int:
    """Deliver what is due, again every `interval_seconds`, for about `budget_seconds`."""
    started = time.monotonic()
    sent = 0
    while True:
        sent += outbox_deliver_due(limit=10_000)
        if time.monotonic() - started + interval_seconds > budget_seconds:
            return sent
        time.sleep(interval_seconds)


# -- Sending now (the console's "send a test message") ----------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    ok: bool
    detail: str


def send_now(
    *, channel: Channel, subject: str, body: str, key: str, recipient: str = ""
) -> SendOutcome:
    """Send one message through a channel at once, outside the outbox; never raises."""
    now = clock.now()
    if channel.rate_limit_per_minute:
        free_at = take_slot(channel_id=channel.pk, limit=channel.rate_limit_per_minute, now=now)
        if free_at is not None:
            wait = max(1, int((free_at - now).total_seconds()))
            return SendOutcome(False, f"rate limit reached: try again in {wait} s")
    outgoing = Outgoing(
        key=key,
        items=(
            Item(key=key, subject=subject, body=body, event="test", created_at=now.isoformat()),
        ),
        language=channel.language or "zh-hans",
        recipient=recipient or (channel.url if channel.kind == ChannelKind.EMAIL else ""),
    )
    target = Target(
        kind=channel.kind,
        url=channel.url,
        secret=channel.secret,
        timeout=float(channel.timeout_seconds),
    )
    try:
        channels.send(target, outgoing)
    except DeliveryFailure as failure:
        Channel.objects.filter(pk=channel.pk).update(last_error=failure.message[:2000])
        return SendOutcome(False, failure.message)
    Channel.objects.filter(pk=channel.pk).update(last_success_at=clock.now(), last_error="")
    return SendOutcome(True, "ok")
