"""Beyond KV: static roles of OpenBao's database engine (on the test PostgreSQL) and LDAP engine
(on the test slapd). Rotation really changes the account's password; the old one stops working."""

import ldap
import psycopg
import pytest
from django.conf import settings
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.inventory.models import Credential
from portal.vault import services
from tests.conftest import HTMX, signed_in
from tests.factories import make_credential, make_device, make_engineer, make_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer(root_ns_tenant):
    make_grant(root_ns_tenant, "view", "reveal", "rotate", "update", group="team-initech")
    return make_engineer("zoe", "team-initech")


@pytest.fixture
def device(root_ns_tenant):
    return make_device(root_ns_tenant)


ENGINES = {
    "db-account": (Credential.Kind.DATABASE_STATIC, "database", "device-db-demo"),
    "directory-account": (Credential.Kind.LDAP_STATIC, "ldap", "svc-device"),
    "tls": (Credential.Kind.PKI, "pki", "device"),
}


def engine_credential(device, name: str, role: str | None = None) -> Credential:
    kind, mount, default_role = ENGINES[name]
    return make_credential(device, name, kind=kind, engine_mount=mount, engine_role=role or default_role)


def reveal(client, credential) -> dict[str, str]:
    response = client.post(reverse("vault:credential_reveal", args=[credential.pk]), **HTMX)
    assert response.status_code == 200, response.content.decode()
    return {name: value for name, value, *_ in response.context["revealed"].fields}


def pg_login(password: str) -> str:
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        dbname="keydesk",
        user="device_db_demo",
        password=password,
        connect_timeout=5,
    ) as conn:
        return conn.execute("SELECT current_user").fetchone()[0]


def test_database_static_role_reveal_and_rotate(client, engineer, device):
    credential = engine_credential(device, "db-account")
    client = signed_in(engineer, client)
    page = client.get(device.get_absolute_url()).content.decode()
    assert "Account <strong>device_db_demo</strong>" in page and "Set new value" not in page
    before = reveal(client, credential)
    assert before["username"] == "device_db_demo" and pg_login(before["password"]) == "device_db_demo"
    response = client.post(reverse("vault:credential_rotate", args=[credential.pk]), **HTMX)
    assert response.status_code == 200 and "set a new password" in response.content.decode()
    after = reveal(client, credential)
    assert after["password"] != before["password"] and pg_login(after["password"]) == "device_db_demo"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        pg_login(before["password"])
    rotation = AuditEvent.objects.filter(action="vault.secret.rotate").order_by("sequence")
    assert [event.outcome for event in rotation] == ["attempt", "success"]
    assert before["password"] not in str(list(AuditEvent.objects.values()))


def ldap_bind(password: str) -> bool:
    connection = ldap.initialize(settings.AUTH_LDAP_SERVER_URI)
    try:
        connection.simple_bind_s("uid=svc-device,ou=services,dc=example,dc=org", password)
        return True
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        connection.unbind_s()


def test_ldap_static_role_reveal_and_rotate(client, engineer, device):
    credential = engine_credential(device, "directory-account")
    client = signed_in(engineer, client)
    before = reveal(client, credential)
    assert before["username"] == "svc-device" and ldap_bind(before["password"])
    assert client.post(reverse("vault:credential_rotate", args=[credential.pk]), **HTMX).status_code == 200
    after = reveal(client, credential)
    assert after["password"] != before["password"]
    assert ldap_bind(after["password"]) and not ldap_bind(before["password"])


def test_static_roles_have_no_typed_values_and_no_history(client, engineer, device):
    credential = engine_credential(device, "db-account")
    client = signed_in(engineer, client)
    update = client.post(
        reverse("vault:credential_update", args=[credential.pk]),
        {"value": "Typed-Value-1", "confirm": "Typed-Value-1", "expected_version": "0"},
        **HTMX,
    )
    assert update.status_code == 400 and "use Rotate" in update.content.decode()
    history = client.get(reverse("vault:credential_history", args=[credential.pk]), **HTMX)
    assert history.status_code == 400 and "no version history" in history.content.decode()


def test_an_unknown_static_role_is_a_clear_404(client, engineer, device):
    credential = engine_credential(device, "db-account", role="no-such-role")
    response = signed_in(engineer, client).post(
        reverse("vault:credential_reveal", args=[credential.pk]), **HTMX
    )
    assert (
        response.status_code == 404 and "no static role &#x27;no-such-role&#x27;" in response.content.decode()
    )
    assert services.credential_status(engineer, credential).error


def test_pki_rotation_issues_a_new_device_certificate_kept_in_kv(client, engineer, device, tmp_path):
    import subprocess

    credential = engine_credential(device, "tls")
    client = signed_in(engineer, client)
    first = client.post(reverse("vault:credential_rotate", args=[credential.pk]), **HTMX)
    assert first.status_code == 200, first.content.decode()
    bundle = reveal(client, credential)
    assert (
        bundle["certificate"].startswith("-----BEGIN CERTIFICATE-----")
        and "PRIVATE KEY" in bundle["private_key"]
    )
    (tmp_path / "cert.pem").write_text(bundle["certificate"])
    (tmp_path / "ca.pem").write_text(bundle["ca_chain"])
    subject = subprocess.run(
        ["openssl", "x509", "-in", tmp_path / "cert.pem", "-noout", "-subject"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"{device.serial.lower()}.devices.example.org" in subject
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", tmp_path / "ca.pem", tmp_path / "cert.pem"],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    credential.refresh_from_db()
    assert credential.certificate_expires_at is not None
    page = client.get(device.get_absolute_url()).content.decode()
    assert "Certificate expires" in page and "PRIVATE KEY" not in page
    assert client.post(reverse("vault:credential_rotate", args=[credential.pk]), **HTMX).status_code == 200
    assert reveal(client, credential)["serial_number"] != bundle["serial_number"]
    assert bundle["private_key"] not in str(list(AuditEvent.objects.values()))
