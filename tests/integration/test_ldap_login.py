"""Login through the real slapd: mirrored users and groups, normalised names, failures audited."""

import logging

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from portal.accounts.models import User
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_engineer_logs_in_and_is_mirrored_with_groups(client):
    response = login(client, "alice", "alice-pass")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {settings.KEYDESK_ENGINEER_GROUP, "team-acme"}
    assert (alice.display_name, alice.email, alice.is_staff) == ("Alice Martin", "alice@example.org", False)
    assert AuditEvent.objects.filter(action="accounts.login", actor=alice, outcome="success").exists()


@pytest.mark.parametrize("spelling", ["ALICE", " alice", "Alice "])
def test_any_case_or_spacing_reaches_the_same_account(client, spelling):
    assert login(client, "alice", "alice-pass").status_code == 302
    assert login(client, spelling, "alice-pass").status_code == 302
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_non_ascii_display_name_survives(client):
    assert login(client, "zoe", "zoe-pass").status_code == 302
    assert User.objects.get(username="zoe").display_name == "Zoë Ångström-Núñez"
    assert "Zoë Ångström-Núñez" in client.get(reverse("home"), follow=True).content.decode()


def test_admin_group_makes_staff_and_opens_the_admin(client):
    assert login(client, "carol", "carol-pass").status_code == 302
    assert User.objects.get(username="carol").is_staff
    assert client.get(reverse("admin:index")).status_code == 200


def test_user_in_no_keydesk_group_logs_in_but_sees_nothing(client):
    assert login(client, "erin", "erin-pass").status_code == 302
    assert client.get(reverse("inventory:device_list")).status_code == 403


def test_wrong_password_is_refused_audited_and_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = login(client, "alice", "not-the-password-xyz")
    assert response.status_code == 401
    assert "do not match" in response.content.decode()
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert (event.actor_name, event.outcome) == ("alice", "denied")
    assert "not-the-password-xyz" not in caplog.text
    assert "not-the-password-xyz" not in str(list(AuditEvent.objects.values()))


@pytest.mark.parametrize(
    "name", ["*", "alice)(uid=*", "*)(|(objectClass=*", "cn=admin,dc=example,dc=org", "a\x00b", "é" * 200]
)
def test_injection_strings_in_the_login_name_are_refused_cleanly(client, name):
    response = login(client, name, "alice-pass")
    assert response.status_code in (400, 401)
    assert not User.objects.exists()


def test_empty_form_is_a_400_with_field_errors(client):
    response = client.post(LOGIN, {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_directory_down_is_a_clear_503_and_audited(client):
    with override_settings(AUTH_LDAP_SERVER_URI="ldap://127.0.0.1:9"):
        response = login(client, "alice", "alice-pass")
    assert response.status_code == 503
    assert "cannot be reached" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="accounts.login.error", outcome="error", actor_name="alice"
    ).exists()


def test_next_parameter_cannot_redirect_off_site(client):
    response = client.post(
        LOGIN + "?next=https://evil.example/", {"username": "alice", "password": "alice-pass"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
