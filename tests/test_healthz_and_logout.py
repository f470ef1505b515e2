import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_healthz_is_public_and_checks_the_database(client_anon):
    response = client_anon.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


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
