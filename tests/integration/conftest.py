"""Integration tests talk to the real slapd, OpenBao and PostgreSQL started by scripts/test.

They are never skipped: without those servers they fail, loudly, with a message saying how to run them.
"""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import make_tenant

REQUIRED = (
    "VAULT_ROLE_ID",
    "KEYDESK_BAO_ROOT_TOKEN_FILE",
    "KEYDESK_VAULT_BIN",
    "KEYDESK_LDAP_ADMIN_PASSWORD",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _real_servers_configured() -> None:
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"integration tests need the real servers: run scripts/test (missing {', '.join(missing)})"
        )
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), (
        "integration tests run on PostgreSQL"
    )


def bao(command: str, *args: str, namespace: str = "") -> dict:
    """Run the real `bao` CLI with the bootstrap's root token; returns the parsed JSON output."""
    token = Path(os.environ["KEYDESK_BAO_ROOT_TOKEN_FILE"]).read_text().strip()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BAO_ADDR": settings.VAULT_ADDR,
        "VAULT_ADDR": settings.VAULT_ADDR,
        "BAO_TOKEN": token,
        "VAULT_TOKEN": token,
        "BAO_NAMESPACE": namespace,
        "VAULT_NAMESPACE": namespace,
    }
    result = subprocess.run(
        [os.environ["KEYDESK_VAULT_BIN"], *command.split(), "-format=json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise AssertionError(f"bao {command} {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def bao_kv_get(namespace: str, mount: str, path: str) -> dict:
    return bao("kv get", f"-mount={mount}", path, namespace=namespace)["data"]


def _tenant_of_its_own(name: str, namespace: str):  # noqa: ANN202 - Tenant
    """A tenant with a path prefix of its own, so tests and runs never collide in OpenBao."""
    suffix = uuid.uuid4().hex[:8]
    return make_tenant(
        f"{name} {suffix}",
        slug=f"{name.lower()}-{suffix}",
        vault_namespace=namespace,
        kv_mount="keydesk",
        path_prefix=f"it-{suffix}",
    )


@pytest.fixture
def acme_tenant(db):
    """A tenant in OpenBao namespace `acme`."""
    return _tenant_of_its_own("Acme", "acme")


@pytest.fixture
def root_ns_tenant(db):
    """A tenant in the root namespace, under a mount and path prefix."""
    return _tenant_of_its_own("Initech", "")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium (Playwright's own browser download is not available here), headless."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("KEYDESK_CHROMIUM", "/usr/bin/chromium"),
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
