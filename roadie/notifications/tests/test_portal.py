"""The portal's notification page: a customer's own preferences, the organization's robots."""

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.notifications.models import Channel, NotificationPreference
from roadie.notifications.services import channel_create

pytestmark = pytest.mark.django_db
URL = "/portal/notifications/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_customer_saves_events_channels_and_quiet_hours(customer_a):
    client = client_for(customer_a)
    page = client.get(URL)
    assert page.status_code == 200 and "route__ticket.reply__email" in page.text
    response = client.post(
        URL,
        {
            "save_preferences": "1",
            "route__ticket.created__email": "on",
            "route__advisory__email": "on",
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "time_zone": "Asia/Shanghai",
            "mobile": "13900000000",
        },
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=customer_a)
    assert preference.routes["ticket.created"] == ["email"]
    assert preference.routes["ticket.reply"] == []
    assert preference.routes["*"] == ["email"]
    assert (preference.quiet_start, preference.quiet_end) == (time(22), time(8))
    assert preference.mobile == "13900000000"


def test_quiet_hours_need_both_ends(customer_a):
    response = client_for(customer_a).post(
        URL,
        {
            "save_preferences": "1",
            "quiet_start": "22:00",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert response.status_code == 422
    assert not NotificationPreference.objects.exists()


def test_a_customer_admin_adds_a_robot_for_the_organization(customer_a, org_a):
    response = client_for(customer_a).post(
        URL,
        {
            "add_channel": "1",
            "kind": "wecom",
            "name": "运维群",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.organization == org_a and channel.rate_limit_per_minute == 20


def test_members_cannot_add_robots_and_nobody_touches_another_organizations(
    org_a, org_b, customer_a
):
    member = factories.make_user(Role.CUSTOMER_MEMBER, org_a)
    assert (
        client_for(member)
        .post(
            URL,
            {
                "add_channel": "1",
                "kind": "webhook",
                "name": "x",
                "url": "https://x.example/h",
                "language": "en",
            },
        )
        .status_code
        == 404
    )
    theirs = channel_create(
        by=None, kind="webhook", name="beta", url="https://beta.example/h", organization=org_b
    )
    client = client_for(customer_a)
    for name in ("portal:notification_channel_test", "portal:notification_channel_toggle"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert "beta.example" not in client.get(URL).text
    theirs.refresh_from_db()
    assert theirs.enabled


def test_a_customer_admin_disables_the_organizations_robot(customer_a, org_a):
    ours = channel_create(
        by=None, kind="webhook", name="ops", url="https://alpha.example/h", organization=org_a
    )
    response = client_for(customer_a).post(
        reverse("portal:notification_channel_toggle", args=[ours.pk])
    )
    assert response.status_code == 302
    ours.refresh_from_db()
    assert not ours.enabled
