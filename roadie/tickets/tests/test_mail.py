"""Incoming e-mail: threading, quote trimming, holding, attachments, review, CLI and IMAP."""

import base64
import io
import logging
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from roadie import cli
from roadie.accounts.models import Role, User
from roadie.core.tests import factories
from roadie.notifications.tests.smtp import free_port
from roadie.tickets import mail, services
from roadie.tickets.errors import InvalidMail, InvalidTicket, InvalidTransition, NotAllowed
from roadie.tickets.mail_auth import authentication_failure
from roadie.tickets.models import Attachment, Comment, InboundMail, Kind, Severity, Status, Ticket
from roadie.tickets.selectors import attachment_get
from roadie.tickets.tests.imap_fake import FakeImapServer, Mailbox

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "mail"


def eml(name: str, ticket: Ticket | None = None) -> bytes:
    """A fixture message; TICKETPK in it becomes the ticket's number."""
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(b"TICKETPK", str(ticket.pk).encode()) if ticket else raw


def message(
    *,
    sender: str = "admin@alpha.example",
    subject: str = "直播推流中断",
    body: str = "推流又断了",
    message_id: str | None = "<m-1@alpha.example>",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@roadie.localhost"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted by their English text, whatever the translations say.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def ticket(customer_a):
    return factories.make_ticket(requester=customer_a, title="直播推流中断")


# Threading ---------------------------------------------------------------------------------------


def test_reply_with_subject_token_is_added_to_the_ticket(ticket, customer_a):
    result = mail.mail_ingest(raw=eml("gmail_reply.eml", ticket))

    assert result.status == InboundMail.Status.THREADED
    assert result.ticket == ticket
    assert result.summary == f"{ticket.number}: reply added"
    [comment] = ticket.comments.all()
    assert comment.author == customer_a
    assert comment.public and comment.source == Comment.Source.EMAIL
    assert comment.body == "The restart fixed it, thanks.\nStream is back at 1080p."
    assert result.inbound.ticket == ticket and result.inbound.subject.endswith("直播推流中断")


def test_reply_threads_by_references_header_alone(ticket):
    # QQ Mail: Chinese subject without the token, HTML only, "原始邮件" quote.
    result = mail.mail_ingest(raw=eml("qq_reply.eml", ticket))

    assert result.status == InboundMail.Status.THREADED and result.ticket == ticket
    [comment] = ticket.comments.all()
    assert comment.body == "已经解决了，谢谢！\n重启后 推流恢复正常 & 观众能看到画面。"


def test_subject_token_is_found_anywhere_and_in_any_case(ticket):
    raw = message(subject=f"答复: 关于 [rd-{ticket.pk}] 的问题")
    assert mail.mail_ingest(raw=raw).ticket == ticket


def test_token_of_another_mail_domain_does_not_thread(ticket):
    raw = message(subject="新问题", In_Reply_To=f"<rd-{ticket.pk}@elsewhere.example>")
    result = mail.mail_ingest(raw=raw)

    assert result.status == InboundMail.Status.CREATED
    assert result.ticket != ticket


def test_outlook_reply_keeps_only_the_answer(ticket):
    mail.mail_ingest(raw=eml("outlook_reply.eml", ticket))
    assert ticket.comments.get().body == "Logs attached in the portal."


def test_staff_reply_by_email_is_a_public_reply_from_that_staff_user(ticket, agent):
    result = mail.mail_ingest(
        raw=message(sender="Agent <AGENT@vendor.example>", subject=f"Re: [RD-{ticket.pk}] x")
    )

    assert result.status == InboundMail.Status.THREADED
    comment = ticket.comments.get()
    assert comment.author == agent and comment.public
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.first_response_at is not None


# Quote trimming ----------------------------------------------------------------------------------

TRIM_CASES = {
    "gmail": (
        "Thanks, it works now.\n\nOn Wed, Nov 25, 2026 at 10:00 AM Roadie <support@x.example> "
        "wrote:\n> Please restart.\n> -- \n> Roadie\n",
        "Thanks, it works now.",
    ),
    "gmail wrapped": (
        "Thanks.\n\nOn Wed, Nov 25, 2026 at 10:00 AM Roadie Support <\nsupport@x.example> wrote:\n"
        "\n> Please restart.\n",
        "Thanks.",
    ),
    "qq mail": (
        "已经恢复了\n\n在 2026年11月25日 10:00，Roadie<support@x.example> 写道：\n> 请重启服务\n",
        "已经恢复了",
    ),
    "foxmail": (
        '好的，明天升级\n\n------------------ 原始邮件 ------------------\n发件人: "Roadie";\n'
        "发送时间: 2026年11月25日(星期三) 上午10:00\n主题: [RD-1] 推流\n\n请升级到 2.4.2\n",
        "好的，明天升级",
    ),
    "netease": (
        "收到\n\n-------- 原始邮件 --------\n发件人：Roadie\n日期：2026-11-25\n\n请升级\n",
        "收到",
    ),
    "outlook": (
        "Logs attached.\n\n________________________________\nFrom: Roadie <support@x.example>\n"
        "Sent: Wednesday, November 25, 2026 10:00 AM\nTo: Alpha\nSubject: [RD-1] Stream\n\nHi\n",
        "Logs attached.",
    ),
    "outlook chinese": (
        "日志见附件\n\n发件人: Roadie <support@x.example>\n发送时间: 2026年11月25日 10:00\n"
        "收件人: Alpha\n主题: [RD-1] 推流\n\n您好\n",
        "日志见附件",
    ),
    "original message": (
        "Done.\n\n-----Original Message-----\nFrom: Roadie\nSent: today\n\nHi\n",
        "Done.",
    ),
    "trailing quote lines": (
        "See below, fixed.\n\n> old text\n> more old text\n",
        "See below, fixed.",
    ),
    "signature": ("Restarted the server.\n\n-- \nAlice\nAlpha Live Ops\n", "Restarted the server."),
    "no quote": (
        "The stream stops every 10 minutes.\nFrom: the logs, nothing obvious.\n",
        "The stream stops every 10 minutes.\nFrom: the logs, nothing obvious.",
    ),
    "crlf line ends": ("Fixed.\r\n\r\nOn Mon, X wrote:\r\n> a\r\n", "Fixed."),
    "only a quote keeps the text": (
        "> just the old text\n> again\n",
        "> just the old text\n> again",
    ),
    "empty": ("", ""),
}


@pytest.mark.parametrize(("text", "expected"), TRIM_CASES.values(), ids=TRIM_CASES.keys())
def test_trim_quoted(text, expected):
    assert mail.trim_quoted(text) == expected


# Holding -----------------------------------------------------------------------------------------


def test_unknown_sender_is_held_with_the_raw_message(db):
    raw = eml("unknown_sender.eml")
    result = mail.mail_ingest(raw=raw)

    assert result.status == InboundMail.Status.HELD
    assert result.summary == "held for review: unknown sender"
    assert result.ticket is None
    held = InboundMail.objects.get()
    assert bytes(held.raw) == raw
    assert held.sender == "stranger@gamma.example" and held.subject == "想购买直播源码"
    assert held.reason == "unknown sender"
    assert not Ticket.objects.exists()


def test_reply_from_another_organization_is_held_and_adds_nothing(ticket, customer_b):
    events_before = ticket.events.count()
    raw = message(sender="admin@beta.example", subject=f"Re: [RD-{ticket.pk}] 直播推流中断")
    result = mail.mail_ingest(raw=raw)

    assert result.status == InboundMail.Status.HELD
    assert result.inbound.reason == "sender may not see this ticket"
    assert not ticket.comments.exists()
    assert ticket.events.count() == events_before
    assert not Ticket.objects.exclude(pk=ticket.pk).exists()


def test_customer_reply_to_a_closed_ticket_is_held(ticket, customer_a, agent):
    services.ticket_change_status(ticket=ticket, status=Status.CLOSED, by=agent)
    result = mail.mail_ingest(raw=message(subject=f"Re: [RD-{ticket.pk}] 直播推流中断"))

    assert result.status == InboundMail.Status.HELD
    assert result.inbound.reason == "ticket closed"
    assert not ticket.comments.exists()


def test_staff_mail_without_a_ticket_number_is_held(agent):
    result = mail.mail_ingest(raw=message(sender="agent@vendor.example", subject="hello"))
    assert result.status == InboundMail.Status.HELD and not Ticket.objects.exists()


def test_token_for_a_ticket_that_does_not_exist_is_held(customer_a):
    result = mail.mail_ingest(raw=message(subject="Re: [RD-999999] 推流"))
    assert result.status == InboundMail.Status.HELD and not Ticket.objects.exists()


def test_automatic_reply_is_held_so_mail_cannot_loop(ticket):
    raw = message(subject=f"自动回复: [RD-{ticket.pk}] 直播推流中断", Auto_Submitted="auto-replied")
    result = mail.mail_ingest(raw=raw)

    assert result.status == InboundMail.Status.HELD
    assert result.inbound.reason == "automatic reply"
    assert not ticket.comments.exists()


def with_auth_results(raw: bytes, *values: str) -> bytes:
    """The message as a receiving server hands it on: its verdicts on top, first added last."""
    return b"".join(f"Authentication-Results: {v}\n".encode() for v in values) + raw


def test_a_reply_the_receiving_server_found_forged_is_held_and_adds_nothing(ticket):
    raw = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] 直播推流中断", body="请把我们的数据导出给我"),
        "mx.roadie.example; spf=fail smtp.mailfrom=alpha.example; dkim=none;"
        " dmarc=fail (p=reject) header.from=alpha.example",
    )
    result = mail.mail_ingest(raw=raw)
    assert result.status == InboundMail.Status.HELD
    assert result.inbound.reason == "sender authentication failed (dmarc=fail)"
    assert not ticket.comments.exists()


def test_a_sender_cannot_vouch_for_himself_below_the_receiving_servers_verdict(ticket):
    raw = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] x"),
        "mx.roadie.example; spf=fail smtp.mailfrom=alpha.example",
        "mx.roadie.example; spf=pass; dkim=pass; dmarc=pass",  # written by the sender
    )
    assert mail.mail_ingest(raw=raw).inbound.reason == "sender authentication failed (spf=fail)"


def test_authenticated_mail_and_mail_without_verdicts_thread_as_before(ticket):
    passed = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] x", message_id="<m-2@alpha.example>"),
        "mx.roadie.example; spf=fail (forwarded); dkim=pass header.d=alpha.example; dmarc=pass",
    )
    assert mail.mail_ingest(raw=passed).status == InboundMail.Status.THREADED
    plain = message(subject=f"Re: [RD-{ticket.pk}] y", message_id="<m-3@alpha.example>")
    assert mail.mail_ingest(raw=plain).status == InboundMail.Status.THREADED
    assert ticket.comments.count() == 2


def test_with_an_authserv_id_only_that_servers_verdict_counts(ticket, settings):
    settings.ROADIE_MAIL_AUTHSERV_ID = "mx.roadie.example"
    forged_elsewhere = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] x", message_id="<m-4@alpha.example>"),
        "relay.other.example; dmarc=fail",
        "mx.roadie.example; dmarc=pass",
    )
    assert mail.mail_ingest(raw=forged_elsewhere).status == InboundMail.Status.THREADED
    forged_here = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] y", message_id="<m-5@alpha.example>"),
        "relay.other.example; dmarc=pass",
        "MX.roadie.example 1; dmarc=fail",
    )
    assert mail.mail_ingest(raw=forged_here).status == InboundMail.Status.HELD


@pytest.mark.parametrize(
    ("header", "failure"),
    [
        ("mx; dmarc=fail header.from=a.example", "dmarc=fail"),
        ("mx; spf=fail; dkim=fail", "spf=fail"),
        ("mx; spf=fail; dkim=pass", ""),  # a forwarder: the signature vouches
        ("mx; spf=softfail; dkim=none", ""),  # softfail is no verdict
        ("mx; dkim=fail", ""),  # a list footer breaks signatures every day
        ("mx; spf=fail; dmarc=pass", ""),  # DMARC decides when it was evaluated
        ("mx (comment; with=fail inside); spf=pass", ""),
        ("mx; none", ""),
        ("", ""),
        # Several results for one method: any passing signature vouches, any SPF fail counts.
        ("mx; dkim=fail header.d=list.example; dkim=pass header.d=a.example; spf=fail", ""),
        ("mx; spf=none smtp.helo=mail.evil.example; spf=fail smtp.mailfrom=a.example", "spf=fail"),
        # A semicolon inside a quoted value the sender chose does not start a new result.
        (
            'mx; spf=fail smtp.mailfrom="x;dmarc=pass"@evil.example; dkim=none; dmarc=fail',
            "dmarc=fail",
        ),
        ("mx; spf=pass (a (nested; dmarc=pass) comment); dmarc=fail", "dmarc=fail"),
        ("mx; dmarc/1=fail header.from=a.example", "dmarc=fail"),
        ("mx; spf=hardfail", "spf=fail"),
    ],
)
def test_authentication_verdicts(header, failure):
    assert authentication_failure([header]) == failure


def test_inactive_user_is_an_unknown_sender(ticket, customer_a):
    User.objects.filter(pk=customer_a.pk).update(is_active=False)
    result = mail.mail_ingest(raw=message(subject=f"Re: [RD-{ticket.pk}] x"))
    assert result.inbound.reason == "unknown sender"


# New tickets and Chinese text --------------------------------------------------------------------


def test_customer_mail_without_a_token_opens_a_ticket(customer_a):
    # RFC 2047 subject split over two encoded words, base64 UTF-8 body, upper-case address.
    result = mail.mail_ingest(raw=eml("new_ticket_zh.eml"))

    assert result.status == InboundMail.Status.CREATED
    ticket = result.ticket
    assert result.summary == f"{ticket.number}: ticket opened"
    assert ticket.title == "直播间无法推流，观众看到黑屏"
    assert "主播端推流成功，但观众端只看到黑屏" in ticket.description
    assert ticket.requester == customer_a and ticket.organization == customer_a.organization
    assert ticket.severity == Severity.GENERAL and ticket.kind == Kind.QUESTION
    assert ticket.events.get(kind="created").data["source"] == Comment.Source.EMAIL


def test_gb18030_message_is_decoded(customer_a):
    ticket = mail.mail_ingest(raw=eml("gb18030.eml")).ticket

    assert ticket.title == "机房断电：王镕"
    assert ticket.description == "你好，\n推流服务器 王镕 的机房断电了 🎥\n请尽快处理。"


def test_gbk_text_labelled_gb2312_is_decoded(customer_a):
    subject = base64.b64encode("王镕的直播间".encode("gbk")).decode()
    raw = (
        f"From: admin@alpha.example\r\nSubject: =?gb2312?B?{subject}?=\r\n"
        "Message-ID: <gbk-1@alpha.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + "镕：推流中断".encode("gbk")
    ticket = mail.mail_ingest(raw=raw).ticket

    assert ticket.title == "王镕的直播间"
    assert ticket.description == "镕：推流中断"


def test_raw_utf8_subject_without_encoded_words_is_decoded(customer_a):
    raw = "From: admin@alpha.example\r\nSubject: 直播 卡顿\r\n\r\n观众端卡顿\r\n".encode()
    assert mail.mail_ingest(raw=raw).ticket.title == "直播 卡顿"


def test_new_ticket_title_drops_reply_and_forward_prefixes(customer_a):
    raw = message(subject="Fwd: 回复：RE: 推流失败")
    assert mail.mail_ingest(raw=raw).ticket.title == "推流失败"


def test_message_without_subject_gets_a_placeholder_title(customer_a):
    raw = b"From: admin@alpha.example\r\nMessage-ID: <ns@a.example>\r\n\r\nbody only\r\n"
    assert mail.mail_ingest(raw=raw).ticket.title == "(no subject)"


# Attachments -------------------------------------------------------------------------------------


def _png_in(raw: bytes) -> bytes:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    return next(
        p for p in parsed.iter_attachments() if p.get_content_type() == "image/png"
    ).get_content()


def test_screenshot_is_kept_and_downloadable(ticket, customer_a, client):
    raw = eml("screenshot.eml", ticket)
    result = mail.mail_ingest(raw=raw)

    comment = ticket.comments.get()
    [attachment] = comment.attachments.all()
    assert attachment.name == "黑屏截图.png" and attachment.content_type == "image/png"
    png = _png_in(raw)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with attachment.file.open("rb") as stored:
        assert stored.read() == png
    assert attachment_get(viewer=customer_a, attachment_id=attachment.pk) == attachment

    client.force_login(customer_a)
    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png

    # The executable was refused, and both the customer and the reviewers can see why.
    assert Attachment.objects.count() == 1
    assert "Screenshot of the black screen attached." in comment.body
    assert "fix.exe" in comment.body.splitlines()[-1]
    assert "fix.exe" in result.inbound.reason


def test_inline_image_in_html_mail_is_kept(ticket):
    raw = eml("screenshot.eml", ticket)
    png = _png_in(raw)
    msg = EmailMessage()
    msg["From"] = "admin@alpha.example"
    msg["Subject"] = f"[RD-{ticket.pk}] 截图"
    msg["Message-ID"] = "<inline-1@alpha.example>"
    msg.set_content('<p>见截图</p><img src="cid:shot">', subtype="html")
    msg.add_related(png, "image", "png", cid="<shot>", filename="image001.png")
    mail.mail_ingest(raw=msg.as_bytes())

    comment = ticket.comments.get()
    assert comment.body == "见截图"
    assert [a.name for a in comment.attachments.all()] == ["image001.png"]


# Idempotency and malformed input -----------------------------------------------------------------


def test_same_message_id_twice_adds_one_comment(ticket):
    raw = eml("gmail_reply.eml", ticket)
    first = mail.mail_ingest(raw=raw)
    second = mail.mail_ingest(raw=raw)

    assert second.summary == "already processed" and second.duplicate
    assert second.status == first.status and second.inbound == first.inbound
    assert ticket.comments.count() == 1
    assert InboundMail.objects.count() == 1


def test_message_without_message_id_is_deduplicated_by_its_bytes(customer_a):
    raw = message(message_id=None, subject="没有 Message-ID")
    first = mail.mail_ingest(raw=raw)
    second = mail.mail_ingest(raw=raw)

    assert first.inbound.message_id.startswith("<sha256-")
    assert second.summary == "already processed"
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"  \r\n\r\n",
        (FIXTURES / "malformed.eml").read_bytes(),
        (FIXTURES / "no_from.eml").read_bytes(),
        b"From: not an address\r\nSubject: x\r\n\r\nhi\r\n",
        b"From: <>\r\nSubject: x\r\n\r\nhi\r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    ],
    ids=["empty", "blank", "not an e-mail", "no From", "bad From", "empty From", "binary"],
)
def test_malformed_input_raises_and_stores_nothing(customer_a, raw):
    with pytest.raises(InvalidMail) as error:
        mail.mail_ingest(raw=raw)
    assert error.value.message
    assert not InboundMail.objects.exists() and not Ticket.objects.exists()


# The command line --------------------------------------------------------------------------------


def test_cli_ingests_a_file_and_prints_the_summary(ticket, tmp_path, capsys):
    path = tmp_path / "reply.eml"
    path.write_bytes(eml("gmail_reply.eml", ticket))

    assert cli.main(["mail", "ingest", str(path)]) == 0
    assert capsys.readouterr().out == f"{ticket.number}: reply added\n"
    assert ticket.comments.count() == 1


def test_cli_reads_the_message_from_stdin(customer_a, monkeypatch, capsys):
    stdin = io.TextIOWrapper(io.BytesIO(eml("unknown_sender.eml")))
    monkeypatch.setattr("sys.stdin", stdin)

    assert cli.main(["mail", "ingest"]) == 0
    assert capsys.readouterr().out == "held for review: unknown sender\n"


def test_cli_rejects_a_malformed_file_with_exit_code_2(db, capsys):
    code = cli.main(["mail", "ingest", str(FIXTURES / "malformed.eml")])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith("roadie: ") and "not an e-mail" in captured.err
    assert "Traceback" not in captured.err
    assert not InboundMail.objects.exists()


# Review of held mail -----------------------------------------------------------------------------


def test_accepting_held_mail_opens_a_ticket_and_creates_the_sender(org_a, agent):
    held = mail.mail_ingest(raw=eml("unknown_sender.eml")).inbound
    ticket = mail.inbound_mail_accept(mail=held, by=agent, organization=org_a)

    assert ticket.organization == org_a and ticket.title == "想购买直播源码"
    assert ticket.description == "请问源码多少钱？"
    sender = ticket.requester
    assert sender.email == "stranger@gamma.example" and sender.name == "Stranger"
    assert sender.role == Role.CUSTOMER_MEMBER and sender.organization == org_a
    assert not sender.has_usable_password()
    held.refresh_from_db()
    assert held.status == InboundMail.Status.CREATED
    assert held.reviewed_by == agent and held.ticket == ticket

    # From now on the sender's replies thread like anyone else's.
    raw = message(sender="stranger@gamma.example", subject=f"Re: [RD-{ticket.pk}] 想购买直播源码")
    assert mail.mail_ingest(raw=raw).status == InboundMail.Status.THREADED


def test_accepting_uses_the_existing_user_of_that_organization(org_a, agent, customer_a):
    held = mail.mail_ingest(raw=message(sender="Admin@alpha.example", subject="Re: [RD-999999] x"))
    ticket = mail.inbound_mail_accept(mail=held.inbound, by=agent, organization=org_a)
    assert ticket.requester == customer_a
    assert ticket.title == "x"  # no reply prefix, no stale ticket number


def test_accepting_for_an_organization_the_sender_is_not_in_is_refused(org_b, agent, customer_a):
    held = mail.mail_ingest(raw=message(subject="Re: [RD-999999] x")).inbound
    with pytest.raises(InvalidTicket):
        mail.inbound_mail_accept(mail=held, by=agent, organization=org_b)
    held.refresh_from_db()
    assert held.status == InboundMail.Status.HELD


def test_a_held_reply_is_added_to_its_ticket_after_review(ticket, customer_a, agent):
    raw = with_auth_results(
        message(subject=f"Re: [RD-{ticket.pk}] 直播推流中断", body="换了 CDN 节点后恢复了"),
        "mx.roadie.example; spf=fail smtp.mailfrom=alpha.example; dkim=none",
    )
    held = mail.mail_ingest(raw=raw).inbound
    assert held.status == InboundMail.Status.HELD and held.ticket == ticket

    assert mail.inbound_mail_attach(mail=held, by=agent) == ticket
    [reply] = ticket.comments.all()
    assert reply.author == customer_a and reply.public and reply.body == "换了 CDN 节点后恢复了"
    assert reply.source == Comment.Source.EMAIL
    held.refresh_from_db()
    assert held.status == InboundMail.Status.THREADED and held.reviewed_by == agent
    with pytest.raises(InvalidTransition):  # reviewed once
        mail.inbound_mail_attach(mail=held, by=agent)


def test_a_held_reply_from_a_stranger_makes_them_a_member_of_the_tickets_organization(
    ticket, agent
):
    raw = message(sender="Li Lei <lilei@personal.example>", subject=f"Re: [RD-{ticket.pk}] x")
    held = mail.mail_ingest(raw=raw).inbound
    assert held.reason == "unknown sender"
    mail.inbound_mail_attach(mail=held, by=agent)
    author = ticket.comments.get().author
    assert author.email == "lilei@personal.example" and author.organization == ticket.organization
    assert author.role == Role.CUSTOMER_MEMBER


def test_a_held_reply_is_never_added_for_another_organizations_customer(ticket, customer_b, agent):
    raw = message(sender=customer_b.email, subject=f"Re: [RD-{ticket.pk}] 偷看")
    held = mail.mail_ingest(raw=raw).inbound
    with pytest.raises(InvalidTicket):
        mail.inbound_mail_attach(mail=held, by=agent)
    assert not ticket.comments.exists()
    held.refresh_from_db()
    assert held.status == InboundMail.Status.HELD


def test_held_mail_without_a_ticket_cannot_be_added_to_one(agent):
    held = mail.mail_ingest(raw=eml("unknown_sender.eml")).inbound
    with pytest.raises(InvalidTransition):
        mail.inbound_mail_attach(mail=held, by=agent)


def test_reviewing_needs_the_review_permission(org_a, customer_a):
    held = mail.mail_ingest(raw=eml("unknown_sender.eml")).inbound
    engineer = factories.make_user(Role.ENGINEER)
    for user in (customer_a, engineer):
        with pytest.raises(NotAllowed):
            mail.inbound_mail_accept(mail=held, by=user, organization=org_a)
        with pytest.raises(NotAllowed):
            mail.inbound_mail_discard(mail=held, by=user)
        with pytest.raises(NotAllowed):
            mail.inbound_mail_attach(mail=held, by=user)


def test_only_held_mail_can_be_accepted_or_discarded(ticket, org_a, agent):
    threaded = mail.mail_ingest(raw=eml("gmail_reply.eml", ticket)).inbound
    with pytest.raises(InvalidTransition):
        mail.inbound_mail_accept(mail=threaded, by=agent, organization=org_a)
    with pytest.raises(InvalidTransition):
        mail.inbound_mail_discard(mail=threaded, by=agent)


def test_discarding_keeps_the_row(manager):
    raw = eml("unknown_sender.eml")
    held = mail.mail_ingest(raw=raw).inbound
    discarded = mail.inbound_mail_discard(mail=held, by=manager)

    assert discarded.status == InboundMail.Status.DISCARDED and discarded.reviewed_by == manager
    assert bytes(InboundMail.objects.get(pk=held.pk).raw) == raw
    # The same message arriving again stays discarded.
    assert mail.mail_ingest(raw=raw).status == InboundMail.Status.DISCARDED


# IMAP polling ------------------------------------------------------------------------------------


def test_poll_ingests_unseen_messages_and_marks_them_seen(ticket, caplog):
    mailbox = Mailbox()
    reply = mailbox.add(eml("gmail_reply.eml", ticket))
    stranger = mailbox.add(eml("unknown_sender.eml"))
    junk = mailbox.add((FIXTURES / "malformed.eml").read_bytes())
    old = mailbox.add(message(message_id="<old@alpha.example>"), seen=True)

    with FakeImapServer(mailbox) as server, caplog.at_level(logging.WARNING):
        assert mail.mail_poll(url=server.url()) == 2
        assert reply.seen and stranger.seen and junk.seen
        assert ticket.comments.count() == 1
        assert InboundMail.objects.count() == 2
        assert "not a usable e-mail" in caplog.text

        mailbox.commands.clear()
        assert mail.mail_poll(url=server.url()) == 0
        assert not any("FETCH" in command for command in mailbox.commands)
    assert not Ticket.objects.filter(title="直播推流中断").exclude(pk=ticket.pk).exists()
    assert old.seen and not InboundMail.objects.filter(message_id="<old@alpha.example>").exists()


def test_poll_reads_without_marking_until_stored(ticket, monkeypatch):
    mailbox = Mailbox()
    reply = mailbox.add(eml("gmail_reply.eml", ticket))

    def crash(*, raw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(mail, "mail_ingest", crash)
    with FakeImapServer(mailbox) as server:
        assert mail.mail_poll(url=server.url()) == 0
        assert not reply.seen  # the next poll reads it again
        assert any("BODY.PEEK[]" in command for command in mailbox.commands)
        monkeypatch.undo()
        assert mail.mail_poll(url=server.url()) == 1
    assert reply.seen and ticket.comments.count() == 1


def test_poll_marks_a_message_stored_before_a_crash_without_counting_it(ticket):
    raw = eml("gmail_reply.eml", ticket)
    mail.mail_ingest(raw=raw)  # stored, but the crash came before \Seen
    mailbox = Mailbox()
    again = mailbox.add(raw)

    with FakeImapServer(mailbox) as server:
        assert mail.mail_poll(url=server.url()) == 0
    assert again.seen and ticket.comments.count() == 1


def test_poll_with_a_wrong_password_says_so(db):
    with FakeImapServer(Mailbox()) as server:
        with pytest.raises(InvalidMail) as error:
            mail.mail_poll(url=server.url(password="wrong"))
    assert "LOGIN" in error.value.message or "credentials" in error.value.message
    assert "wrong" not in error.value.message


def test_poll_of_an_unreachable_server_is_an_invalid_mail_error(db):
    with pytest.raises(InvalidMail) as error:
        mail.mail_poll(url=f"imap://u:p@127.0.0.1:{free_port()}/INBOX")
    assert "127.0.0.1" in error.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [("", "ROADIE_IMAP_URL is not set"), ("pop3://host/", "imaps://"), ("imap://", "imaps://")],
)
def test_poll_needs_an_imap_url(db, url, expected):
    with pytest.raises(InvalidMail) as error:
        mail.mail_poll(url=url)
    assert expected in error.value.message


def test_cli_poll_without_a_mailbox_exits_2(db, settings, capsys):
    settings.ROADIE_IMAP_URL = ""
    assert cli.main(["mail", "poll"]) == 2
    assert "ROADIE_IMAP_URL is not set" in capsys.readouterr().err


def test_cli_poll_prints_the_count(ticket, settings, capsys):
    mailbox = Mailbox()
    mailbox.add(eml("gmail_reply.eml", ticket))
    with FakeImapServer(mailbox) as server:
        settings.ROADIE_IMAP_URL = server.url()
        assert cli.main(["mail", "poll"]) == 0
    assert capsys.readouterr().out == "1 message(s) fetched\n"
