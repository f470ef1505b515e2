"""`manage.py check --deploy` refuses the public development SECRET_KEY and warns about plain
HTTP to a Vault that is not on loopback (a Vault Agent beside the app may use http://127.0.0.1)."""

import pytest
from django.core import checks
from django.test import override_settings


def deploy_messages(id_: str) -> list[checks.CheckMessage]:
    return [message for message in checks.run_checks(include_deployment_checks=True) if message.id == id_]


@pytest.mark.parametrize(
    "address",
    [
        "http://vault.example.org:8200",
        "http://10.0.0.5:8200",
        "http://[2001:db8::1]:8200",
        "http://127.example.org",
    ],
)
def test_plain_http_to_a_remote_vault_is_a_deploy_warning(address):
    with override_settings(VAULT_ADDR=address):
        [warning] = deploy_messages("keydesk.W001")
    assert warning.level == checks.WARNING and "VAULT_ADDR" in warning.msg


@pytest.mark.parametrize(
    "address",
    [
        "https://vault.example.org:8200",
        "http://127.0.0.1:8200",
        "http://127.0.0.53:8200",
        "http://localhost:8200",
        "http://LOCALHOST:8200",
        "http://[::1]:8200",
    ],
)
def test_https_or_a_loopback_vault_agent_is_fine(address):
    with override_settings(VAULT_ADDR=address):
        assert deploy_messages("keydesk.W001") == []


def test_the_vault_transport_check_runs_only_with_deploy():
    with override_settings(VAULT_ADDR="http://vault.example.org:8200"):
        assert [message for message in checks.run_checks() if message.id == "keydesk.W001"] == []


def test_the_development_secret_key_is_a_deploy_error(settings):
    settings.SECRET_KEY = settings.KEYDESK_DEV_SECRET_KEY
    [error] = deploy_messages("keydesk.E002")
    assert error.level == checks.ERROR and "SECRET_KEY" in error.msg
    assert settings.KEYDESK_DEV_SECRET_KEY not in error.msg + error.hint


def test_a_real_secret_key_passes(settings):
    settings.SECRET_KEY = "a-real-key-" + "x7Q" * 20
    assert deploy_messages("keydesk.E002") == []


@pytest.mark.parametrize(
    ("behind_proxy", "trusted", "warned"), [(True, 0, True), (True, 1, False), (False, 0, False)]
)
def test_behind_a_proxy_the_trusted_proxy_count_must_be_set(settings, behind_proxy, trusted, warned):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if behind_proxy else None
    settings.KEYDESK_TRUSTED_PROXY_COUNT = trusted
    assert bool(deploy_messages("keydesk.W002")) is warned


def test_the_csrf_cookie_is_not_readable_by_scripts(client, db):
    response = client.get("/accounts/login/")
    assert response.cookies["csrftoken"]["httponly"] is True
