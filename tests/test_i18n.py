"""The UI speaks Simplified Chinese by default and English on request (locale/zh_Hans)."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from roadie.accounts.models import Role
from roadie.core.tests.factories import make_user

pytestmark = pytest.mark.django_db

SEVERITY_DEFINITIONS_ZH = (
    "系统完全不可用。",
    "核心功能故障，但系统仍可运行。",
    "小问题或使用体验问题。",
)


def test_login_page_is_chinese_by_default():
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录 Roadie" in body
    assert "密码" in body
    assert "Log in" not in body


def test_login_page_follows_accept_language():
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("login")).content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    assert "登录" in zh
    assert "Log in to Roadie" in en
    assert "登录 Roadie" not in en


def test_language_cookie_switches_to_english():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("login")).content.decode()
    assert "Log in" in body
    assert "Password" in body


def test_set_language_view_switches_to_english():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert "Log in to Roadie" in client.get(reverse("login")).content.decode()


def test_portal_new_ticket_shows_severity_definitions_in_chinese():
    customer = make_user(role=Role.CUSTOMER_ADMIN)
    customer.language = "zh-hans"
    customer.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(customer)
    response = client.get(reverse("portal:ticket_new"))
    assert response.status_code == 200
    body = response.content.decode()
    for definition in SEVERITY_DEFINITIONS_ZH:
        assert definition in body
    for grade in ("紧急", "重要", "一般"):
        assert grade in body
    assert "提交工单" in body
