"""The main job, end to end in headless Chromium: an engineer signs in through LDAP, finds a
device, reveals a credential (the value OpenBao holds), rotates it; an auditor sees both."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from portal.vault import services
from tests.factories import make_credential, make_device, make_grant
from tests.integration.conftest import bao_kv_get

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Directory login").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_engineer_reveals_and_rotates_then_auditor_sees_both(page: Page, live_server, acme_tenant):
    make_grant(acme_tenant, "view", "reveal", "rotate", group="team-acme")
    device = make_device(
        acme_tenant,
        serial=f"{acme_tenant.path_prefix.upper()}-ICU",
        name="Blood gas analyser",
        site="Zurich ICU",
    )
    make_device(acme_tenant, serial=f"{acme_tenant.path_prefix.upper()}-LAB", name="Centrifuge", site="Basel")
    credential = make_credential(device, "service-account", length=24)
    services.store_initial_value(
        credential, {"username": "svc-icu", "password": services.generate_value(credential)}
    )
    ref = services.secret_ref(credential)
    stored = bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"]
    base = live_server.url
    # The strict Content-Security-Policy must not block anything the pages need.
    violations = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )

    sign_in(page, base, "ALICE", "alice-pass")
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    page.get_by_placeholder("Serial, name or site").fill("zurich")
    expect(page.locator("#results")).not_to_contain_text("Centrifuge")
    page.get_by_role("link", name=device.serial).click()
    expect(page.get_by_role("heading", name=re.compile("Blood gas analyser"))).to_be_visible()
    assert stored not in page.content()

    page.get_by_test_id("reveal-service-account").click()
    value_box = page.get_by_test_id("value-password")
    expect(value_box).to_have_attribute("type", "password")
    expect(value_box).to_have_value(stored)
    page.get_by_test_id("show-password").click()
    expect(value_box).to_have_attribute("type", "text")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("rotate-service-account").click()
    expect(page.get_by_test_id("rotated-service-account")).to_contain_text("version 1 → 2")
    expect(page.get_by_test_id("version-service-account")).to_have_text("2")
    rotated = bao_kv_get(ref.namespace, ref.mount, ref.path)
    assert rotated["metadata"]["version"] == 2 and rotated["data"]["password"] != stored

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "dave", "dave-pass")
    page.get_by_role("link", name="Audit trail").click()
    page.get_by_label("Actor").fill("alice")
    page.get_by_role("button", name="Filter").click()
    results = page.locator("#results")
    expect(results).to_contain_text("vault.secret.read")
    expect(results).to_contain_text("vault.secret.rotate")
    expect(results).to_contain_text("v1 → v2")
    assert stored not in page.content() and rotated["data"]["password"] not in page.content()
    assert violations == []


def test_step_up_and_justification_keep_the_engineers_place(page: Page, live_server, acme_tenant):
    """An old sign-in asks for the password in place, then the reveal goes on by itself; the tenant
    demands a ticket and a reason, which the auditor later sees on the event."""
    import time

    from django.contrib.sessions.backends.db import SessionStore

    from portal.accounts.services import AUTHENTICATED_AT
    from portal.audit.models import AuditEvent

    acme_tenant.requires_justification = True
    acme_tenant.save()
    make_grant(acme_tenant, "view", "reveal", group="team-acme")
    device = make_device(acme_tenant, serial=f"{acme_tenant.path_prefix.upper()}-GW", name="Edge gateway")
    credential = make_credential(device, "service-account")
    services.store_initial_value(
        credential, {"username": "svc-gw", "password": services.generate_value(credential)}
    )
    ref = services.secret_ref(credential)
    stored = bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"]

    sign_in(page, live_server.url, "alice", "alice-pass")
    page.goto(live_server.url + device.get_absolute_url())
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=session_key)
    session[AUTHENTICATED_AT] = time.time() - 3600  # signed in an hour ago
    session.save()

    page.get_by_test_id("reveal-service-account").click()
    expect(page.get_by_test_id("step-up")).to_be_visible()
    page.locator("#step-up-password").fill("wrong-password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("step-up")).to_contain_text("not right")
    page.locator("#step-up-password").fill("alice-pass")
    page.get_by_role("button", name="Continue").click()

    # Resumed by itself: now the tenant's justification prompt, in the same card.
    expect(page.get_by_test_id("justification-service-account")).to_be_visible()
    page.get_by_test_id("ticket-service-account").fill("INC0012345")
    page.get_by_test_id("reason-service-account").fill("Gateway lost its cloud connection")
    page.get_by_role("button", name="Reveal").last.click()
    expect(page.get_by_test_id("value-password")).to_have_value(stored)
    event = AuditEvent.objects.get(action="vault.secret.read")
    assert (event.ticket, event.justification) == ("INC0012345", "Gateway lost its cloud connection")
    assert AuditEvent.objects.filter(action="accounts.step_up", outcome="denied").count() == 1
