"""Console pages: channels (create, test, disable) and dead letters with channel and error."""

import pytest
from django.test import Client
from django.urls import reverse

from roadie.core import clock
from roadie.notifications.models import Channel, OutboxMessage
from roadie.notifications.services import channel_create
from roadie.notifications.tests.receivers import FeishuReceiver

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "SECconsole012345"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_manager_creates_a_channel_for_an_organization(manager, org_a):
    client = client_for(manager)
    page = client.get(reverse("console:channels"))
    assert page.status_code == 200 and org_a.name in page.text
    response = client.post(
        reverse("console:channels"),
        {
            "kind": "dingtalk",
            "name": "甲公司值班群",
            "owner": str(org_a.pk),
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t0k",
            "secret": "SEC1",
            "rate_limit_per_minute": "",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.organization == org_a and channel.rate_limit_per_minute == 20
    assert channel.secret == "SEC1"
    assert "甲公司值班群" in client.get(reverse("console:channels")).text


def test_an_invalid_url_is_shown_next_to_the_field(manager):
    response = client_for(manager).post(
        reverse("console:channels"),
        {
            "kind": "webhook",
            "name": "bad",
            "owner": "",
            "url": "ftp://example.com/hook",
            "language": "en",
        },
    )
    assert response.status_code == 422
    assert "http://" in response.text
    assert not Channel.objects.exists()


def test_send_test_message_shows_the_platforms_answer(manager):
    with FeishuReceiver(SECRET) as bot:
        good = channel_create(by=manager, kind="feishu", name="飞书群", url=bot.url, secret=SECRET)
        bad = channel_create(by=manager, kind="feishu", name="错密钥", url=bot.url, secret="nope")
        client = client_for(manager)
        ok = client.post(reverse("console:channel_test", args=[good.pk]), **HTMX)
        failed = client.post(reverse("console:channel_test", args=[bad.pk]), **HTMX)
    assert ok.status_code == 200 and "badge" in ok.text and "19021" not in ok.text
    assert "19021" in failed.text
    assert len(bot.messages) == 1


def test_disabling_a_channel_swaps_its_row(manager):
    channel = channel_create(by=manager, kind="webhook", name="ops", url="https://ops.example/h")
    response = client_for(manager).post(
        reverse("console:channel_toggle", args=[channel.pk]), **HTMX
    )
    assert f'id="channel-{channel.pk}"' in response.text
    channel.refresh_from_db()
    assert not channel.enabled


def test_editing_keeps_the_secret_unless_a_new_one_is_given(manager):
    channel = channel_create(
        by=manager, kind="webhook", name="ops", url="https://ops.example/h", secret="old"
    )
    client = client_for(manager)
    assert client.get(reverse("console:channel_edit", args=[channel.pk])).status_code == 200
    response = client.post(
        reverse("console:channel_edit", args=[channel.pk]),
        {
            "name": "ops 2",
            "url": "https://ops.example/h2",
            "secret": "",
            "rate_limit_per_minute": 5,
            "language": "en",
        },
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.secret, channel.rate_limit_per_minute) == ("ops 2", "old", 5)


def test_channel_pages_are_for_managers_and_admins_only(agent, customer_a, org_a):
    channel = channel_create(
        by=None, kind="webhook", name="ops", url="https://ops.example/h", organization=org_a
    )
    urls = [
        reverse("console:channels"),
        reverse("console:channel_edit", args=[channel.pk]),
    ]
    for url in urls:
        assert client_for(customer_a).get(url).status_code == 404
        assert client_for(agent).get(url).status_code == 403
    assert (
        client_for(customer_a)
        .post(reverse("console:channel_toggle", args=[channel.pk]))
        .status_code
        == 404
    )
    channel.refresh_from_db()
    assert channel.enabled


def test_dead_letters_show_the_channel_and_the_last_error(manager, org_a):
    channel = channel_create(
        by=None,
        kind="dingtalk",
        name="甲公司值班群",
        url="https://oapi.dingtalk.com/robot/send?access_token=x",
        organization=org_a,
    )
    OutboxMessage.objects.create(
        kind="dingtalk",
        channel=channel,
        recipient=channel.name,
        subject="[RD-9] 推流中断",
        body="…",
        idempotency_key="d:1",
        status=OutboxMessage.Status.DEAD,
        attempts=1,
        next_attempt_at=clock.now(),
        last_error="DingTalk errcode 310000: sign not match",
    )
    page = client_for(manager).get(reverse("console:outbox"))
    assert "甲公司值班群" in page.text and org_a.name in page.text
    assert "310000" in page.text
    assert 'id="outbox-' in page.text and ("Retry" in page.text or "重试" in page.text)
