"""The chain under real conditions: several processes appending at once; checkpoints signed by
OpenBao's Transit engine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from portal.audit import services as audit
from portal.audit.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

WRITER = """
import sys, django
django.setup()
from portal.audit import services
for number in range(int(sys.argv[1])):
    services.record(None, "test.concurrent", actor_name=sys.argv[2], message=str(number))
"""


def test_concurrent_appends_from_several_processes_keep_one_linear_chain():
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, "40", f"writer-{n}"], env=env, cwd=Path(__file__).parents[2]
        )
        for n in range(4)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0, 0]
    verdict = audit.verify_chain(check_signatures=False)
    assert verdict.intact, str(verdict)
    assert verdict.events == 160
    assert list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True)) == list(
        range(1, 161)
    )
    assert AuditEvent.objects.values("actor_name").distinct().count() == 4


def test_checkpoints_are_signed_and_verified_by_openbao_transit(alice):
    for number in range(3):
        audit.record(alice, "accounts.login", message=str(number))
    checkpoint = audit.sign_checkpoint()
    assert checkpoint.signature.startswith("vault:v1:")
    assert audit.verify_chain().intact
    # A signature made for another statement does not verify.
    forged = AuditCheckpoint(
        sequence=checkpoint.sequence, hash="0" * 64, key=checkpoint.key, signature=checkpoint.signature
    )
    from django.conf import settings

    from portal.vault import client

    assert not client.get_client().verify_signature(
        settings.KEYDESK_AUDIT_TRANSIT_MOUNT, forged.key, forged.statement(), forged.signature
    )
