"""Django's technical 500 page (DJANGO_DEBUG=1, development only) and error reports never show
Vault AppRole credentials or database URLs."""

import secrets
import sys

from django.test import RequestFactory, override_settings
from django.views.debug import get_default_exception_reporter_filter, technical_500_response

# Made up at run time: the debug page also shows source lines around the error, and these must
# not be found there by accident.
ROLE_ID, NAMESPACE_ROLE_ID, NAMESPACE_SECRET_ID, DB_PASSWORD = (secrets.token_hex(12) for _ in range(4))
DATABASE_URL = f"postgres://keydesk:{DB_PASSWORD}@db:5432/keydesk"
SECRETS = (ROLE_ID, NAMESPACE_ROLE_ID, NAMESPACE_SECRET_ID, DB_PASSWORD)


def error_page(request) -> str:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        return technical_500_response(request, *sys.exc_info()).content.decode()


@override_settings(
    DEBUG=True,
    VAULT_ROLE_ID=ROLE_ID,
    VAULT_NAMESPACE_APPROLES={"acme": (NAMESPACE_ROLE_ID, NAMESPACE_SECRET_ID)},
)
def test_the_debug_page_hides_approle_credentials_and_database_urls():
    # runserver copies the process environment into request.META, so DATABASE_URL can be there.
    request = RequestFactory().get("/devices/", DATABASE_URL=DATABASE_URL)
    page = error_page(request)
    assert "VAULT_NAMESPACE_APPROLES" in page and "VAULT_ROLE_ID" in page and "DATABASE_URL" in page
    for value in SECRETS:
        assert value not in page


@override_settings(VAULT_NAMESPACE_APPROLES={"acme": (NAMESPACE_ROLE_ID, NAMESPACE_SECRET_ID)})
def test_the_settings_dump_of_error_reports_hides_them_too():
    safe = get_default_exception_reporter_filter().get_safe_settings()
    assert NAMESPACE_SECRET_ID not in repr(safe) and NAMESPACE_ROLE_ID not in repr(safe)
    # What stays visible stays visible: the address is needed to debug, and is no secret.
    assert safe["VAULT_ADDR"].startswith("http")
