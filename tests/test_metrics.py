"""/metrics: protected by a bearer token, and counting what operators watch."""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.conftest import HTMX

pytestmark = pytest.mark.django_db
URL = "/metrics"


def test_without_a_configured_token_there_is_no_endpoint(client_anon, settings):
    settings.KEYDESK_METRICS_TOKEN = ""
    assert client_anon.get(URL).status_code == 404


@override_settings(KEYDESK_METRICS_TOKEN="scrape-me-123")
@pytest.mark.parametrize(
    "header", ["", "Bearer wrong", "scrape-me-123x", "scrape-me-123", "Basic c2NyYXBlLW1lLTEyMw=="]
)
def test_a_wrong_or_missing_token_is_401(client_anon, header):
    response = client_anon.get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401 and "Bearer" in response["WWW-Authenticate"]


@override_settings(KEYDESK_METRICS_TOKEN="scrape-me-123")
def test_metrics_count_requests_by_view_and_reveals_by_outcome(
    client_anon, client_alice, client_bob, credential_a, django_capture_on_commit_callbacks
):
    client_alice.get(reverse("inventory:device_list"))
    with django_capture_on_commit_callbacks(execute=True):  # counted once the event is committed
        client_alice.post(reverse("vault:credential_reveal", args=[credential_a.pk]), **HTMX)
    client_bob.post(reverse("vault:credential_reveal", args=[credential_a.pk]), **HTMX)
    body = client_anon.get(URL, HTTP_AUTHORIZATION="Bearer scrape-me-123").content.decode()
    assert (
        'keydesk_http_request_seconds_count{method="GET",status="2xx",view="inventory:device_list"}' in body
    )
    assert 'keydesk_secret_actions_total{action="reveal",outcome="success"}' in body
    assert "initial-secret-A1" not in body


@override_settings(KEYDESK_METRICS_TOKEN="scrape-me-123")
def test_invented_http_methods_do_not_invent_time_series(client_anon):
    for number in range(20):
        client_anon.generic(f"BREW{number}", reverse("healthz"))
    body = client_anon.get(URL, HTTP_AUTHORIZATION="Bearer scrape-me-123").content.decode()
    assert "BREW" not in body
    assert 'method="other"' in body
