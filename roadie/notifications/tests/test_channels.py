"""Each sender against a loopback receiver that verifies the platform's own signature."""

import socket
import time

import pytest
from django.utils import translation

from roadie.notifications import channels
from roadie.notifications.channels import (
    Item,
    Mentions,
    Outgoing,
    PermanentFailure,
    Target,
    TransientFailure,
    dingtalk,
    feishu,
    webhook,
)
from roadie.notifications.errors import InvalidChannel
from roadie.notifications.services import channel_create, channel_validate_address
from roadie.notifications.tests.receivers import (
    DingTalkReceiver,
    FeishuReceiver,
    SlackReceiver,
    WebhookReceiver,
    WeComReceiver,
)

SECRET = "SEC0123456789abcdef"
LINKS = {"acknowledge": "https://roadie.example/ack/abc", "ticket": "https://roadie.example/t/RD-7"}


def outgoing(*, language: str = "en", urgent: bool = True, **extra) -> Outgoing:
    item = Item(
        key="page:7:u3:c9",
        subject="[RD-7] 直播推流中断",
        body="推流服务器无响应 <all> & more",
        links=LINKS,
        urgent=urgent,
        event="oncall.page",
    )
    return Outgoing(key=item.key, items=(item,), language=language, **extra)


def digest(count: int = 3) -> Outgoing:
    items = tuple(
        Item(key=f"k{n}", subject=f"Update {n}", body=f"body {n}", event="ticket.reply")
        for n in range(count)
    )
    return Outgoing(key="k0", items=items, language="en")


# -- Generic webhook ---------------------------------------------------------------------------


def test_webhook_body_is_signed_over_timestamp_and_body_and_names_the_delivery():
    with WebhookReceiver(SECRET) as receiver:
        channels.send(Target("webhook", receiver.url, SECRET), outgoing())

    [request] = receiver.requests
    assert receiver.deliveries == {"page:7:u3:c9": 1}
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["x-roadie-event"] == "oncall.page"
    body = request.json
    assert body["id"] == "page:7:u3:c9" and body["urgent"] is True
    assert body["items"][0]["links"] == LINKS
    assert "[RD-7] 直播推流中断" in body["text"]


def test_webhook_with_the_wrong_secret_is_refused_for_good():
    with WebhookReceiver(SECRET) as receiver:
        with pytest.raises(PermanentFailure, match="401"):
            channels.send(Target("webhook", receiver.url, "wrong"), outgoing())
    assert receiver.rejected == ["signature"]


def test_webhook_receiver_rejects_a_replayed_old_timestamp():
    with WebhookReceiver(SECRET) as receiver:
        with pytest.raises(PermanentFailure):
            webhook.send(Target("webhook", receiver.url, SECRET), outgoing(), now=time.time() - 301)
    assert receiver.rejected == ["replay"]


def test_webhook_5xx_and_refused_connections_are_transient():
    with WebhookReceiver(SECRET, fail_first=1) as receiver:
        with pytest.raises(TransientFailure, match="503"):
            channels.send(Target("webhook", receiver.url, SECRET), outgoing())
        channels.send(Target("webhook", receiver.url, SECRET), outgoing())
        port = receiver.port
    with pytest.raises(TransientFailure):
        channels.send(
            Target("webhook", f"http://127.0.0.1:{port}/gone", SECRET, timeout=2), outgoing()
        )


# -- DingTalk ----------------------------------------------------------------------------------


def test_dingtalk_signs_the_query_and_mentions_by_mobile():
    with DingTalkReceiver(SECRET) as receiver:
        channels.send(
            Target("dingtalk", receiver.url, SECRET),
            outgoing(mentions=Mentions(mobiles=("13800000000",))),
        )
    [message] = receiver.messages
    assert message["msgtype"] == "markdown"
    assert message["markdown"]["title"] == "[RD-7] 直播推流中断"
    text = message["markdown"]["text"]
    assert "@13800000000" in text and "[Acknowledge](https://roadie.example/ack/abc)" in text
    assert message["at"] == {"atMobiles": ["13800000000"], "atUserIds": [], "isAtAll": False}


def test_dingtalk_with_a_secret_that_does_not_verify_is_a_permanent_failure():
    with DingTalkReceiver(SECRET) as receiver:
        with pytest.raises(PermanentFailure, match="310000"):
            channels.send(Target("dingtalk", receiver.url, "not-the-secret"), outgoing())


def test_dingtalk_too_fast_is_transient_for_the_ten_minute_block():
    with DingTalkReceiver(SECRET) as receiver:
        for _ in range(20):
            channels.send(Target("dingtalk", receiver.url, SECRET), outgoing())
        with pytest.raises(TransientFailure) as caught:
            channels.send(Target("dingtalk", receiver.url, SECRET), outgoing())
    assert caught.value.retry_after == 600


# -- Feishu / Lark -----------------------------------------------------------------------------


def test_feishu_signs_in_the_body_with_the_key_and_message_the_other_way_round():
    with FeishuReceiver(SECRET) as receiver:
        channels.send(Target("feishu", receiver.url, SECRET), outgoing(language="zh-hans"))
    [message] = receiver.messages
    assert message["msg_type"] == "interactive"
    card = message["card"]
    assert card["header"]["title"]["content"] == "[RD-7] 直播推流中断"
    assert card["header"]["template"] == "red"
    buttons = card["elements"][1]["actions"]
    assert [b["url"] for b in buttons] == list(LINKS.values())
    # The two robots' signatures are not interchangeable.
    assert feishu.sign(SECRET, 1700000000) != dingtalk.sign(SECRET, 1700000000)


def test_feishu_with_a_dingtalk_style_signature_is_refused_with_19021():
    with FeishuReceiver(SECRET) as receiver:
        with pytest.raises(PermanentFailure, match="19021"):
            channels.send(Target("feishu", receiver.url, "another-secret"), outgoing())


# -- WeCom and Slack ---------------------------------------------------------------------------


def test_wecom_sends_markdown_and_text_with_mentions():
    with WeComReceiver() as receiver:
        channels.send(Target("wecom", receiver.url), outgoing())
        channels.send(
            Target("wecom", receiver.url),
            outgoing(mentions=Mentions(mobiles=("13800000000",), user_ids=("zhangsan",))),
        )
        with pytest.raises(PermanentFailure, match="93000"):
            channels.send(
                Target("wecom", receiver.base + "/cgi-bin/webhook/send?key=x"), outgoing()
            )
    markdown, text = receiver.messages
    assert markdown["msgtype"] == "markdown"
    assert '<font color="warning">**Urgent**</font>' in markdown["markdown"]["content"]
    assert text["msgtype"] == "text"
    assert text["text"]["mentioned_mobile_list"] == ["13800000000"]
    assert text["text"]["mentioned_list"] == ["zhangsan"]


def test_slack_gets_text_and_a_mrkdwn_section_with_escaped_text():
    with SlackReceiver() as receiver:
        channels.send(Target("slack", receiver.url), outgoing())
        with pytest.raises(PermanentFailure, match="404"):
            channels.send(Target("slack", receiver.base + "/services/nope"), outgoing())
    [message] = receiver.messages
    assert message["text"] == "[RD-7] 直播推流中断"
    [section] = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    text = section["text"]["text"]
    assert "&lt;all&gt; &amp; more" in text
    assert "<https://roadie.example/ack/abc|Acknowledge>" in text


# -- Templates ---------------------------------------------------------------------------------


def test_templates_render_in_the_language_of_the_message():
    with DingTalkReceiver(SECRET) as receiver:
        channels.send(Target("dingtalk", receiver.url, SECRET), outgoing(language="zh-hans"))
        channels.send(Target("dingtalk", receiver.url, SECRET), outgoing(language="en"))
    chinese, english = (m["markdown"]["text"] for m in receiver.messages)
    assert "紧急" in chinese and "确认" in chinese
    assert "Urgent" in english and "Acknowledge" in english


def test_a_digest_says_how_many_updates_it_carries():
    with SlackReceiver() as receiver:
        channels.send(Target("slack", receiver.url), digest(5))
    [message] = receiver.messages
    assert message["text"] == "5 updates"
    assert "Update 4" in message["blocks"][0]["text"]["text"]


# -- Validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "example.com/hook",
        "http://",
        "https:///path",
        "http://exa mple.com",
    ],
)
def test_an_invalid_webhook_url_is_a_clear_error(url):
    with pytest.raises(InvalidChannel) as caught:
        channel_validate_address(kind="webhook", url=url)
    assert caught.value.field == "url"


@pytest.fixture
def public_only(settings):
    """Production's default: no network allowed beyond the public Internet."""
    settings.ROADIE_WEBHOOK_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata service
        "https://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "http://0.0.0.0/",
        "http://[64:ff9b::a00:5]/",  # NAT64 of 10.0.0.5
        "http://[64:ff9b:1::1]/",
        "http://[2002:7f00:1::1]/",  # 6to4 of 127.0.0.1
        "http://[::127.0.0.1]/",
        "http://[::ffff:0:7f00:1]/",
        "http://[fec0::1]/",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
    ],
)
def test_a_url_naming_a_private_or_local_address_is_refused(url, public_only):
    with translation.override("en"), pytest.raises(InvalidChannel, match="private or") as caught:
        channel_validate_address(kind="webhook", url=url)
    assert caught.value.field == "url"


def test_a_name_that_resolves_to_loopback_is_refused_when_it_connects(public_only):
    with WebhookReceiver(SECRET) as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        assert channel_validate_address(kind="webhook", url=url) == url  # a name passes here
        with pytest.raises(PermanentFailure, match="private or local") as caught:
            channels.send(Target("webhook", url, SECRET), outgoing())
    assert receiver.requests == []
    assert "127.0.0.1" not in str(caught.value)  # nothing learnt about the inside


def test_a_refused_host_is_never_connected_to(public_only, monkeypatch):
    connected = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, addr: connected.append(addr))
    with pytest.raises(PermanentFailure):
        channels.send(Target("webhook", "http://localhost:5432/", SECRET), outgoing())
    assert connected == []  # an open or a closed port answer alike: not at all


def test_a_public_nat64_address_is_allowed(public_only):
    # 64:ff9b::808:808 is 8.8.8.8 behind NAT64: public, so the URL may be saved.
    assert channel_validate_address(kind="webhook", url="http://[64:ff9b::808:808]/h")


def test_an_allowed_network_is_reachable(settings):
    import ipaddress

    settings.ROADIE_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert channel_validate_address(kind="webhook", url="http://10.1.2.3/hook")
    with pytest.raises(InvalidChannel):
        channel_validate_address(kind="webhook", url="http://192.168.1.1/hook")


def test_an_email_channel_needs_an_address(db):
    with pytest.raises(InvalidChannel):
        channel_create(by=None, kind="email", name="ops", url="not an address")
    channel = channel_create(by=None, kind="email", name="ops", url="mailto:ops@alpha.example")
    assert channel.url == "ops@alpha.example"


def test_platform_rate_limits_are_the_default(db):
    dingtalk_channel = channel_create(
        by=None,
        kind="dingtalk",
        name="值班群",
        url="https://oapi.dingtalk.com/robot/send?access_token=x",
    )
    feishu_channel = channel_create(
        by=None, kind="feishu", name="oncall", url="https://open.feishu.cn/open-apis/bot/v2/hook/x"
    )
    hook = channel_create(by=None, kind="webhook", name="ops", url="https://ops.example/hook")
    assert dingtalk_channel.rate_limit_per_minute == 20
    assert feishu_channel.rate_limit_per_minute == 100
    assert hook.rate_limit_per_minute == 0
