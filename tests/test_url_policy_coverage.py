"""Meta-tests: no view escapes the access rule, and every view has its own matrix tests."""

import re
from pathlib import Path

import pytest
from django.core import checks
from django.urls import reverse

from portal.access.checks import EXEMPT_NAMESPACES, access_mark, iter_patterns
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PATTERNS = [
    (route, namespace, view)
    for route, namespace, view in iter_patterns()
    if namespace not in EXEMPT_NAMESPACES
]
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def test_every_url_has_an_access_mark():
    unmarked = [route for route, _, view in PATTERNS if access_mark(view) is None]
    assert unmarked == []


def test_the_system_check_reports_no_unmarked_view():
    assert [message for message in checks.run_checks() if message.id == "keydesk.E001"] == []


def _concrete(route: str, objects: dict[str, int]) -> str:
    return "/" + PARAMETER.sub(lambda match: str(objects[match.group("name")]), route)


@pytest.fixture
def objects(credential_a) -> dict[str, int]:
    return {"pk": credential_a.pk}


def _object_pk(mark: tuple, credential_a) -> int:
    return credential_a.device.pk if mark[2] == "inventory.device" else credential_a.pk


@pytest.mark.parametrize(
    ("route", "namespace", "view"), PATTERNS, ids=[route or "/" for route, _, _ in PATTERNS]
)
def test_each_url_refuses_anonymous_and_unentitled_users(client, route, namespace, view, credential_a):
    mark = access_mark(view)
    url = _concrete(route, {"pk": _object_pk(mark, credential_a)} if "<" in route else {})
    method = client.post if "reveal" in route or "rotate" in route or "logout" in route else client.get
    anonymous = method(url)
    if mark[0] == "public":
        # Public views guard themselves when they must (metrics: a bearer token, else 404).
        assert anonymous.status_code in (200, 400, 404, 405), url
        return
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], url
    if mark[0] == "authenticated":
        return
    client.force_login(make_user("nobody"), backend="portal.accounts.backends.LocalAccountBackend")
    refused = method(url)
    assert refused.status_code == (404 if "<" in route else 403), url


def test_every_named_view_is_exercised_by_a_test_module():
    sources = "\n".join(
        path.read_text()
        for path in Path(__file__).parent.rglob("test_*.py")
        if path.name != Path(__file__).name
    )
    missing = []
    for route, _namespace, view in PATTERNS:
        name = view.__name__
        if name not in sources and f"/{route}" not in sources:
            missing.append(route)
    assert missing == [], f"no test module mentions these views: {missing}"


def test_reverse_names_resolve():
    assert reverse("inventory:device_list") == "/devices/"


def _admin_urls() -> list[str]:
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        urls += [reverse(f"{prefix}_{view}", args=[1]) for view in ("change", "delete", "history")]
    return urls


@pytest.mark.parametrize("url", _admin_urls())
def test_admin_refuses_anonymous_and_unentitled_users(client, url):
    anonymous = client.get(url, follow=True)
    assert anonymous.redirect_chain and "/accounts/login/" in anonymous.redirect_chain[-1][0], url
    client.force_login(make_user("nobody"), backend="portal.accounts.backends.LocalAccountBackend")
    assert client.get(url, follow=True).status_code == 403, url
