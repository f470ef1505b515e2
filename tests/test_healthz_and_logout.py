import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_reports_each_part(client_anon):
    response = client_anon.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "vault": "ok", "ldap": "ok"}


def test_healthz_stays_up_when_vault_is_sealed_but_readyz_does_not(client_anon, fake_vault):
    fake_vault.state = "sealed"
    live, ready = client_anon.get(reverse("healthz")), client_anon.get(reverse("readyz"))
    assert (live.status_code, live.json()["vault"]) == (200, "sealed")
    assert (ready.status_code, ready.json()["status"]) == (503, "not ready")


def test_the_header_says_when_vault_is_down(client_alice, fake_vault, device_a):
    from portal.web import context_processors

    fake_vault.state = "sealed"
    context_processors._VAULT_STATE["checked"] = 0.0
    body = client_alice.get(reverse("inventory:device_list")).content.decode()
    assert "Vault is sealed" in body
    fake_vault.state = "ok"
    context_processors._VAULT_STATE["checked"] = 0.0


def test_logout_is_post_only(client_alice):
    assert client_alice.get(reverse("accounts:logout")).status_code == 405


def test_logout_ends_the_session_and_is_audited(client_alice):
    response = client_alice.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client_alice.get(reverse("inventory:device_list")).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.logout", actor_name="alice").exists()


def test_home_sends_signed_in_users_to_their_devices(client_alice):
    response = client_alice.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("inventory:device_list")


def test_responses_carry_a_request_id(client_alice):
    assert len(client_alice.get(reverse("home"))["X-Request-ID"]) == 36


def test_auditors_land_on_the_audit_trail(client_dave):
    response = client_dave.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("audit:event_list")


def test_someone_in_no_keydesk_group_is_told_what_to_ask_for(db, client):
    from tests.conftest import signed_in
    from tests.factories import make_user

    body = signed_in(make_user("erin", "marketing"), client).get(reverse("home")).content.decode()
    assert "not in any Keydesk group" in body and "keydesk-engineers" in body and "marketing" in body


def test_the_admin_says_no_to_engineers_instead_of_looping(client_alice):
    response = client_alice.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1


def test_non_auditors_are_told_the_trail_is_for_auditors(client_alice):
    response = client_alice.get(reverse("audit:event_list"))
    assert response.status_code == 403 and "auditor group" in response.content.decode()


def test_sign_in_never_lands_on_a_post_only_action(client_alice, credential_a):
    response = client_alice.get(
        reverse("accounts:login"), {"next": f"/credentials/{credential_a.pk}/reveal/"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_an_engineer_without_grants_is_told_to_ask_for_one(db, client):
    from django.conf import settings

    from tests.conftest import signed_in
    from tests.factories import make_user

    client = signed_in(make_user("frank", settings.KEYDESK_ENGINEER_GROUP), client)
    body = client.get(reverse("home")).content.decode()
    assert "no grant gives you any devices yet" in body
    assert 'href="/devices/"' not in body  # no nav entry that would only lead to a 403


def test_a_deactivated_account_loses_its_session(client_alice, alice):
    alice.is_active = False
    alice.save()
    response = client_alice.get(reverse("inventory:device_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_readyz_is_not_ready_when_vault_refuses_the_portals_login(client_anon, fake_vault):
    fake_vault.login = "the portal's login is refused"
    ready, live = client_anon.get(reverse("readyz")), client_anon.get(reverse("healthz"))
    assert (ready.status_code, ready.json()["vault"]) == (503, "the portal's login is refused")
    assert (live.status_code, live.json()["vault"]) == (200, "ok")


def test_a_malformed_directory_uri_is_reported_not_a_500(client_anon, settings):
    settings.AUTH_LDAP_SERVER_URI = "garbage"
    for name in ("healthz", "readyz"):
        response = client_anon.get(reverse(name))
        assert response["Content-Type"] == "application/json"
        assert response.json()["ldap"] == "unreachable", name
