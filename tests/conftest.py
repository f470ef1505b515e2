"""The cast and the fixtures every test uses.

alice   engineer of team A: view, reveal and rotate on tenant A
bob     read-only on tenant A (a user grant)
charlie engineer of team B: everything on tenant B, nothing on A (the outsider)
carol   in the admin group (sees all metadata, reveals nothing)
dave    in the auditor group
admin   a superuser, used only where superuser behaviour is the subject
"""

import time

import pytest
from django.conf import settings
from django.db.backends.signals import connection_created
from django.test import Client

from portal.accounts.services import AUTHENTICATED_AT, DIRECTORY_CHECKED_AT, LAST_SEEN_AT, SIGNED_IN_AT
from portal.vault import client as vault_client
from tests.factories import make_credential, make_device, make_grant, make_tenant, make_user
from tests.fakes import FakeVaultClient


def _let_the_test_runner_empty_audit_tables(sender, connection, **kwargs) -> None:
    """The append-only trigger refuses TRUNCATE unless the session sets keydesk.audit_maintenance.
    pytest-django empties all tables between transactional tests, so every test session sets it;
    the trigger's own tests clear it again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET keydesk.audit_maintenance = 'truncate'")


connection_created.connect(_let_the_test_runner_empty_audit_tables, dispatch_uid="keydesk-tests-truncate")


@pytest.fixture(autouse=True)
def fake_vault(request: pytest.FixtureRequest):
    """Unit tests get an in-memory Vault; integration tests get None here and use OpenBao."""
    if request.node.get_closest_marker("integration"):
        previous = vault_client.set_client(None)
        yield None
    else:
        fake = FakeVaultClient()
        previous = vault_client.set_client(fake)
        yield fake
    vault_client.set_client(previous)


@pytest.fixture
def tenant_a(db):
    return make_tenant("Tenant A", slug="tenant-a")


@pytest.fixture
def tenant_b(db):
    return make_tenant("Tenant B", slug="tenant-b")


@pytest.fixture
def device_a(tenant_a):
    return make_device(tenant_a, serial="A-0001", site="Basel")


@pytest.fixture
def device_b(tenant_b):
    return make_device(tenant_b, serial="B-0001", site="Lyon")


@pytest.fixture
def credential_a(device_a, fake_vault):
    credential = make_credential(device_a, "service-account", length=20)
    if fake_vault is not None:
        from portal.vault.services import secret_ref

        fake_vault.put(secret_ref(credential), {"username": "svc-a", "password": "initial-secret-A1"})
    return credential


@pytest.fixture
def credential_b(device_b, fake_vault):
    credential = make_credential(device_b, "service-account")
    if fake_vault is not None:
        from portal.vault.services import secret_ref

        fake_vault.put(secret_ref(credential), {"username": "svc-b", "password": "initial-secret-B1"})
    return credential


@pytest.fixture
def alice(tenant_a):
    make_grant(tenant_a, "view", "reveal", "rotate", group="team-a")
    return make_user("alice", settings.KEYDESK_ENGINEER_GROUP, "team-a", display_name="Alice Martin")


@pytest.fixture
def bob(tenant_a):
    user = make_user("bob", settings.KEYDESK_ENGINEER_GROUP)
    make_grant(tenant_a, "view", user=user)
    return user


@pytest.fixture
def charlie(tenant_b):
    make_grant(tenant_b, "view", "reveal", "rotate", group="team-b")
    return make_user("charlie", settings.KEYDESK_ENGINEER_GROUP, "team-b")


@pytest.fixture
def carol(db):
    return make_user("carol", settings.KEYDESK_ADMIN_GROUP, is_staff=True)


@pytest.fixture
def dave(db):
    return make_user("dave", settings.KEYDESK_AUDITOR_GROUP)


@pytest.fixture
def admin(db):
    return make_user("root-admin", is_superuser=True, is_staff=True)


def signed_in(user, client: Client | None = None) -> Client:
    """A client with a fresh session for `user`, as right after typing the password."""
    client = client or Client()
    client.force_login(user, backend="portal.accounts.backends.LocalAccountBackend")
    session = client.session
    session[AUTHENTICATED_AT] = session[DIRECTORY_CHECKED_AT] = time.time()
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = time.time()
    session.save()
    return client


_client_for = signed_in


@pytest.fixture
def client_alice(alice) -> Client:
    return _client_for(alice)


@pytest.fixture
def client_bob(bob) -> Client:
    return _client_for(bob)


@pytest.fixture
def client_charlie(charlie) -> Client:
    return _client_for(charlie)


@pytest.fixture
def client_carol(carol) -> Client:
    return _client_for(carol)


@pytest.fixture
def client_dave(dave) -> Client:
    return _client_for(dave)


@pytest.fixture
def client_anon(db) -> Client:
    return Client()


HTMX = {"HTTP_HX_REQUEST": "true"}
