"""Every page carries the security headers; sessions end when too old or idle; login rotates the session id."""

import time

import pytest
from django.test import override_settings
from django.urls import reverse

from portal.accounts.services import LAST_SEEN_AT, SIGNED_IN_AT
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGES = [
    ("client_anon", "/accounts/login/"),
    ("client_anon", "/healthz"),
    ("client_alice", "/devices/"),
    ("client_alice", "device"),
    ("client_alice", "/credentials/due/"),
    ("client_dave", "/audit/"),
    ("client_carol", "/admin/"),
    ("client_carol", "/admin/entitlements/entitlement/"),
]


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_every_page_has_the_security_headers(request, device_a, who, url):
    client = request.getfixturevalue(who)
    response = client.get(device_a.get_absolute_url() if url == "device" else url)
    assert response.status_code == 200, url
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_https_responses_carry_hsts(client_anon):
    response = client_anon.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cookies_are_httponly_and_samesite(client_alice):
    response = client_alice.get("/devices/")
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert response.status_code == 200


def age(client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_an_idle_session_ends(client_alice, settings):
    age(client_alice, LAST_SEEN_AT, settings.KEYDESK_SESSION_IDLE_SECONDS + 1)
    response = client_alice.get("/devices/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEvent.objects.filter(action="accounts.session.expired", actor_name="alice").exists()
    assert client_alice.get("/devices/").status_code == 302


def test_a_session_past_its_maximum_age_ends_even_when_active(client_alice, settings):
    age(client_alice, SIGNED_IN_AT, settings.KEYDESK_SESSION_MAX_AGE_SECONDS + 1)
    assert client_alice.get("/devices/").status_code == 302


def test_sign_in_rotates_the_session_id(client, alice):
    alice.set_password("local-pass-x1")
    alice.save()
    client.get(reverse("accounts:login"))
    before = client.cookies.get("sessionid")
    client.post(reverse("accounts:login"), {"username": "alice", "password": "local-pass-x1"})
    after = client.cookies.get("sessionid")
    assert after is not None and (before is None or before.value != after.value)


def test_every_setting_read_from_the_environment_is_documented_in_the_readme():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = {
        node.args[0].value
        for node in ast.walk(ast.parse((root / "portal/settings.py").read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "").startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    readme = (root / "README.md").read_text()
    assert len(names) > 40 and sorted(name for name in names if f"`{name}" not in readme) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/audit/auditevent/?outcome__exact=%00",
        "/admin/inventory/device/?q=a%00b",
        "/audit/?actor=%00",
        "/devices/?q=%00",
        "/devices/?%00=x",
    ],
)
def test_a_nul_byte_in_a_query_is_a_400_not_a_500(client_carol, client_dave, path):
    client = client_dave if "audit" in path else client_carol
    assert client.get(path).status_code == 400


def test_a_nul_byte_in_a_form_is_a_400(client_alice, credential_a):
    response = client_alice.post(f"/credentials/{credential_a.pk}/reveal/", {"ticket": "INC\x001"})
    assert response.status_code == 400


def test_ordinary_unicode_queries_still_work(client_alice, device_a):
    assert client_alice.get("/devices/", {"q": "Zürich – 東京 🙂"}).status_code == 200
