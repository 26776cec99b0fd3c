"""The first user story, end to end in a real browser.

A customer logs in, files an urgent ticket in Chinese with a screenshot attached; a support agent
logs in, finds it at the top of the queue, replies publicly and adds an internal note; the
customer sees the reply (not the note), answers by e-mail, and the answer lands on the ticket.
"""

import re
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from roadie.accounts.models import User
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.tickets.mail import mail_ingest
from roadie.tickets.models import Comment, InboundMail, Ticket

pytestmark = pytest.mark.browser

TITLE = "直播间全部黑屏，推流中断"
DESCRIPTION = (
    "今晚 20:00 起所有直播间黑屏，主播端提示推流失败。\n\n"
    "- SRS 日志：`publish timeout`\n- 影响全部频道"
)
STAFF_REPLY = "您好，我们已收到，正在排查 SRS 推流节点"
INTERNAL_NOTE = "内部：怀疑是 CDN 回源配置"
MAIL_ANSWER = "已按建议重启，恢复正常了，谢谢！"
QUOTED = "quoted earlier text"
SCREENSHOT_NAME = "直播间黑屏.png"


def log_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="username"]', user.email)
    page.fill('input[name="password"]', factories.PASSWORD)
    page.click('main form button[type="submit"]')
    page.wait_for_url(re.compile(r"/(portal|console)/"))


def log_out(page: Page) -> None:
    page.click('form[action="/accounts/logout/"] button[type="submit"]')
    page.wait_for_url(re.compile(r"/accounts/login/"))


def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"{page.url}: scrollWidth {scroll_width} > {width}"


def older_tickets(customer_a: User, customer_b: User) -> list[Ticket]:
    """Earlier, less severe tickets, so that "top of the queue" means something."""
    now = timezone.now()
    specs = [
        (customer_a, "important", "连麦 30 秒后断开", 3),
        (customer_a, "general", "后台礼物列表排序错乱", 2),
        (customer_b, "important", "美颜 SDK 在安卓 14 上崩溃", 1),
        (customer_b, "general", "Logo 在深色模式下看不清", 1),
    ]
    tickets = []
    for requester, severity, title, days in specs:
        ticket = factories.make_ticket(requester=requester, title=title, severity=severity)
        when = now - timedelta(days=days)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=when, updated_at=when)
        tickets.append(ticket)
    return tickets


def test_first_story(live_server, new_context, shot, tmp_path, customer_a, customer_b, agent):
    base = live_server.url
    older = older_tickets(customer_a, customer_b)

    # -- The customer files an urgent ticket in Chinese, with a screenshot -------------------
    customer_context = new_context()
    page = customer_context.new_page()
    log_in(page, base, customer_a)
    expect(page).to_have_url(re.compile(r"/portal/$"))

    page.goto(f"{base}/portal/tickets/new/")
    screenshot = tmp_path / SCREENSHOT_NAME
    page.screenshot(path=str(screenshot))  # a real PNG: the new-ticket page itself
    page.fill('input[name="title"]', TITLE)
    page.fill('textarea[name="description"]', DESCRIPTION)
    page.check('input[name="severity"][value="urgent"]')
    page.set_input_files('input[name="attachments"]', str(screenshot))
    shot(page, "01-portal-new")
    page.click('form.card button[type="submit"].primary')
    page.wait_for_url(re.compile(r"/portal/tickets/RD-\d+/$"))

    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    ticket = Ticket.objects.get(pk=Ticket.pk_from_number(number))
    assert ticket.title == TITLE
    assert ticket.severity == "urgent"
    assert ticket.requester == customer_a
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".ticket-status .badge.sev-urgent")).to_be_visible()
    expect(page.locator(".description .markdown code")).to_have_text("publish timeout")
    thumbnail = page.locator(".description .attachments img")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_attribute("alt", SCREENSHOT_NAME)
    thumbnail.scroll_into_view_if_needed()
    # The thumbnail really loads (the attachment view serves the PNG to its owner).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    assert (
        page.evaluate("img => img.naturalWidth", thumbnail.element_handle())
        == page.viewport_size["width"]
    )
    shot(page, "02-portal-ticket")

    # A newer but less severe ticket, filed after the urgent one: severity still wins.
    newer = factories.make_ticket(
        requester=customer_b, title="工单导出 CSV 乱码", severity="general"
    )

    # -- The agent finds it at the top of the queue -------------------------------------------
    log_out(page)
    log_in(page, base, agent)
    expect(page).to_have_url(re.compile(r"/console/$"))
    rows = page.locator("table.queue-table tbody tr.ticket-row")
    expect(rows).to_have_count(len(older) + 2)
    expect(rows.first.locator(".c-number")).to_have_text(number)
    expect(rows.first.locator(".c-title")).to_have_text(TITLE)
    expect(rows.first.locator(".badge.sev-urgent")).to_be_visible()
    # Most severe first, newest first within a severity: the newer general ticket comes later.
    severities = rows.locator(".c-severity .badge").evaluate_all(
        "badges => badges.map(b => [...b.classList].find(c => c.startsWith('sev-')))"
    )
    assert severities == ["sev-urgent", *["sev-important"] * 2, *["sev-general"] * 3]
    expect(rows.nth(3).locator(".c-number")).to_have_text(newer.number)
    shot(page, "03-console-queue")

    rows.first.locator(".c-title a").click()
    page.wait_for_url(re.compile(rf"/console/tickets/{number}/$"))
    expect(page.locator("#ticket-header h1")).to_have_text(TITLE)
    expect(page.locator("#ticket-attachments img")).to_have_attribute("alt", SCREENSHOT_NAME)

    # -- A public reply, then an internal note, without a page reload --------------------------
    page.evaluate("window.__marker = 1")
    form = page.locator("#reply-form")
    form.locator('input[name="visibility"][value="public"]').check()
    form.locator('textarea[name="body"]').fill(STAFF_REPLY)
    form.locator('button[type="submit"]').click()
    reply = page.locator("#ticket-timeline .comment", has_text=STAFF_REPLY)
    expect(reply).to_be_visible()
    expect(reply.locator(".badge.public")).to_be_visible()
    expect(page.locator("#reply-form textarea[name='body']")).to_have_value("")
    assert page.evaluate("window.__marker") == 1, "the public reply reloaded the page"

    form = page.locator("#reply-form")
    form.locator('input[name="visibility"][value="internal"]').check()
    form.locator('textarea[name="body"]').fill(INTERNAL_NOTE)
    form.locator('button[type="submit"]').click()
    note = page.locator("#ticket-timeline .comment.internal", has_text=INTERNAL_NOTE)
    expect(note).to_be_visible()
    expect(note.locator(".badge.internal")).to_be_visible()
    assert page.evaluate("window.__marker") == 1, "the internal note reloaded the page"
    expect(page).to_have_url(re.compile(rf"/console/tickets/{number}/$"))
    shot(page, "04-console-ticket")

    staff_reply = Comment.objects.get(ticket=ticket, body=STAFF_REPLY)
    assert staff_reply.public and staff_reply.author == agent
    assert not Comment.objects.get(ticket=ticket, body=INTERNAL_NOTE).public

    # -- The customer sees the reply, not the note --------------------------------------------
    log_out(page)
    log_in(page, base, customer_a)
    page.goto(f"{base}/portal/tickets/{number}/")
    expect(page.locator("#timeline .comment", has_text=STAFF_REPLY)).to_be_visible()
    expect(page.locator("#timeline")).not_to_contain_text(INTERNAL_NOTE)
    assert INTERNAL_NOTE not in page.content()
    shot(page, "05-portal-after-reply")

    # -- The ticket list at phone width --------------------------------------------------------
    phone = new_context(phone=True, storage_state=customer_context.storage_state()).new_page()
    phone.goto(f"{base}/portal/")
    expect(phone.get_by_text(TITLE).first).to_be_visible()
    expect(phone.get_by_text("连麦 30 秒后断开").first).to_be_visible()
    assert "美颜 SDK" not in phone.content()  # another organization's ticket
    no_horizontal_scroll(phone, 375)
    shot(phone, "06-phone-list")
    phone.goto(f"{base}/portal/tickets/{number}/")
    expect(phone.locator("h1")).to_have_text(TITLE)
    no_horizontal_scroll(phone, 375)
    shot(phone, "07-phone-ticket")

    # -- The customer answers the reply's e-mail; the answer lands on the ticket ---------------
    outgoing = OutboxMessage.objects.get(
        recipient=customer_a.email,
        idempotency_key=f"ticket:{ticket.pk}:comment:{staff_reply.pk}:{customer_a.email}",
    )
    assert STAFF_REPLY in outgoing.body
    assert outgoing.subject == f"[{number}] {TITLE}"
    # The internal note sent the customer nothing.
    assert not OutboxMessage.objects.filter(
        recipient=customer_a.email, body__contains=INTERNAL_NOTE
    ).exists()

    answer = EmailMessage()
    answer["From"] = formataddr((customer_a.display_name, customer_a.email))
    answer["To"] = settings.DEFAULT_FROM_EMAIL
    answer["Subject"] = "Re: " + outgoing.subject
    answer["Date"] = format_datetime(timezone.now())
    answer["Message-ID"] = f"<{uuid.uuid4().hex}@alpha.example>"
    answer["In-Reply-To"] = outgoing.headers["Message-ID"]
    answer["References"] = f"{outgoing.headers['References']} {outgoing.headers['Message-ID']}"
    answer.set_content(f"{MAIL_ANSWER}\n\n> {QUOTED}\n")
    result = mail_ingest(raw=answer.as_bytes())
    assert result.status == InboundMail.Status.THREADED, result.summary
    assert result.ticket is not None and result.ticket.pk == ticket.pk

    page.reload()
    answered = page.locator("#timeline .comment", has_text=MAIL_ANSWER)
    expect(answered).to_be_visible()
    expect(page.locator("#timeline")).not_to_contain_text(QUOTED)
    expect(page.locator("#timeline")).not_to_contain_text(INTERNAL_NOTE)
    comment = Comment.objects.get(ticket=ticket, source=Comment.Source.EMAIL)
    assert comment.body == MAIL_ANSWER and comment.public and comment.author == customer_a
    shot(page, "08-portal-after-email")
