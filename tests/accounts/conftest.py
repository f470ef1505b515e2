import pytest

from tests.factories import make_user


@pytest.fixture
def local(db):
    """A local break-glass superuser (LocalAccountBackend) with a known password."""
    user = make_user("breakglass", is_superuser=True, is_staff=True)
    user.set_password("Right-Password-1")
    user.save()
    return user
