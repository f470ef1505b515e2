"""Directory changes reach open sessions: group removal, disabled accounts, LDAP down — real slapd."""

import os
import time
import uuid

import ldap
import pytest
from django.test import override_settings
from django.urls import reverse

from portal.accounts.models import User
from portal.accounts.services import DIRECTORY_CHECKED_AT
from portal.audit.models import AuditEvent
from tests.conftest import HTMX
from tests.factories import make_credential, make_device, make_grant

pytestmark = pytest.mark.django_db

PEOPLE = "ou=people,dc=example,dc=org"
GROUPS = "ou=groups,dc=example,dc=org"


def directory_admin() -> "ldap.ldapobject.LDAPObject":
    from django.conf import settings

    connection = ldap.initialize(settings.AUTH_LDAP_SERVER_URI)
    connection.simple_bind_s(os.environ["KEYDESK_LDAP_ADMIN_DN"], os.environ["KEYDESK_LDAP_ADMIN_PASSWORD"])
    return connection


@pytest.fixture
def directory_user():
    """A throwaway engineer of team Acme in the real directory, removed again afterwards."""
    uid = f"tmp{uuid.uuid4().hex[:8]}"
    dn = f"uid={uid},{PEOPLE}"
    admin = directory_admin()
    admin.add_s(
        dn,
        [
            ("objectClass", [b"inetOrgPerson"]),
            ("uid", [uid.encode()]),
            ("cn", [b"Temp Engineer"]),
            ("sn", [b"Engineer"]),
            ("userPassword", [b"tmp-pass"]),
        ],
    )
    for group in ("keydesk-engineers", "team-acme"):
        admin.modify_s(f"cn={group},{GROUPS}", [(ldap.MOD_ADD, "member", [dn.encode()])])
    yield uid, dn
    for group in ("keydesk-engineers", "team-acme"):
        try:
            admin.modify_s(f"cn={group},{GROUPS}", [(ldap.MOD_DELETE, "member", [dn.encode()])])
        except ldap.NO_SUCH_ATTRIBUTE:
            pass
    admin.delete_s(dn)
    admin.unbind_s()


@pytest.fixture
def acme_device(acme_tenant):
    make_grant(acme_tenant, "view", "reveal", group="team-acme")
    device = make_device(acme_tenant)
    return device, make_credential(device)


def sign_in(client, uid: str) -> None:
    response = client.post(reverse("accounts:login"), {"username": uid, "password": "tmp-pass"})
    assert response.status_code == 302, response.content.decode()


def pretend_last_check_was_long_ago(client, settings) -> None:
    session = client.session
    session[DIRECTORY_CHECKED_AT] = time.time() - settings.KEYDESK_DIRECTORY_RECHECK_SECONDS - 1
    session.save()


def test_removal_from_a_group_stops_sensitive_actions_at_once(client, directory_user, acme_device):
    uid, dn = directory_user
    device, credential = acme_device
    sign_in(client, uid)
    assert client.get(device.get_absolute_url()).status_code == 200
    directory_admin().modify_s(f"cn=team-acme,{GROUPS}", [(ldap.MOD_DELETE, "member", [dn.encode()])])
    response = client.post(reverse("vault:credential_reveal", args=[credential.pk]), **HTMX)
    assert response.status_code == 404
    assert "team-acme" not in User.objects.get(username=uid).groups.values_list("name", flat=True)


def test_removal_from_a_group_reaches_an_open_session_within_the_interval(
    client, directory_user, acme_device, settings
):
    uid, dn = directory_user
    device, _ = acme_device
    sign_in(client, uid)
    directory_admin().modify_s(f"cn=team-acme,{GROUPS}", [(ldap.MOD_DELETE, "member", [dn.encode()])])
    # Within the interval the mirrored groups stand (no LDAP query on every page) ...
    assert client.get(device.get_absolute_url()).status_code == 200
    # ... and once it has passed, the next request re-reads the directory.
    pretend_last_check_was_long_ago(client, settings)
    assert client.get(device.get_absolute_url()).status_code == 404


def test_disabled_account_loses_its_open_session(client, directory_user, acme_device, settings):
    uid, dn = directory_user
    device, _ = acme_device
    sign_in(client, uid)
    directory_admin().modify_s(dn, [(ldap.MOD_ADD, "pwdAccountLockedTime", [b"000001010000Z"])])
    pretend_last_check_was_long_ago(client, settings)
    response = client.get(device.get_absolute_url())
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert AuditEvent.objects.filter(
        action="accounts.directory.revoked", actor_name=uid, outcome="denied"
    ).exists()
    assert client.get(reverse("inventory:device_list")).status_code == 302  # signed out for good
    refused = client.post(reverse("accounts:login"), {"username": uid, "password": "tmp-pass"})
    assert refused.status_code == 401


def test_disabled_account_cannot_reveal_even_within_the_interval(client, directory_user, acme_device):
    uid, dn = directory_user
    _, credential = acme_device
    sign_in(client, uid)
    directory_admin().modify_s(dn, [(ldap.MOD_ADD, "pwdAccountLockedTime", [b"000001010000Z"])])
    response = client.post(reverse("vault:credential_reveal", args=[credential.pk]), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_directory_down_during_a_sensitive_action_denies_with_a_message(client, directory_user, acme_device):
    uid, _ = directory_user
    _, credential = acme_device
    sign_in(client, uid)
    with override_settings(AUTH_LDAP_SERVER_URI="ldap://127.0.0.1:9"):
        response = client.post(reverse("vault:credential_reveal", args=[credential.pk]), **HTMX)
    assert response.status_code == 503
    assert "cannot confirm your access" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="accounts.directory.check", outcome="error", actor_name=uid
    ).exists()
    assert not AuditEvent.objects.filter(action="vault.secret.read").exists()


def test_directory_down_at_the_periodic_check_signs_out(client, directory_user, acme_device, settings):
    uid, _ = directory_user
    device, _ = acme_device
    sign_in(client, uid)
    pretend_last_check_was_long_ago(client, settings)
    with override_settings(AUTH_LDAP_SERVER_URI="ldap://127.0.0.1:9"):
        response = client.get(device.get_absolute_url())
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
