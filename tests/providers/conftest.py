import pytest

from spink.accounts.models import Role
from tests.factories import user_with_role


@pytest.fixture
def quality():
    """A member of the quality & control team (the register's editors)."""
    return user_with_role(Role.QUALITY_CONTROL)
