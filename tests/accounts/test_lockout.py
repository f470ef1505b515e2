"""Sign-in throttling: per login name and per source address, audited, with an admin unlock."""

import pytest
from django.urls import reverse

from portal.accounts.models import LoginLockout
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def attempt(client, name: str, password: str, address: str = "192.0.2.10"):
    return client.post(LOGIN, {"username": name, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_name_even_with_the_right_password(client, local, settings):
    for _ in range(settings.KEYDESK_LOGIN_MAX_FAILURES):
        assert attempt(client, "breakglass", "wrong").status_code == 401
    locked = attempt(client, "breakglass", "Right-Password-1")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
    assert AuditEvent.objects.filter(action="accounts.login.locked").exists()
    assert AuditEvent.objects.filter(action="accounts.login.refused", actor_name="breakglass").exists()


def test_the_address_is_locked_after_more_failures_across_names(client, local, settings):
    for number in range(settings.KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS):
        attempt(client, f"guess{number}", "wrong", address="198.51.100.7")
    assert attempt(client, "breakglass", "Right-Password-1", address="198.51.100.7").status_code == 429
    assert attempt(client, "breakglass", "Right-Password-1", address="192.0.2.99").status_code == 302


def test_a_success_resets_the_names_counter(client, local, settings):
    for _ in range(settings.KEYDESK_LOGIN_MAX_FAILURES - 1):
        attempt(client, "breakglass", "wrong")
    assert attempt(client, "breakglass", "Right-Password-1").status_code == 302
    assert not LoginLockout.objects.filter(kind="user", key="breakglass").exists()


def test_an_admin_can_unlock_and_it_is_audited(client, client_carol, local, settings):
    for _ in range(settings.KEYDESK_LOGIN_MAX_FAILURES):
        attempt(client, "breakglass", "wrong")
    lock = LoginLockout.objects.get(kind="user", key="breakglass")
    response = client_carol.post(
        reverse("admin:accounts_loginlockout_changelist"), {"action": "unlock", "_selected_action": [lock.pk]}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="accounts.login.unlock", actor_name="carol").exists()
    assert attempt(client, "breakglass", "Right-Password-1", address="192.0.2.11").status_code == 302
