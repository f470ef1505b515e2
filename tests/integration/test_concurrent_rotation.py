"""Several app processes rotating the same credential at once never lose or double an update:
check-and-set lets one write per version through and the others get a conflict."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from portal.audit.models import AuditEvent
from portal.vault import services
from tests.factories import make_credential, make_device
from tests.integration.conftest import bao

pytestmark = pytest.mark.django_db(transaction=True)

ROTATOR = """
import sys, django
django.setup()
from portal.access.policy import SystemActor
from portal.inventory.models import Credential
from portal.vault import services
from portal.vault.client import VaultConflict
actor = SystemActor(name=sys.argv[2], actions=frozenset({"view", "rotate"}))
credential = Credential.objects.select_related("device__tenant").get(pk=int(sys.argv[1]))
try:
    rotation = services.rotate_secret(actor, credential)
    print(f"rotated {rotation.version_before} {rotation.version_after}")
except VaultConflict:
    print("conflict")
"""


def test_concurrent_rotations_from_several_processes(acme_tenant):
    credential = make_credential(make_device(acme_tenant))
    services.store_initial_value(
        credential, {"username": "svc", "password": services.generate_value(credential)}
    )
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    rotators = [
        subprocess.Popen(
            [sys.executable, "-c", ROTATOR, str(credential.pk), f"worker-{n}"],
            env=env,
            cwd=Path(__file__).parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outputs = [rotator.communicate(timeout=120)[0].strip() for rotator in rotators]
    assert all(rotator.returncode == 0 for rotator in rotators), outputs
    rotations = [line.split() for line in outputs if line.startswith("rotated")]
    assert rotations, outputs
    befores = [int(parts[1]) for parts in rotations]
    assert len(befores) == len(set(befores)), "two rotations wrote over the same version"
    ref = services.secret_ref(credential)
    final = bao("kv get", f"-mount={ref.mount}", ref.path, namespace=ref.namespace)["data"]["metadata"][
        "version"
    ]
    assert final == 1 + len(rotations)
    assert AuditEvent.objects.filter(action="vault.secret.rotate", outcome="success").count() == len(
        rotations
    )
    conflicts = outputs.count("conflict")
    assert AuditEvent.objects.filter(action="vault.secret.rotate", outcome="denied").count() == conflicts
