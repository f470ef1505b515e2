import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from tests.conftest import HTMX
from tests.factories import make_device

pytestmark = pytest.mark.django_db
URL = reverse("inventory:device_list")


def test_anonymous_is_sent_to_login(client_anon):
    response = client_anon.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_user_without_entitlements_gets_403_and_it_is_audited(db, client):
    from tests.factories import make_user

    client.force_login(make_user("erin"), backend="portal.accounts.backends.LocalAccountBackend")
    response = client.get(URL)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor_name="erin", outcome="denied").exists()


def test_engineer_sees_only_devices_of_their_tenant(client_alice, device_a, device_b):
    response = client_alice.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A-0001" in body and "B-0001" not in body


def test_outsider_sees_only_their_own(client_charlie, device_a, device_b):
    body = client_charlie.get(URL).content.decode()
    assert "B-0001" in body and "A-0001" not in body


def test_admin_sees_every_device(client_carol, device_a, device_b):
    body = client_carol.get(URL).content.decode()
    assert "A-0001" in body and "B-0001" in body


def test_search_matches_serial_name_and_site(client_alice, tenant_a):
    make_device(tenant_a, serial="A-7777", name="Pharmacy robot", site="Zurich ICU")
    make_device(tenant_a, serial="A-8888", name="Gateway", site="Basel")
    for query in ("7777", "pharmacy", "zurich"):
        body = client_alice.get(URL, {"q": query}).content.decode()
        assert "A-7777" in body and "A-8888" not in body, query


def test_tenant_filter_offers_only_visible_tenants(client_alice, tenant_a, tenant_b, device_a):
    response = client_alice.get(URL)
    choices = list(response.context["filter"].form.fields["tenant"].queryset)
    assert choices == [tenant_a]


def test_filtering_by_a_tenant_out_of_scope_is_a_clear_error_not_a_leak(client_alice, tenant_b, device_b):
    response = client_alice.get(URL, {"tenant": tenant_b.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "B-0001" not in body
    assert "Select a valid choice" in body


def test_garbage_parameters_do_not_break_the_page(client_alice, device_a):
    response = client_alice.get(
        URL, {"tenant": "'; DROP TABLE x;--", "page": "zzz", "sort": "nonexistent", "q": "x" * 5000}
    )
    assert response.status_code in (200, 404)


def test_sorting_is_stable_and_paginated(client_alice, tenant_a):
    for number in range(30):
        make_device(tenant_a, serial=f"A-{number:04d}", site="Same")
    first = client_alice.get(URL, {"sort": "site"}).context["table"].page.object_list
    second = client_alice.get(URL, {"sort": "site", "page": 2}).context["table"].page.object_list
    serials = [row.record.serial for row in first] + [row.record.serial for row in second]
    assert len(serials) == 30 and len(set(serials)) == 30


def test_htmx_request_returns_results_fragment_only(client_alice, device_a):
    response = client_alice.get(URL, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="results"' in body and "A-0001" in body
    assert "HX-Request" in response["Vary"]


def test_hand_written_rows_match_the_table_columns(client_alice, tenant_a):
    """The device rows are written out in their template for speed; every cell must still be the
    one django-tables2 would render under that column, escaping included."""
    import re

    make_device(
        tenant_a, serial="A-0100", name="<b>Robot</b>", model_name="", site="Zürich", tags=["icu", "x-ray"]
    )
    make_device(tenant_a, serial="A-0101", name="Gateway", model_name="GW-2", site="", status="retired")
    table = client_alice.get(URL).context["table"]
    request = client_alice.get(URL).wsgi_request

    def cells(html: str) -> list[list[str]]:
        body = html[html.index("<tbody") : html.index("</tbody>")]
        return [
            [re.sub(r"\s+", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr.*?</tr>", body, re.S)
        ]

    hand_written = cells(table.as_html(request))
    table.template_name = "includes/_table.html"  # the generic per-cell rendering
    generic = cells(table.as_html(request))
    assert hand_written == generic
    assert ["A-0100", "&lt;b&gt;Robot&lt;/b&gt;", "—", tenant_a.name, "Zürich", "Active", "icu, x-ray"] == [
        re.sub(r"<[^>]+>", "", cell) for cell in hand_written[0]
    ]
    assert len(hand_written[0]) == len(table.columns)
