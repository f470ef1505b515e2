"""Reveal, rotate and update need a recent password; the prompt appears in place and resumes."""

import json
import time

import pytest
from django.urls import reverse

from portal.accounts.services import AUTHENTICATED_AT
from portal.audit.models import AuditEvent
from tests.conftest import HTMX, signed_in

pytestmark = pytest.mark.django_db


def age_session(client, seconds: int) -> None:
    session = client.session
    session[AUTHENTICATED_AT] = time.time() - seconds
    session.save()


def test_stale_authentication_gets_the_password_prompt_not_the_value(
    client_alice, credential_a, fake_vault, settings
):
    age_session(client_alice, settings.KEYDESK_STEP_UP_SECONDS + 1)
    response = client_alice.post(reverse("vault:credential_reveal", args=[credential_a.pk]), **HTMX)
    assert response.status_code == 401
    body = response.content.decode()
    assert 'data-testid="step-up"' in body and "initial-secret-A1" not in body
    assert fake_vault.calls == []


def test_ticket_and_reason_survive_the_prompt(client_alice, credential_a, settings):
    age_session(client_alice, settings.KEYDESK_STEP_UP_SECONDS + 1)
    response = client_alice.post(
        reverse("vault:credential_rotate", args=[credential_a.pk]),
        {"ticket": "SUP-1", "reason": "x" * 12},
        **HTMX,
    )
    carry = response.context["carry_json"]
    assert json.loads(carry) == {"ticket": "SUP-1", "reason": "x" * 12}


def test_wrong_password_is_refused_and_audited(client_alice, credential_a, settings):
    age_session(client_alice, settings.KEYDESK_STEP_UP_SECONDS + 1)
    resume = reverse("vault:credential_reveal", args=[credential_a.pk])
    response = client_alice.post(
        reverse("accounts:step_up"), {"password": "wrong", "resume": resume, "method": "post"}, **HTMX
    )
    assert response.status_code == 401 and "not right" in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.step_up", outcome="denied", actor_name="alice").exists()


def test_right_password_resumes_the_action(alice, credential_a, settings):
    alice.set_password("local-pass-for-test")  # a local account: the directory has another password
    alice.save()
    client_alice = signed_in(alice)
    age_session(client_alice, settings.KEYDESK_STEP_UP_SECONDS + 1)
    resume = reverse("vault:credential_reveal", args=[credential_a.pk])
    response = client_alice.post(
        reverse("accounts:step_up"),
        {"password": "local-pass-for-test", "resume": resume, "method": "post", "carry": "{}"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'hx-post="{resume}"' in body and 'hx-trigger="load"' in body
    assert client_alice.post(resume, **HTMX).status_code == 200


@pytest.mark.parametrize(
    "resume",
    [
        "https://evil.example/",
        "//evil.example/vault/credentials/1/reveal/",
        "vault/credentials/1/reveal/",
        "foo",
        "/devices/",
        "/admin/",
        "/nope/",
    ],
)
def test_only_sensitive_actions_can_be_resumed(client_alice, resume):
    response = client_alice.post(
        reverse("accounts:step_up"), {"password": "x", "resume": resume, "method": "post"}, **HTMX
    )
    assert response.status_code == 400


def test_step_up_is_post_only(client_alice):
    assert client_alice.get(reverse("accounts:step_up")).status_code == 405


def test_a_wrong_password_keeps_the_action_to_resume(client_alice, credential_a, settings):
    resume = reverse("vault:credential_rotate", args=[credential_a.pk])
    response = client_alice.post(
        reverse("accounts:step_up"),
        {
            "password": "wrong",
            "resume": resume,
            "method": "post",
            "carry": '{"ticket": "SUP-1", "evil": "x"}',
        },
        **HTMX,
    )
    assert response.context["resume"] == resume
    assert json.loads(response.context["carry_json"]) == {"ticket": "SUP-1"}


def test_five_wrong_passwords_end_the_session(client_alice, credential_a, settings):
    resume = reverse("vault:credential_reveal", args=[credential_a.pk])
    for attempt in range(4):
        response = client_alice.post(
            reverse("accounts:step_up"), {"password": "x", "resume": resume, "method": "post"}, **HTMX
        )
        assert response.status_code == 401, attempt
    response = client_alice.post(
        reverse("accounts:step_up"), {"password": "x", "resume": resume, "method": "post"}, **HTMX
    )
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert client_alice.get(reverse("inventory:device_list")).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.session.ended", actor_name="alice").exists()


def test_post_only_actions_cannot_be_resumed_with_get(client_alice, credential_a):
    resume = reverse("vault:credential_reveal", args=[credential_a.pk])
    response = client_alice.post(
        reverse("accounts:step_up"), {"password": "x", "resume": resume, "method": "get"}, **HTMX
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "carry",
    ["[" * 100_000, '{"ticket": "' + "x" * 100_000 + '"}', '{"ticket": ', "[1, 2]", '"SUP-1"'],
    ids=["deeply-nested", "oversized", "truncated", "a-list", "a-string"],
)
def test_bad_carried_fields_are_refused_before_the_password_is_checked(alice, credential_a, settings, carry):
    alice.set_password("local-pass-for-test")
    alice.save()
    client_alice = signed_in(alice)
    age_session(client_alice, settings.KEYDESK_STEP_UP_SECONDS + 1)
    resume = reverse("vault:credential_reveal", args=[credential_a.pk])
    response = client_alice.post(
        reverse("accounts:step_up"),
        {"password": "local-pass-for-test", "resume": resume, "method": "post", "carry": carry},
        **HTMX,
    )
    assert response.status_code == 400
    assert "could not be carried" in response.content.decode()
    assert not AuditEvent.objects.filter(action="accounts.step_up").exists()
    # Still not stepped up: the action asks for the password again.
    assert client_alice.post(resume, **HTMX).status_code == 401
