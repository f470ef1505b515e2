"""After a reveal and a rotation, neither value is anywhere in the database or the server logs."""

import io
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from portal.vault import services
from tests.conftest import HTMX, signed_in
from tests.factories import make_credential, make_device, make_engineer, make_grant
from tests.integration.conftest import bao_kv_get

pytestmark = pytest.mark.django_db(transaction=True)


def test_values_never_reach_the_database_or_logs(client, acme_tenant, caplog):
    caplog.set_level(logging.DEBUG)
    make_grant(acme_tenant, "view", "reveal", "rotate", group="team-acme")
    signed_in(make_engineer("alice", "team-acme"), client)
    device = make_device(acme_tenant)
    credential = make_credential(device)
    services.store_initial_value(
        credential, {"username": "svc", "password": services.generate_value(credential)}
    )
    ref = services.secret_ref(credential)
    first = bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"]

    revealed = client.post(reverse("vault:credential_reveal", args=[credential.pk]), **HTMX)
    assert first in revealed.content.decode()
    assert client.post(reverse("vault:credential_rotate", args=[credential.pk]), **HTMX).status_code == 200
    second = bao_kv_get(ref.namespace, ref.mount, ref.path)["data"]["password"]
    page = client.get(reverse("inventory:device_detail", args=[device.pk])).content.decode()

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)  # every table, sessions included
    for value in (first, second):
        assert value not in dump.getvalue()
        assert value not in caplog.text
        assert value not in page
