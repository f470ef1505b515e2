"""The idle timeout signs out idle sessions only, however short it is set."""

import time

import pytest
from django.urls import reverse

from portal.accounts import services
from portal.accounts.services import LAST_SEEN_AT
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
DEVICES = reverse("inventory:device_list")


class Clock:
    """The session clock of portal.accounts.services, moved by the test."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(services, "time", fake)
    return fake


def test_a_user_active_every_two_seconds_stays_signed_in_with_a_six_second_timeout(
    client_alice, clock, settings
):
    settings.KEYDESK_SESSION_IDLE_SECONDS = 6
    for step in range(15):
        clock.now += 2
        response = client_alice.get(DEVICES)
        assert response.status_code == 200, f"signed out after {2 * (step + 1)} s of activity"
    assert not AuditEvent.objects.filter(action="accounts.session.expired").exists()


def test_a_short_timeout_still_ends_an_idle_session(client_alice, clock, settings):
    settings.KEYDESK_SESSION_IDLE_SECONDS = 6
    clock.now += 2
    assert client_alice.get(DEVICES).status_code == 200
    clock.now += 7
    response = client_alice.get(DEVICES)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="accounts.session.expired", actor_name="alice").exists()


def test_with_the_default_timeout_last_seen_is_not_written_on_every_request(client_alice, clock, settings):
    settings.KEYDESK_SESSION_IDLE_SECONDS = 30 * 60
    written = client_alice.session[LAST_SEEN_AT]
    clock.now += 30
    assert client_alice.get(DEVICES).status_code == 200
    assert client_alice.session[LAST_SEEN_AT] == written
    clock.now += 31
    assert client_alice.get(DEVICES).status_code == 200
    assert client_alice.session[LAST_SEEN_AT] == clock.now
