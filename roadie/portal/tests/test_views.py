import base64
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from roadie.accounts.models import Invitation, Role, User
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.portal.tickets import views as portal_views
from roadie.tickets import services
from roadie.tickets.attachments import check_upload
from roadie.tickets.models import Attachment, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

# A real 1×1 PNG: the attachment check sniffs the bytes, not the name.
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def screenshot(name: str = "截图.png", data: bytes = PNG_1X1) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_customer_files_urgent_ticket_in_chinese_with_screenshot(customer_a):
    client = client_for(customer_a)
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "title": "直播间全部黑屏，用户无法观看",
            "description": "从 **20:00** 开始所有直播间黑屏。",
            "severity": "urgent",
            "kind": "incident",
            "attachments": [screenshot()],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[ticket.number])
    assert ticket.organization == customer_a.organization
    assert ticket.severity == "urgent"
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.content_type == "image/png"
    assert attachment.comment is None

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "直播间全部黑屏，用户无法观看" in html
    assert "<strong>20:00</strong>" in html  # the description is rendered Markdown
    assert reverse("tickets:attachment", args=[attachment.pk]) in html
    assert "<img" in html  # images show as thumbnails
    assert ticket.number in html

    listing = client.get(reverse("portal:tickets")).content.decode()
    assert ticket.number in listing
    assert "直播间全部黑屏，用户无法观看" in listing
    assert "sev-urgent" in listing

    download = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG_1X1


def test_new_ticket_page_shows_severity_definitions_and_kind_hint(customer_a):
    html = client_for(customer_a).get(reverse("portal:ticket_new")).content.decode()
    assert 'type="radio"' in html
    for severity in ("urgent", "important", "general"):
        assert f'value="{severity}"' in html
    assert "The system is fully unavailable." in html or "系统完全不可用" in html
    assert 'name="attachments"' in html and "multiple" in html
    assert 'value="change_request"' in html


def test_refused_attachment_leaves_no_ticket_and_no_attachment(customer_a):
    client = client_for(customer_a)
    response = client.post(
        reverse("portal:ticket_new"),
        {
            "title": "推流失败",
            "severity": "general",
            "kind": "defect",
            "attachments": [screenshot("fake.png", b"this is plain text, not a picture\n")],
        },
    )
    assert response.status_code == 200
    assert "fake.png" in response.context["form"].errors["attachments"][0]
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_new_ticket_refuses_another_organizations_deployment(customer_a, org_b):
    deployment_b = factories.make_deployment(org_b)
    response = client_for(customer_a).post(
        reverse("portal:ticket_new"),
        {"title": "x", "severity": "general", "kind": "question", "deployment": deployment_b.pk},
    )
    assert response.status_code == 200
    assert "deployment" in response.context["form"].errors
    assert Ticket.objects.count() == 0


def test_new_ticket_offers_own_modules_and_deployments_only(customer_a, org_a, org_b):
    mine = factories.make_deployment(org_a)
    module = factories.make_module(mine.product)
    theirs = factories.make_deployment(org_b)
    other_module = factories.make_module(theirs.product)
    form = client_for(customer_a).get(reverse("portal:ticket_new")).context["form"]
    assert list(form.fields["deployment"].queryset) == [mine]
    assert list(form.fields["module"].queryset) == [module]
    assert other_module not in form.fields["module"].queryset


def test_ticket_page_never_shows_an_internal_note(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_comment(
        ticket=ticket, by=agent, body="内部备注：客户欠费，先别修", public=False
    )
    services.ticket_comment(ticket=ticket, by=agent, body="我们正在排查推流服务器。")
    html = client_for(customer_a).get(reverse("portal:ticket", args=[ticket.number]))
    html = html.content.decode()
    assert "我们正在排查推流服务器。" in html
    assert "内部备注" not in html
    assert "客户欠费" not in html


def test_internal_note_attachments_stay_hidden(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    upload = check_upload(name="internal.png", declared_type="image/png", data=PNG_1X1)
    note = services.ticket_comment(
        ticket=ticket, by=agent, body="内部截图", public=False, attachments=[upload]
    )
    attachment = note.attachments.get()
    client = client_for(customer_a)
    html = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert "internal.png" not in html
    assert reverse("tickets:attachment", args=[attachment.pk]) not in html
    assert client.get(reverse("tickets:attachment", args=[attachment.pk])).status_code == 404


def test_waiting_status_reads_waiting_on_you(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_change_status(ticket=ticket, status=Status.WAITING, by=agent)
    client = client_for(customer_a)
    for url in (reverse("portal:tickets"), reverse("portal:ticket", args=[ticket.number])):
        html = client.get(url).content.decode()
        assert "Waiting on you" in html or "等待您" in html
        assert "Waiting on customer" not in html


def test_another_organizations_ticket_is_404_everywhere(customer_a, customer_b):
    ticket = factories.make_ticket(requester=customer_b)
    client = client_for(customer_a)
    assert client.get(reverse("portal:ticket", args=[ticket.number])).status_code == 404
    for name in ("portal:ticket_reply", "portal:ticket_close", "portal:ticket_reopen"):
        url = reverse(name, args=[ticket.number])
        assert client.post(url, {"body": "hi"}).status_code == 404, name
        assert client.post(url, {"body": "hi"}, **HTMX).status_code == 404, name
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert ticket.comments.count() == 0
    assert client.get(reverse("portal:ticket", args=["RD-999999"])).status_code == 404
    assert client.get(reverse("portal:ticket", args=["nonsense"])).status_code == 404


def test_list_shows_only_own_organization(customer_a, customer_b):
    mine = factories.make_ticket(requester=customer_a, title="我的工单")
    theirs = factories.make_ticket(requester=customer_b, title="别人的工单")
    html = client_for(customer_a).get(reverse("portal:tickets")).content.decode()
    assert mine.number in html
    assert theirs.number not in html and "别人的工单" not in html
    searched = client_for(customer_a).get(reverse("portal:tickets"), {"q": theirs.number})
    assert searched.context["page"].items == []


def test_reply_via_htmx_returns_the_timeline_partial_with_the_reply(customer_a, agent):
    ticket = factories.make_ticket(requester=customer_a)
    services.ticket_change_status(ticket=ticket, status=Status.WAITING, by=agent)
    response = client_for(customer_a).post(
        reverse("portal:ticket_reply", args=[ticket.number]),
        {"body": "已按要求**重启**服务器", "attachments": [screenshot("log.png")]},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.lstrip().startswith('<ol id="timeline"')
    assert "<strong>重启</strong>" in html
    assert 'id="reply" hx-swap-oob="true"' in html  # a fresh, empty form replaces the old one
    assert re.search(r'id="ticket-status"[^>]*hx-swap-oob="true"', html)
    assert "已按要求" not in html.split('id="reply"')[1]  # the form is cleared
    comment = ticket.comments.get()
    assert comment.attachments.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # replying to "waiting on you" hands it back


def test_reply_without_htmx_redirects_back(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    url = reverse("portal:ticket", args=[ticket.number])
    response = client_for(customer_a).post(
        reverse("portal:ticket_reply", args=[ticket.number]), {"body": "补充信息"}
    )
    assert response.status_code == 302
    assert response["Location"] == url
    assert ticket.comments.get().body == "补充信息"


def test_empty_reply_shows_an_error_and_writes_nothing(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    response = client_for(customer_a).post(
        reverse("portal:ticket_reply", args=[ticket.number]), {"body": "  "}, **HTMX
    )
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert ticket.comments.count() == 0


def test_close_then_reopen_writes_events(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    client = client_for(customer_a)
    detail = reverse("portal:ticket", args=[ticket.number])
    assert (
        reverse("portal:ticket_close", args=[ticket.number]) in client.get(detail).content.decode()
    )

    response = client.post(reverse("portal:ticket_close", args=[ticket.number]))
    assert response.status_code == 302 and response["Location"] == detail
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    html = client.get(detail).content.decode()
    assert reverse("portal:ticket_reopen", args=[ticket.number]) in html
    assert reverse("portal:ticket_close", args=[ticket.number]) not in html
    assert reverse("portal:ticket_reply", args=[ticket.number]) not in html  # reopen to reply

    client.post(reverse("portal:ticket_reopen", args=[ticket.number]))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count(TicketEvent.Kind.STATUS_CHANGED) == 2
    assert TicketEvent.Kind.REOPENED in kinds


def test_reopening_an_open_ticket_shows_the_error_as_a_message(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    client = client_for(customer_a)
    response = client.post(reverse("portal:ticket_reopen", args=[ticket.number]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_ticket_page_shows_contract_tier_and_period(customer_a, org_a):
    ticket = factories.make_ticket(requester=customer_a)
    html = client_for(customer_a).get(reverse("portal:ticket", args=[ticket.number]))
    html = html.content.decode()
    contract = org_a.contracts.get()
    assert contract.tier.name in html
    assert "2026-01-01" in html and "2027-12-31" in html


def test_reopen_after_the_window_is_refused_with_a_message(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    long_ago = timezone.now() - timedelta(days=settings.ROADIE_REOPEN_WINDOW_DAYS + 1)
    services.ticket_close(ticket=ticket, by=customer_a, at=long_ago)
    client = client_for(customer_a)
    detail = client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
    assert reverse("portal:ticket_reopen", args=[ticket.number]) not in detail
    response = client.post(reverse("portal:ticket_reopen", args=[ticket.number]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_staff_visiting_the_portal_go_to_the_console(agent):
    response = client_for(agent).get(reverse("portal:tickets"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:queue")


def test_anonymous_visitors_are_sent_to_login(db):
    response = Client().get(reverse("portal:tickets"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_tabs_filters_and_search(customer_a, agent):
    urgent = factories.make_ticket(requester=customer_a, title="全站宕机", severity="urgent")
    general = factories.make_ticket(requester=customer_a, title="按钮错位", severity="general")
    done = factories.make_ticket(requester=customer_a, title="已经解决的问题")
    services.ticket_close(ticket=done, by=customer_a)
    client = client_for(customer_a)
    url = reverse("portal:tickets")

    def numbers(**params: str) -> list[str]:
        return [t.number for t in client.get(url, params).context["page"].items]

    assert numbers() == [general.number, urgent.number]  # open tab, newest first
    assert numbers(tab="closed") == [done.number]
    assert numbers(tab="all") == [done.number, general.number, urgent.number]
    assert numbers(severity="urgent") == [urgent.number]
    assert numbers(tab="all", status="closed") == [done.number]
    assert numbers(q="宕机") == [urgent.number]
    assert numbers(q=general.number) == [general.number]
    assert numbers(tab="all", sort="oldest") == [urgent.number, general.number, done.number]
    assert numbers(severity="bogus") == [general.number, urgent.number]  # invalid values ignored


def test_list_paginates_with_a_cursor(customer_a, monkeypatch):
    monkeypatch.setattr(portal_views, "PAGE_SIZE", 2)
    tickets = [factories.make_ticket(requester=customer_a, title=f"工单 {i}") for i in range(3)]
    client = client_for(customer_a)
    first = client.get(reverse("portal:tickets"))
    assert [t.pk for t in first.context["page"].items] == [tickets[2].pk, tickets[1].pk]
    match = re.search(r'href="\?([^"]*cursor=[^"]+)"', first.content.decode())
    assert match, "a Next page link"
    second = client.get(reverse("portal:tickets") + "?" + match.group(1).replace("&amp;", "&"))
    assert [t.pk for t in second.context["page"].items] == [tickets[0].pk]
    assert second.context["page"].next_cursor is None
    broken = client.get(reverse("portal:tickets"), {"cursor": "!!not-a-cursor"})
    assert broken.status_code == 200  # a bad cursor falls back to the first page


def test_list_htmx_returns_only_the_results(customer_a):
    factories.make_ticket(requester=customer_a)
    html = client_for(customer_a).get(reverse("portal:tickets"), **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<html" not in html


def test_list_query_count_does_not_grow_with_rows(customer_a, django_assert_max_num_queries):
    for i in range(8):
        factories.make_ticket(requester=customer_a, title=f"工单 {i}")
    client = client_for(customer_a)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:tickets"), {"tab": "all"})
    assert len(response.context["page"].items) == 8


def test_portal_pages_are_responsive(customer_a):
    ticket = factories.make_ticket(requester=customer_a)
    client = client_for(customer_a)
    listing = client.get(reverse("portal:tickets")).content.decode()
    assert 'class="table responsive' in listing
    assert 'name="viewport"' in listing
    for url in (
        reverse("portal:tickets"),
        reverse("portal:ticket_new"),
        reverse("portal:team"),
        reverse("tokens"),
    ):
        assert f'href="{url}"' in listing
    assert client.get(reverse("portal:ticket", args=[ticket.number])).status_code == 200


def test_customer_admin_invites_a_colleague_who_joins_the_same_organization(customer_a, org_a):
    client = client_for(customer_a)
    response = client.post(
        reverse("portal:team"), {"email": "Colleague@Alpha.example", "role": "customer_member"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.organization == org_a
    message = OutboxMessage.objects.get(recipient="colleague@alpha.example")
    assert message.idempotency_key.startswith(f"invitation:{invitation.pk}")
    prefix = settings.ROADIE_BASE_URL + "/accounts/invitation/"
    assert prefix in message.body
    link = re.search(
        re.escape(settings.ROADIE_BASE_URL) + r"(/accounts/invitation/\S+/)", message.body
    )
    assert link

    team_page = client.get(reverse("portal:team")).content.decode()
    assert "colleague@alpha.example" in team_page  # pending

    joined = Client().post(link.group(1), {"name": "小王", "password": "Live-stream-2026!"})
    assert joined.status_code == 302
    user = User.objects.get(email="colleague@alpha.example")
    assert user.organization == org_a
    assert user.role == Role.CUSTOMER_MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_inviting_an_existing_user_is_a_form_error(customer_a):
    response = client_for(customer_a).post(
        reverse("portal:team"), {"email": customer_a.email, "role": "customer_member"}
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert Invitation.objects.count() == 0
    assert OutboxMessage.objects.filter(idempotency_key__startswith="invitation:").count() == 0


def test_customer_member_sees_the_team_but_cannot_invite(org_a, customer_a):
    member = factories.make_user(Role.CUSTOMER_MEMBER, org_a)
    client = client_for(member)
    page = client.get(reverse("portal:team"))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert customer_a.email in page.content.decode()
    assert 'name="email"' not in page.content.decode()
    response = client.post(
        reverse("portal:team"), {"email": "x@alpha.example", "role": "customer_admin"}
    )
    assert response.status_code == 403
    assert Invitation.objects.count() == 0


def test_team_lists_only_own_organization(customer_a, customer_b):
    html = client_for(customer_a).get(reverse("portal:team")).content.decode()
    assert customer_a.email in html
    assert customer_b.email not in html
