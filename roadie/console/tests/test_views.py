import base64
import json
import re
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadie.accounts.models import Role
from roadie.core import clock
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.tickets.models import Attachment, Comment, InboundMail, Status, Ticket
from roadie.tickets.services import ticket_change_status

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    # English, so the assertions do not depend on the zh-Hans catalogue.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def staff(agent) -> Client:
    return client_for(agent)


def ticket_numbers(response) -> list[str]:
    """Ticket numbers in queue row order."""
    return re.findall(r'name="tickets" value="\d+" aria-label="Select (RD-\d+)"', response.text)


def make_tickets(requester, count: int, **fields) -> list[Ticket]:
    return [factories.make_ticket(requester, title=f"工单 {n}", **fields) for n in range(count)]


# Access ----------------------------------------------------------------------------------------


def _console_urls(ticket: Ticket, mail_pk: int, outbox_pk: int) -> list[str]:
    number = ticket.number
    return [
        reverse("console:queue"),
        reverse("console:ticket_new"),
        reverse("console:ticket_new_deployments"),
        reverse("console:bulk_assign"),
        reverse("console:ticket", args=[number]),
        *(
            reverse(f"console:ticket_{name}", args=[number])
            for name in ("reply", "status", "severity", "kind", "assign", "tags", "watch")
        ),
        reverse("console:mail_held"),
        reverse("console:mail_detail", args=[mail_pk]),
        reverse("console:mail_accept", args=[mail_pk]),
        reverse("console:mail_attach", args=[mail_pk]),
        reverse("console:mail_discard", args=[mail_pk]),
        reverse("console:outbox"),
        reverse("console:outbox_retry", args=[outbox_pk]),
    ]


def _held_mail(
    sender: str = "stranger@unknown.example", text: str = "推流卡顿，请帮忙看看"
) -> InboundMail:
    message = EmailMessage()
    message["From"] = f"Stranger <{sender}>"
    message["To"] = "support@roadie.example"
    message["Subject"] = "直播间黑屏"
    message["Message-ID"] = f"<{clock.now().timestamp()}-{sender}>"
    message.set_content(text)
    return InboundMail.objects.create(
        message_id=message["Message-ID"],
        sender=sender,
        subject="直播间黑屏",
        raw=message.as_bytes(),
        status=InboundMail.Status.HELD,
        reason="unknown sender",
    )


def _dead_letter() -> OutboxMessage:
    return OutboxMessage.objects.create(
        recipient="ops@alpha.example",
        subject="[RD-1] 工单更新",
        body="…",
        idempotency_key=f"test:{clock.now().timestamp()}",
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        next_attempt_at=clock.now(),
        last_error="SMTP 550 mailbox unavailable",
    )


def test_customer_gets_404_on_every_console_url(customer_a, agent):
    ticket = factories.make_ticket(customer_a)
    urls = _console_urls(ticket, _held_mail().pk, _dead_letter().pk)
    client = client_for(customer_a)
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"status": "closed"}).status_code == 404, url
        assert client.get(url, **HTMX).status_code == 404, url
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_anonymous_user_is_sent_to_login(db):
    response = Client().get(reverse("console:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_htmx_request_redirects_the_whole_page(db):
    response = Client().get(reverse("console:queue"), **HTMX)
    assert response["HX-Redirect"] == reverse("login")


def test_engineer_may_not_review_mail_or_retry_the_outbox(agent):
    engineer = client_for(factories.make_user(Role.ENGINEER))
    assert engineer.get(reverse("console:mail_held")).status_code == 403
    assert engineer.get(reverse("console:outbox")).status_code == 403
    assert client_for(agent).get(reverse("console:outbox")).status_code == 403


def test_nav_shows_admin_link_to_admins_only(agent, admin_user):
    assert "/admin/" not in client_for(agent).get(reverse("console:queue")).text
    page = client_for(admin_user).get(reverse("console:queue")).text
    assert 'href="/admin/"' in page
    assert reverse("console:outbox") in page
    assert reverse("tokens") in page


# The queue -------------------------------------------------------------------------------------


def test_staff_sees_the_queue_with_the_urgent_ticket_first(staff, customer_a):
    general = factories.make_ticket(customer_a, title="礼物特效偶尔不显示", severity="general")
    urgent = factories.make_ticket(customer_a, title="全站无法推流", severity="urgent")
    important = factories.make_ticket(customer_a, title="连麦失败", severity="important")

    response = staff.get(reverse("console:queue"))

    assert response.status_code == 200
    assert ticket_numbers(response) == [urgent.number, important.number, general.number]
    assert "全站无法推流" in response.text
    assert 'class="badge sev-urgent"' in response.text


def test_queue_sorts_newest_and_oldest(staff, customer_a):
    first, second = make_tickets(customer_a, 2)
    newest = staff.get(reverse("console:queue"), {"sort": "newest"})
    oldest = staff.get(reverse("console:queue"), {"sort": "oldest"})
    assert ticket_numbers(newest) == [second.number, first.number]
    assert ticket_numbers(oldest) == [first.number, second.number]


def test_filters_narrow_the_rows(staff, customer_a, customer_b, org_b):
    urgent_a = factories.make_ticket(customer_a, severity="urgent")
    general_a = factories.make_ticket(customer_a, severity="general")
    general_b = factories.make_ticket(customer_b, severity="general")
    url = reverse("console:queue")

    assert ticket_numbers(staff.get(url, {"severity": "urgent"})) == [urgent_a.number]
    assert sorted(ticket_numbers(staff.get(url, {"severity": "general"}))) == sorted(
        [general_a.number, general_b.number]
    )
    assert ticket_numbers(staff.get(url, {"organization": org_b.slug})) == [general_b.number]
    assert ticket_numbers(staff.get(url, {"q": general_a.number})) == [general_a.number]
    assert ticket_numbers(staff.get(url, {"q": general_a.number.lower()})) == [general_a.number]
    assert ticket_numbers(staff.get(url, {"severity": "general", "organization": org_b.slug})) == [
        general_b.number
    ]


def test_queue_tabs_mine_unassigned_and_closed(staff, agent, customer_a):
    mine, unassigned, closed = make_tickets(customer_a, 3)
    staff.post(reverse("console:ticket_assign", args=[mine.number]), {"assignee": agent.pk})
    ticket_change_status(ticket=closed, status=Status.CLOSED, by=agent)
    url = reverse("console:queue")

    assert ticket_numbers(staff.get(url, {"queue": "mine"})) == [mine.number]
    assert ticket_numbers(staff.get(url, {"queue": "unassigned"})) == [unassigned.number]
    assert ticket_numbers(staff.get(url, {"queue": "closed"})) == [closed.number]
    assert len(ticket_numbers(staff.get(url, {"queue": "all"}))) == 3
    assert len(ticket_numbers(staff.get(url))) == 2  # all open is the default


def test_invalid_filter_values_and_cursors_are_ignored(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    url = reverse("console:queue")
    response = staff.get(url, {"severity": "apocalyptic", "queue": "x", "cursor": "%%%"})
    assert response.status_code == 200
    assert ticket_numbers(response) == [ticket.number]
    # Well-formed base64 of the wrong values (a hand-edited cursor) starts from the top too.
    wrong = base64.urlsafe_b64encode(json.dumps(["x", "y"]).encode()).decode().rstrip("=")
    assert ticket_numbers(staff.get(url, {"cursor": wrong})) == [ticket.number]


def test_htmx_filter_returns_only_the_table_fragment(staff, customer_a):
    ticket = factories.make_ticket(customer_a, severity="urgent")
    response = staff.get(reverse("console:queue"), {"severity": "urgent"}, **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in response.text
    assert ticket_numbers(response) == [ticket.number]


def test_next_page_link_carries_the_cursor_and_the_filters(staff, customer_a):
    tickets = make_tickets(customer_a, 53, severity="important")
    url = reverse("console:queue")

    first = staff.get(url, {"severity": "important", "sort": "newest"})
    assert len(ticket_numbers(first)) == 50
    match = re.search(r'<a rel="next" class="button" href="([^"]+)"', first.text)
    assert match, "no Next page link"
    next_url = match.group(1).replace("&amp;", "&")
    assert "cursor=" in next_url and "severity=important" in next_url

    second = staff.get(next_url, **HTMX)
    assert ticket_numbers(second) == [t.number for t in reversed(tickets[:3])]
    assert 'rel="next"' not in second.text
    assert "First page" in second.text


def _queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("console:queue"))
    assert response.status_code == 200
    return len(queries)


def test_queue_runs_the_same_number_of_queries_for_5_and_60_tickets(agent, customer_a, customer_b):
    engineer = factories.make_user(Role.ENGINEER)
    staff = client_for(agent)
    for n, ticket in enumerate(make_tickets(customer_a, 3) + make_tickets(customer_b, 2)):
        staff.post(
            reverse("console:ticket_assign", args=[ticket.number]),
            {"assignee": (agent if n % 2 else engineer).pk},
        )
    with_5 = _queue_queries(staff)

    for n, ticket in enumerate(make_tickets(customer_a, 30) + make_tickets(customer_b, 25)):
        if n % 3:
            staff.post(
                reverse("console:ticket_assign", args=[ticket.number]), {"assignee": engineer.pk}
            )
    with_60 = _queue_queries(staff)

    assert with_5 == with_60
    assert with_60 <= 8


# Bulk assign -----------------------------------------------------------------------------------


def test_bulk_assign_assigns_the_selected_tickets(staff, agent, customer_a):
    first, second, third = make_tickets(customer_a, 3)
    engineer = factories.make_user(Role.ENGINEER)

    response = staff.post(
        reverse("console:bulk_assign") + "?queue=open",
        {"tickets": [first.pk, third.pk], "assignee": engineer.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("console:queue") + "?queue=open"
    assert Ticket.objects.get(pk=first.pk).assignee == engineer
    assert Ticket.objects.get(pk=second.pk).assignee is None
    assert Ticket.objects.get(pk=third.pk).assignee == engineer


def test_bulk_unassign_over_htmx_rerenders_the_table(staff, agent, customer_a):
    first, second = make_tickets(customer_a, 2)
    for ticket in (first, second):
        staff.post(reverse("console:ticket_assign", args=[ticket.number]), {"assignee": agent.pk})

    response = staff.post(
        reverse("console:bulk_assign") + "?queue=mine",
        {"tickets": [first.pk, second.pk], "assignee": "none"},
        **HTMX,
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="queue-results"')
    assert "2 tickets unassigned." in response.text
    assert ticket_numbers(response) == []  # nothing is "mine" any more
    assert not Ticket.objects.filter(assignee__isnull=False).exists()


def test_bulk_assign_without_a_choice_shows_an_error(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    response = staff.post(
        reverse("console:bulk_assign"), {"tickets": [ticket.pk], "assignee": ""}, **HTMX
    )
    assert "Choose an assignee." in response.text
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# A new ticket ----------------------------------------------------------------------------------


def test_staff_files_a_ticket_for_an_organization(staff, agent, org_a):
    deployment = factories.make_deployment(org_a)
    module = factories.make_module(deployment.product)
    page = staff.get(reverse("console:ticket_new"))
    assert "The system is fully unavailable." in page.text

    response = staff.post(
        reverse("console:ticket_new"),
        {
            "organization": org_a.pk,
            "title": "美颜 SDK 崩溃",
            "description": "**Android 14** 上崩溃",
            "severity": "important",
            "kind": "defect",
            "module": module.pk,
            "deployment": deployment.pk,
            "attachments": [SimpleUploadedFile("crash.png", PNG, content_type="image/png")],
        },
    )

    ticket = Ticket.objects.get(title="美颜 SDK 崩溃")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])
    assert (ticket.organization, ticket.requester, ticket.kind) == (org_a, agent, "defect")
    assert ticket.deployment == deployment
    assert ticket.attachments.get().content_type == "image/png"


def test_new_ticket_errors_are_shown_next_to_their_fields(staff, org_a, org_b):
    other_deployment = factories.make_deployment(org_b)
    response = staff.post(
        reverse("console:ticket_new"),
        {
            "organization": org_a.pk,
            "title": "   ",
            "severity": "urgent",
            "kind": "incident",
            "deployment": other_deployment.pk,
        },
    )
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert response.text.count('class="errorlist') >= 2


def test_deployment_list_follows_the_organization(staff, org_a, org_b):
    mine = factories.make_deployment(org_a)
    theirs = factories.make_deployment(org_b)
    response = staff.get(
        reverse("console:ticket_new_deployments"), {"organization": org_a.pk}, **HTMX
    )
    assert 'id="deployment-field"' in response.text
    assert f'value="{mine.pk}"' in response.text
    assert f'value="{theirs.pk}"' not in response.text


# The ticket page -------------------------------------------------------------------------------


def test_ticket_page_shows_description_attachments_and_timeline(staff, agent, customer_a):
    ticket = factories.make_ticket(customer_a, description="推流**失败**")
    staff.post(reverse("console:ticket_status", args=[ticket.number]), {"status": "open"})
    staff.post(reverse("console:ticket_severity", args=[ticket.number]), {"severity": "urgent"})
    staff.post(reverse("console:ticket_assign", args=[ticket.number]), {"assignee": agent.pk})
    staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {
            "body": "请看截图",
            "visibility": "internal",
            "attachments": [SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
        },
    )

    response = staff.get(reverse("console:ticket", args=[ticket.number]))

    text = response.text
    assert response.status_code == 200
    assert "<strong>失败</strong>" in text
    assert "changed the status from New to Open" in text
    assert "changed the severity from Important to Urgent" in text
    assert f"assigned the ticket to {agent.display_name}" in text
    assert 'class="comment internal"' in text
    assert "Internal note" in text
    attachment = Attachment.objects.get()
    assert f'<img src="{reverse("tickets:attachment", args=[attachment.pk])}"' in text


def test_unknown_ticket_is_a_404(staff, db):
    assert staff.get(reverse("console:ticket", args=["RD-999999"])).status_code == 404
    assert staff.get(reverse("console:ticket", args=["nonsense"])).status_code == 404


def test_public_reply_over_htmx_returns_the_timeline_and_sets_first_response(staff, customer_a):
    ticket = factories.make_ticket(customer_a)

    response = staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {"body": "已收到，正在排查推流服务器", "visibility": "public"},
        **HTMX,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="ticket-timeline" class="timeline" hx-swap-oob="true"' in response.text
    assert "已收到，正在排查推流服务器" in response.text
    # The reply form comes back empty, and the sidebar and header come back too.
    assert 'id="reply-form"' in response.text
    assert "正在排查推流服务器</textarea>" not in response.text
    assert 'id="ticket-sidebar"' in response.text
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Status.OPEN
    assert Comment.objects.get().public


def test_internal_note_does_not_count_as_a_response(staff, customer_a):
    ticket = factories.make_ticket(customer_a)

    response = staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {"body": "怀疑是 CDN 回源问题", "visibility": "internal"},
        **HTMX,
    )

    assert "怀疑是 CDN 回源问题" in response.text
    assert 'class="comment internal"' in response.text
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == Status.NEW
    assert not Comment.objects.get().public


def test_reply_without_htmx_redirects_to_the_ticket(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    response = staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {"body": "好的", "visibility": "public"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])


def test_empty_reply_shows_an_error_and_keeps_nothing(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    response = staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {"body": "  ", "visibility": "public"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "This cannot be empty." in response.text
    assert not Comment.objects.exists()


def test_attachment_with_a_lying_content_type_is_rejected(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    fake = SimpleUploadedFile("shot.png", b"this is plain text, not a picture", "image/png")

    response = staff.post(
        reverse("console:ticket_reply", args=[ticket.number]),
        {"body": "见附件", "visibility": "public", "attachments": [fake]},
        **HTMX,
    )

    assert response.status_code == 200
    assert "shot.png" in response.text
    assert 'class="errorlist' in response.text
    assert "见附件</textarea>" in response.text  # the draft is kept
    assert not Attachment.objects.exists()
    assert not Comment.objects.exists()
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_invalid_status_transition_shows_an_error_and_changes_nothing(staff, agent, customer_a):
    ticket = factories.make_ticket(customer_a)
    ticket_change_status(ticket=ticket, status=Status.OPEN, by=agent)
    url = reverse("console:ticket_status", args=[ticket.number])

    response = staff.post(url, {"status": "new"}, HTTP_ACCEPT_LANGUAGE="en", **HTMX)

    assert response.status_code == 200
    assert 'role="alert">The status cannot change from “Open” to “New”.' in response.text
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    # Without htmx the page is shown again with the same message.
    page = staff.post(url, {"status": "new"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "cannot change from “Open” to “New”" in page.text
    assert "<html" in page.text
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_sidebar_changes_return_the_updated_fragments(staff, agent, customer_a):
    ticket = factories.make_ticket(customer_a)
    number = ticket.number

    response = staff.post(
        reverse("console:ticket_status", args=[number]), {"status": "waiting"}, **HTMX
    )
    assert 'id="ticket-header"' in response.text and 'hx-swap-oob="true"' in response.text
    assert 'class="badge status-waiting"' in response.text
    assert 'id="reply-form"' not in response.text  # a draft reply is left alone

    staff.post(reverse("console:ticket_kind", args=[number]), {"kind": "defect"}, **HTMX)
    staff.post(reverse("console:ticket_tags", args=[number]), {"tags": "推流, CDN ,"}, **HTMX)
    staff.post(reverse("console:ticket_watch", args=[number]), {"watching": "1"}, **HTMX)
    response = staff.post(
        reverse("console:ticket_severity", args=[number]), {"severity": "urgent"}, **HTMX
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.kind, ticket.severity) == ("waiting", "defect", "urgent")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["cdn", "推流"]
    assert ticket.watchers.filter(pk=agent.pk).exists()
    assert "started watching the ticket" in response.text
    assert "set the tags to cdn, 推流" in response.text

    staff.post(reverse("console:ticket_watch", args=[number]), {"watching": "0"})
    assert not ticket.watchers.filter(pk=agent.pk).exists()


def test_sidebar_change_without_htmx_redirects_back(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    response = staff.post(
        reverse("console:ticket_kind", args=[ticket.number]), {"kind": "question"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])


def test_assigning_a_customer_is_refused(staff, customer_a):
    ticket = factories.make_ticket(customer_a)
    response = staff.post(
        reverse("console:ticket_assign", args=[ticket.number]),
        {"assignee": customer_a.pk},
        **HTMX,
    )
    assert 'role="alert"' in response.text
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# Held mail -------------------------------------------------------------------------------------


def test_held_mail_list_and_detail_show_the_decoded_mail(agent):
    mail = _held_mail()
    client = client_for(agent)

    listing = client.get(reverse("console:mail_held"))
    assert "stranger@unknown.example" in listing.text
    assert "直播间黑屏" in listing.text
    assert "unknown sender" in listing.text

    detail = client.get(reverse("console:mail_detail", args=[mail.pk]))
    assert "推流卡顿，请帮忙看看" in detail.text
    assert reverse("console:mail_accept", args=[mail.pk]) in detail.text


def test_accepting_held_mail_opens_a_ticket_for_the_chosen_organization(agent, org_a):
    mail = _held_mail()
    response = client_for(agent).post(
        reverse("console:mail_accept", args=[mail.pk]), {"organization": org_a.pk}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])
    assert ticket.organization == org_a
    mail.refresh_from_db()
    assert mail.status == InboundMail.Status.CREATED


def test_a_held_reply_is_added_to_its_ticket_from_the_review_page(agent, customer_a):
    ticket = factories.make_ticket(requester=customer_a, title="礼物不显示")
    mail = _held_mail(sender=customer_a.email, text="刷新后还是不显示")
    InboundMail.objects.filter(pk=mail.pk).update(ticket=ticket)
    client = client_for(agent)
    detail = client.get(reverse("console:mail_detail", args=[mail.pk]))
    assert reverse("console:mail_attach", args=[mail.pk]) in detail.text

    response = client.post(reverse("console:mail_attach", args=[mail.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:ticket", args=[ticket.number])
    assert ticket.comments.get().body == "刷新后还是不显示"
    again = client.post(reverse("console:mail_attach", args=[mail.pk]), follow=True)
    assert '<li class="error">This e-mail is not held for review.</li>' in again.text
    assert ticket.comments.count() == 1


def test_html_only_mail_is_shown_as_text(agent):
    message = EmailMessage()
    message["From"] = "ops@nowhere.example"
    message["Subject"] = "HTML"
    message["Message-ID"] = "<html-only@nowhere.example>"
    message.set_content("<p>礼物&amp;特效<script>alert(1)</script></p>", subtype="html")
    mail = InboundMail.objects.create(
        message_id=message["Message-ID"],
        sender="ops@nowhere.example",
        subject="HTML",
        raw=message.as_bytes(),
        status=InboundMail.Status.HELD,
    )
    page = client_for(agent).get(reverse("console:mail_detail", args=[mail.pk])).text
    assert "礼物&amp;特效" in page
    assert "<script>alert(1)" not in page and "<p>礼物" not in page


def test_held_mail_labelled_gb2312_reads_as_the_ingest_path_reads_it(agent):
    # 镕 is outside GB2312 proper; mail clients still label such GBK text "gb2312".
    raw = (
        b"From: wang@nowhere.example\r\nSubject: hi\r\nMessage-ID: <gbk@nowhere.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "王镕：推流中断".encode("gb18030")
    mail = InboundMail.objects.create(
        message_id="<gbk@nowhere.example>",
        sender="wang@nowhere.example",
        subject="hi",
        raw=raw,
        status=InboundMail.Status.HELD,
    )
    page = client_for(agent).get(reverse("console:mail_detail", args=[mail.pk])).text
    assert "王镕：推流中断" in page


def test_accepting_mail_from_another_organizations_user_shows_an_error(agent, customer_b, org_a):
    mail = _held_mail(sender=customer_b.email)
    response = client_for(agent).post(
        reverse("console:mail_accept", args=[mail.pk]), {"organization": org_a.pk}
    )
    assert response.status_code == 200
    assert "belongs to another organization" in response.text
    assert not Ticket.objects.exists()
    mail.refresh_from_db()
    assert mail.status == InboundMail.Status.HELD


def test_discarding_held_mail(agent):
    mail = _held_mail()
    response = client_for(agent).post(reverse("console:mail_discard", args=[mail.pk]))
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == InboundMail.Status.DISCARDED
    assert "直播间黑屏" not in client_for(agent).get(reverse("console:mail_held")).text


# The outbox ------------------------------------------------------------------------------------


def test_manager_sees_dead_letters_and_retries_one(manager):
    message = _dead_letter()
    client = client_for(manager)

    page = client.get(reverse("console:outbox"))
    assert "ops@alpha.example" in page.text
    assert "SMTP 550 mailbox unavailable" in page.text

    response = client.post(reverse("console:outbox_retry", args=[message.pk]), **HTMX)
    assert response.status_code == 200
    assert f'id="outbox-{message.pk}"' in response.text
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert client.post(reverse("console:outbox_retry", args=[message.pk])).status_code == 404


def test_outbox_retry_without_htmx_redirects_back(manager):
    message = _dead_letter()
    response = client_for(manager).post(reverse("console:outbox_retry", args=[message.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:outbox")


def test_new_ticket_with_a_lying_attachment_stores_nothing(staff, org_a):
    response = staff.post(
        reverse("console:ticket_new"),
        {
            "organization": org_a.pk,
            "title": "截图",
            "severity": "general",
            "kind": "question",
            "attachments": [SimpleUploadedFile("shot.png", b"plain text", "image/png")],
        },
    )
    assert response.status_code == 200
    assert "shot.png" in response.text
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
