import pytest

from roadie.core.tests import factories
from roadie.releases.tests.factories import make_engineer


@pytest.fixture
def engineer(db):
    return make_engineer()


@pytest.fixture
def product(db):
    return factories.make_product("live-pro")
