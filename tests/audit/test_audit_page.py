"""The auditors' page: filters, keyset pages, timelines, exports."""

import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from tests.conftest import HTMX

pytestmark = pytest.mark.django_db
URL = reverse("audit:event_list")


def shown(response) -> list[str]:
    return [row.record.message for row in response.context["table"].rows]


@pytest.fixture
def many(alice, bob, credential_a):
    for number in range(120):
        actor = alice if number % 2 else bob
        audit.record(
            actor,
            "vault.secret.read",
            target=credential_a if number % 3 == 0 else None,
            message=f"m{number:03d}",
        )


def walk(client, params: dict) -> list[str]:
    seen, response = [], client.get(URL, params)
    while True:
        seen += shown(response)
        cursor = response.context["page"].next_cursor
        if not cursor:
            return seen
        response = client.get(URL, {**params, "after": cursor})


@pytest.mark.parametrize("sort", ["-time", "time", "actor_name", "-actor_name", "-action", "outcome"])
def test_older_links_walk_every_event_once_in_order(client_dave, many, sort):
    seen = walk(client_dave, {"sort": sort})
    assert len(seen) == len(set(seen)) == 120
    if sort == "-time":
        assert seen[:2] == ["m119", "m118"] and seen[-1] == "m000"


def test_a_deep_page_costs_the_same_queries_as_the_first(client_dave, many):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = client_dave.get(URL)
    cursor = client_dave.get(URL, {"after": first.context["page"].next_cursor}).context["page"].next_cursor
    with CaptureQueriesContext(connection) as on_first:
        client_dave.get(URL)
    with CaptureQueriesContext(connection) as on_third:
        client_dave.get(URL, {"after": cursor})
    assert len(on_first) == len(on_third) <= 10
    sql = " ".join(query["sql"].upper() for query in on_first.captured_queries + on_third.captured_queries)
    assert "COUNT(" not in sql and "OFFSET" not in sql


def test_a_tampered_page_link_falls_back_to_the_newest_page(client_dave, many):
    response = client_dave.get(URL, {"after": "forged-cursor"})
    assert response.status_code == 200 and "not valid any more" in response.content.decode()
    assert shown(response)[0] == "m119"


def test_filters_combine(client_dave, many):
    messages = walk(client_dave, {"actor": "ALICE", "device": "A-0001", "outcome": "success"})
    assert messages and all(int(m[1:]) % 2 == 1 and int(m[1:]) % 3 == 0 for m in messages)


def test_free_text_and_date_range(client_dave, many):
    assert walk(client_dave, {"q": "M042"}) == ["m042"]
    today = timezone.localdate().isoformat()
    assert len(walk(client_dave, {"since": today, "until": today})) == 120
    assert walk(client_dave, {"until": "2001-01-01"}) == []


def test_bad_dates_are_reported_not_a_500(client_dave):
    response = client_dave.get(URL, {"since": "yesterday", "outcome": "maybe"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Enter a valid date" in body and "Select a valid choice" in body


def test_device_and_person_timelines(client_dave, many):
    response = client_dave.get(URL, {"device": "A-0001"})
    assert "Timeline of device A-0001" in response.content.decode()
    assert 'href="/audit/?device=A-0001"' in response.content.decode()
    assert "Timeline of alice" in client_dave.get(URL, {"actor": "alice"}).content.decode()


def test_htmx_gets_only_the_results(client_dave, many):
    body = client_dave.get(URL, {"actor": "bob"}, **HTMX).content.decode()
    assert "<html" not in body and 'id="results"' in body


def export(client, fmt: str, **params) -> str:
    response = client.get(reverse(f"audit:event_export_{fmt}"), params)
    assert response.status_code == 200 and response.streaming
    assert "no-store" in response["Cache-Control"] and "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode()


def test_csv_export_of_the_filtered_set_is_audited(client_dave, many):
    rows = list(csv.DictReader(io.StringIO(export(client_dave, "csv", actor="alice"))))
    assert len(rows) == 60 and {row["actor_name"] for row in rows} == {"alice"}
    assert [row["sequence"] for row in rows] == sorted((row["sequence"] for row in rows), key=int)
    event = AuditEvent.objects.get(action="audit.export")
    assert (event.actor_name, event.detail) == ("dave", {"format": "csv", "filters": {"actor": "alice"}})


@pytest.mark.parametrize(
    "dangerous", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]
)
def test_csv_cells_cannot_become_formulas(client_dave, alice, dangerous):
    audit.record(alice, "accounts.login.failed", actor_name=dangerous, message=dangerous)
    row = next(csv.DictReader(io.StringIO(export(client_dave, "csv"))))
    assert row["actor_name"] == "'" + dangerous and row["message"] == "'" + dangerous


def test_jsonl_export_is_one_object_per_line_with_the_chain(client_dave, many):
    lines = export(client_dave, "jsonl", q="m00").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 10 and all(len(record["hash"]) == 64 for record in records)


@pytest.mark.parametrize("who", ["client_alice", "client_carol"])
@pytest.mark.parametrize("url", ["/audit/export.csv", "/audit/export.jsonl"])
def test_export_is_for_auditors_only(request, who, url):
    assert request.getfixturevalue(who).get(url).status_code == 403


def test_action_filter_is_exact_unless_it_ends_with_a_star(client_dave, alice):
    audit.record(alice, "vault.secret.read", message="read")
    audit.record(alice, "vault.secret.rotate", message="rotate")
    audit.record(alice, "accounts.login", message="login")
    assert walk(client_dave, {"action": "vault.secret.read"}) == ["read"]
    assert walk(client_dave, {"action": "vault.*"}) == ["rotate", "read"]


def test_the_rendered_page_links_to_older_events_until_the_end(client_dave, many):
    import re

    response, seen = client_dave.get(URL), []
    while True:
        body = response.content.decode()
        seen += shown(response)
        match = re.search(r'href="(\?[^"]*after=[^"]*)"[^>]*data-testid="older"', body)
        if not match:
            break
        response = client_dave.get(URL + match.group(1).replace("&amp;", "&"))
    assert len(seen) == len(set(seen)) == 120
    assert "⇤ Newest" in body


def test_far_away_dates_are_a_message_and_export_nothing(client_dave, many):
    page = client_dave.get(URL, {"until": "9999-12-31"})
    assert page.status_code == 200 and "before the year 3000" in page.content.decode()
    export = client_dave.get(reverse("audit:event_export_csv"), {"until": "9999-12-31"})
    assert export.status_code == 400
    assert not AuditEvent.objects.filter(action="audit.export").exists()
