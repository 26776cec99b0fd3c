import pytest
from django.test import Client

from roadie.accounts.models import Role, User
from roadie.core.tests import factories


@pytest.fixture
def org_a():
    return factories.make_organization("甲公司 Alpha Live", "alpha")


@pytest.fixture
def org_b():
    return factories.make_organization("乙公司 Beta Stream", "beta")


@pytest.fixture
def customer_a(org_a) -> User:
    return factories.make_user(Role.CUSTOMER_ADMIN, org_a, email="admin@alpha.example")


@pytest.fixture
def customer_b(org_b) -> User:
    return factories.make_user(Role.CUSTOMER_ADMIN, org_b, email="admin@beta.example")


@pytest.fixture
def agent(db) -> User:
    return factories.make_user(Role.AGENT, email="agent@vendor.example")


@pytest.fixture
def manager(db) -> User:
    return factories.make_user(Role.MANAGER, email="manager@vendor.example")


@pytest.fixture
def admin_user(db) -> User:
    return factories.make_user(Role.ADMIN, email="admin@vendor.example")


def _bearer(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {factories.make_token(user)}")


@pytest.fixture
def api_as():
    """api_as(user) → a test client that authenticates with a fresh API token of that user."""
    return _bearer
