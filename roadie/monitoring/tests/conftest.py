import pytest

from roadie.monitoring.tests.factories import make_default_policy, make_monitored


@pytest.fixture
def monitored(org_a):
    """Organization A's production deployment and its ingest token."""
    return make_monitored(org_a)


@pytest.fixture
def policy(db):
    return make_default_policy()
