"""notify_user / notify_organization through the outbox to loopback robots and webhooks."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from roadie.accounts.models import Role
from roadie.core import clock
from roadie.core.tests import factories
from roadie.notifications import delivery
from roadie.notifications.errors import InvalidPreference
from roadie.notifications.models import OutboxMessage
from roadie.notifications.services import (
    channel_create,
    channel_set_enabled,
    channel_set_secret,
    notify_organization,
    notify_user,
    notify_users,
    organization_preference_update,
    outbox_retry,
    preference_update,
)
from roadie.notifications.tests.receivers import (
    DingTalkReceiver,
    FeishuReceiver,
    WebhookReceiver,
)

pytestmark = pytest.mark.django_db

SECRET = "SECabcdef0123456789"
SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = OutboxMessage.Status


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch):
    fake = FrozenClock(datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI))
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def engineer(db):
    return factories.make_user(Role.ENGINEER, email="oncall@vendor.example")


def page(user, key="page:1", urgent=False, event="oncall.page"):
    return notify_user(
        user=user,
        event=event,
        subject="[RD-7] 直播推流中断",
        body="推流服务器无响应，请立即处理。",
        urgent=urgent,
        idempotency_key=key,
        links={"acknowledge": "https://roadie.example/ack/abc"},
    )


def test_without_preferences_a_user_gets_an_email_with_the_links(
    engineer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        [message] = page(engineer)

    assert message.kind == "email" and message.recipient == engineer.email
    [sent] = mail.outbox
    assert sent.subject == "[RD-7] 直播推流中断"
    assert "https://roadie.example/ack/abc" in sent.body
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_the_same_idempotency_key_queues_nothing_new(engineer):
    first = page(engineer)
    again = page(engineer)
    assert [m.pk for m in again] == [m.pk for m in first]
    assert OutboxMessage.objects.count() == 1


def test_a_page_goes_to_a_personal_dingtalk_robot_with_an_at_mention(
    engineer, django_capture_on_commit_callbacks
):
    with DingTalkReceiver(SECRET) as robot:
        channel = channel_create(
            by=engineer,
            kind="dingtalk",
            name="我的钉钉",
            url=robot.url,
            secret=SECRET,
            user=engineer,
        )
        preference_update(
            user=engineer,
            routes={"oncall.page": [str(channel.pk), "email"], "*": ["email"]},
            quiet_start=None,
            quiet_end=None,
            time_zone="Asia/Shanghai",
            mobile="13800000000",
        )
        with django_capture_on_commit_callbacks(execute=True):
            messages = page(engineer)
            page(engineer, key="reply:1", event="ticket.reply")

    assert sorted(m.kind for m in messages) == ["dingtalk", "email"]
    [robot_message] = robot.messages
    assert "@13800000000" in robot_message["markdown"]["text"]
    assert robot_message["at"]["atMobiles"] == ["13800000000"]
    assert len(mail.outbox) == 2  # the page and the reply, both also by e-mail
    assert not OutboxMessage.objects.exclude(status=Status.SENT).exists()


def test_quiet_hours_delay_a_message_to_their_end_in_the_users_zone(frozen, engineer):
    preference_update(
        user=engineer,
        routes={},
        quiet_start=time(22, 0),
        quiet_end=time(8, 0),
        time_zone="Asia/Shanghai",
    )
    [message] = page(engineer, event="ticket.reply")

    assert message.next_attempt_at == datetime(2026, 3, 11, 8, 0, tzinfo=SHANGHAI)
    assert delivery.outbox_deliver_due() == 0
    assert mail.outbox == []
    frozen.advance(hours=8, minutes=30)
    assert delivery.outbox_deliver_due() == 1
    assert len(mail.outbox) == 1


def test_urgent_messages_ignore_quiet_hours(frozen, engineer):
    preference_update(
        user=engineer,
        routes={},
        quiet_start=time(22, 0),
        quiet_end=time(8, 0),
        time_zone="Asia/Shanghai",
    )
    [message] = page(engineer, urgent=True)
    assert message.next_attempt_at == frozen.at
    assert delivery.outbox_deliver_due() == 1


def test_an_urgent_event_the_user_muted_still_arrives_by_email(engineer):
    preference_update(
        user=engineer,
        routes={"oncall.page": []},
        quiet_start=None,
        quiet_end=None,
        time_zone="Asia/Shanghai",
    )
    assert page(engineer, key="muted", urgent=False) == []
    [message] = page(engineer, key="urgent", urgent=True)
    assert message.kind == "email"


def test_a_user_may_not_route_to_another_organizations_channel(customer_a, org_b):
    foreign = channel_create(
        by=None,
        kind="webhook",
        name="beta hook",
        url="https://beta.example/hook",
        organization=org_b,
    )
    with pytest.raises(InvalidPreference):
        preference_update(
            user=customer_a,
            routes={"*": [str(foreign.pk)]},
            quiet_start=None,
            quiet_end=None,
            time_zone="Asia/Shanghai",
        )


def test_notify_organization_posts_to_the_robots_its_routes_name(
    org_a, customer_a, django_capture_on_commit_callbacks
):
    with WebhookReceiver(SECRET) as ops, FeishuReceiver(SECRET) as chat:
        hook = channel_create(
            by=customer_a,
            kind="webhook",
            name="ops",
            url=ops.url,
            secret=SECRET,
            organization=org_a,
        )
        bot = channel_create(
            by=customer_a,
            kind="feishu",
            name="运维群",
            url=chat.url,
            secret=SECRET,
            organization=org_a,
        )
        organization_preference_update(
            organization=org_a,
            by=customer_a,
            routes={"advisory": [str(bot.pk)]},
            quiet_start=None,
            quiet_end=None,
            time_zone="Asia/Shanghai",
        )
        with django_capture_on_commit_callbacks(execute=True):
            advisory = notify_organization(
                organization=org_a,
                event="advisory",
                subject="安全公告 RSA-2026-01",
                body="请升级到 3.4.2",
                idempotency_key="advisory:1",
            )
            release = notify_organization(
                organization=org_a,
                event="release",
                subject="3.5.0 发布",
                body="…",
                idempotency_key="release:1",
            )

    assert [m.channel_id for m in advisory] == [bot.pk]
    assert sorted(m.channel_id for m in release) == sorted([hook.pk, bot.pk])
    assert len(chat.messages) == 2 and len(ops.deliveries) == 1


def test_a_robot_secret_that_does_not_verify_is_a_dead_letter_at_once(
    org_a, customer_a, django_capture_on_commit_callbacks
):
    with FeishuReceiver(SECRET) as chat:
        bot = channel_create(
            by=customer_a,
            kind="feishu",
            name="群",
            url=chat.url,
            secret="wrong",
            organization=org_a,
        )
        with django_capture_on_commit_callbacks(execute=True):
            [message] = notify_organization(
                organization=org_a,
                event="release",
                subject="3.5.0",
                body="…",
                idempotency_key="release:2",
            )
        message.refresh_from_db()
        assert message.status == Status.DEAD and message.attempts == 1
        assert "19021" in message.last_error
        bot.refresh_from_db()
        assert "19021" in bot.last_error

        channel_set_secret(channel=bot, by=customer_a, secret=SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            outbox_retry(message=message)
    message.refresh_from_db()
    assert message.status == Status.SENT and len(chat.messages) == 1


def test_a_rate_limited_robot_gets_the_overflow_as_one_digest_later(frozen, org_a):
    with DingTalkReceiver(SECRET) as robot:
        bot = channel_create(
            by=None,
            kind="dingtalk",
            name="群",
            url=robot.url,
            secret=SECRET,
            organization=org_a,
            rate_limit_per_minute=3,
        )
        for n in range(7):
            notify_organization(
                organization=org_a,
                event="ticket.reply",
                subject=f"Update {n}",
                body=f"b{n}",
                idempotency_key=f"reply:{n}",
            )
        delivery.outbox_deliver_due()
        assert len(robot.requests) == 3
        waiting = OutboxMessage.objects.filter(status=Status.PENDING)
        assert waiting.count() == 4 and all(m.rate_limited for m in waiting)

        frozen.advance(seconds=30)
        delivery.outbox_deliver_due()
        assert len(robot.requests) == 3  # the window is still full

        frozen.advance(seconds=31)
        delivery.outbox_deliver_due()
        assert len(robot.requests) == 4
    digest = robot.messages[-1]["markdown"]
    assert digest["title"] == "4 条更新"
    for n in range(3, 7):
        assert f"Update {n}" in digest["text"]
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 4
    assert OutboxMessage.objects.filter(status=Status.COALESCED).count() == 3
    assert not OutboxMessage.objects.filter(status=Status.PENDING).exists()
    bot.refresh_from_db()
    assert len(bot.recent_sends) == 1  # the first three slid out of the window


def test_a_crashed_workers_claim_expires_and_the_message_goes_out_again(org_a):
    with WebhookReceiver(SECRET) as hook:
        channel = channel_create(
            by=None, kind="webhook", name="ops", url=hook.url, secret=SECRET, organization=org_a
        )
        [message] = notify_organization(
            organization=org_a, event="release", subject="3.5.0", body="…", idempotency_key="r:9"
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=clock.now() + timedelta(seconds=30), claim_token="dead-worker"
        )
        assert delivery.outbox_deliver_due() == 0  # still held by the crashed worker
        OutboxMessage.objects.filter(pk=message.pk).update(
            claimed_until=clock.now() - timedelta(seconds=1)
        )
        assert delivery.outbox_deliver_due() == 1
    assert hook.deliveries == {message.idempotency_key: 1}
    assert channel.pk == message.channel_id


def test_transient_failures_are_retried_with_backoff(org_a):
    with WebhookReceiver(SECRET, fail_first=1) as hook:
        channel_create(
            by=None, kind="webhook", name="ops", url=hook.url, secret=SECRET, organization=org_a
        )
        [message] = notify_organization(
            organization=org_a, event="release", subject="3.5.0", body="…", idempotency_key="r:1"
        )
        assert delivery.outbox_deliver_due() == 0
        message.refresh_from_db()
        assert message.status == Status.PENDING and message.attempts == 1
        assert "503" in message.last_error
        assert message.next_attempt_at > clock.now() + timedelta(seconds=14)
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=clock.now())
        assert delivery.outbox_deliver_due() == 1
    message.refresh_from_db()
    assert message.attempts == 2 and message.last_error == ""


def test_messages_of_a_disabled_channel_become_dead_letters(org_a):
    channel = channel_create(
        by=None, kind="webhook", name="ops", url="http://127.0.0.1:9/hook", organization=org_a
    )
    [message] = notify_organization(
        organization=org_a, event="release", subject="3.5.0", body="…", idempotency_key="r:2"
    )
    channel_set_enabled(channel=channel, by=None, enabled=False)
    delivery.outbox_deliver_due()
    message.refresh_from_db()
    assert message.status == Status.DEAD and "disabled" in message.last_error


def test_notify_users_fans_out_in_one_insert(django_assert_max_num_queries):
    users = [factories.make_user(Role.CUSTOMER_MEMBER) for _ in range(30)]
    with django_assert_max_num_queries(6):
        messages = notify_users(
            users=users, event="advisory", subject="安全公告", body="…", idempotency_key="adv:7"
        )
    assert len(messages) == 30
