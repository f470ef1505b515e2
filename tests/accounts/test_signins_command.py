"""manage.py signins: the way out of a lockout when nobody (admins included) can sign in."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portal.accounts.models import LoginLockout
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")
ADDRESS = "198.51.100.7"


def attempt(client, name: str, password: str, address: str = ADDRESS):
    return client.post(LOGIN, {"username": name, "password": password}, REMOTE_ADDR=address)


def signins(*args: str) -> str:
    out = io.StringIO()
    call_command("signins", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def address_locked(client, local, settings):
    """Failed sign-ins under many names from one address: now even the admin is refused there."""
    for number in range(settings.KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS):
        attempt(client, f"guess{number}", "wrong")
    assert attempt(client, "breakglass", "Right-Password-1").status_code == 429


def test_list_shows_the_locked_address_first(address_locked):
    lines = signins("list", "--locked").splitlines()
    assert lines[0].startswith(f"address\t{ADDRESS}\t20 failure(s)\tLOCKED until ")
    assert lines[-1] == "1 counter(s) locked now."
    everything = signins("list").splitlines()
    assert everything[0] == lines[0] and "user\tguess0\t1 failure(s)\tnot locked" in everything


def test_unlocking_the_address_lets_the_admin_sign_in_and_is_audited(client, address_locked):
    assert signins("unlock", "--address", ADDRESS, "--unlocked-by", "ops:INC0012345") == (
        f"Unlocked 1 (source address {ADDRESS}).\n"
    )
    assert attempt(client, "breakglass", "Right-Password-1").status_code == 302
    event = AuditEvent.objects.get(action="accounts.login.unlock")
    assert event.actor is None and event.actor_name == "ops:INC0012345"
    assert event.detail == {"kind": "address", "key": ADDRESS, "failures": 20}


def test_the_unlocker_defaults_to_the_os_user(address_locked, monkeypatch):
    monkeypatch.setattr("getpass.getuser", lambda: "oncall")
    signins("unlock", "--address", ADDRESS)
    assert AuditEvent.objects.filter(action="accounts.login.unlock", actor_name="signins:oncall").exists()


def test_unlocking_a_login_name(client, local, settings):
    for _ in range(settings.KEYDESK_LOGIN_MAX_FAILURES):
        attempt(client, "breakglass", "wrong", address="192.0.2.10")
    assert attempt(client, "breakglass", "Right-Password-1", address="192.0.2.11").status_code == 429
    assert signins("unlock", "--user", " BreakGlass ") == "Unlocked 1 (login name ' BreakGlass ').\n"
    assert attempt(client, "breakglass", "Right-Password-1", address="192.0.2.11").status_code == 302


def test_unlocking_all(address_locked):
    assert signins("unlock", "--all") == "Unlocked 21 (any name or address).\n"
    assert not LoginLockout.objects.exists()
    assert AuditEvent.objects.filter(action="accounts.login.unlock").count() == 21


def test_unlocking_something_not_counted_says_so(db):
    with pytest.raises(CommandError, match="Nothing to unlock: no failed sign-ins are counted for source"):
        signins("unlock", "--address", "192.0.2.200")
    assert not AuditEvent.objects.filter(action="accounts.login.unlock").exists()


def test_an_address_that_is_not_one_is_refused(db):
    with pytest.raises(CommandError, match="'not-an-ip' is not an IP address"):
        signins("unlock", "--address", "not-an-ip")


def test_unlock_needs_exactly_one_target(db):
    with pytest.raises(CommandError):
        signins("unlock")
    with pytest.raises(CommandError):
        signins("unlock", "--all", "--user", "alice")
