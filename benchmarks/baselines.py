"""The portal against its own baselines, side by side in one run on this machine.

  - reveal through the portal vs a direct hvac read of the same secret from the same OpenBao
    (ratio of medians: what policy checks, audit chain and rendering cost on top of Vault);
  - the device list page vs a trivial authenticated view (ratio of p95), and SQL queries per page
    when the user sees 10, 1,000 and 10,000 devices (500 tenants, 10,000 devices, 5,000 grants);
  - audit append through the hash chain vs a plain INSERT, 4 concurrent writer processes;
  - a load run of 200 engineers for 60 s against gunicorn with wrk (benchmarks/load.py), paced and
    saturating: requests/s, p99 and errors.

The data generator fills the same database with 500 tenants, 10,000 devices, 5,000 grants and
1,000,000 chained audit events (benchmarks/audit_trail.py's generator), so every figure is taken
with a full-size trail behind the audit appends.

Needs the project's servers (scripts/servers.sh start) and their settings:
    eval "$(scripts/servers.sh env)"; KEYDESK_DEV=1 LOG_LEVEL=WARNING .venv/bin/python benchmarks/baselines.py
It uses its own database, keydesk_bench_portal (--fresh rebuilds it). Nothing here asserts a time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from load import percentile  # benchmarks/ is the script's own directory

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def build_world(devices_total: int, tenants_total: int, grants_total: int) -> dict:
    from django.conf import settings
    from django.contrib.auth.models import Group

    from portal.accounts.models import User
    from portal.entitlements.models import Entitlement
    from portal.inventory.models import Device, Tenant

    if Device.objects.count() >= devices_total:
        return {"users": {n: User.objects.get(username=f"bench-{n}") for n in ("10", "1000", "all")}}
    engineers = Group.objects.get_or_create(name=settings.KEYDESK_ENGINEER_GROUP)[0]
    admins = Group.objects.get_or_create(name=settings.KEYDESK_ADMIN_GROUP)[0]
    tenants = Tenant.objects.bulk_create(
        Tenant(name=f"Bench {n:03d}", slug=f"bench-{n:03d}", path_prefix=f"bench-{n:03d}")
        for n in range(tenants_total)
    )
    sizes = [10, 1000] + [0] * (tenants_total - 2)
    rest = devices_total - 1010
    for index in range(2, tenants_total):
        sizes[index] = rest // (tenants_total - 2) + (1 if index - 2 < rest % (tenants_total - 2) else 0)
    Device.objects.bulk_create(
        Device(tenant=tenant, serial=f"B{t:03d}-{n:05d}", name="Analyser", site=f"site-{n % 9}")
        for t, (tenant, size) in enumerate(zip(tenants, sizes, strict=True))
        for n in range(size)
    )
    users = {}
    for name, tenant in (("10", tenants[0]), ("1000", tenants[1]), ("all", None)):
        user = User.objects.create(username=f"bench-{name}")
        user.set_password("bench-pass")
        user.save()
        user.groups.add(admins if tenant is None else engineers)
        if tenant is not None:
            Entitlement.objects.create(user=user, tenant=tenant, can_view=True, can_reveal=True)
        users[name] = user
    filler = [Group.objects.get_or_create(name=f"bench-team-{n}")[0] for n in range(50)]
    Entitlement.objects.bulk_create(
        Entitlement(
            group=filler[n % 50],
            tenant=tenants[n % tenants_total],
            site=f"site-{n % 9}" if n % 2 else "",
            can_view=True,
        )
        for n in range(grants_total - 2)
    )
    return {"users": users}


def signed_in_client(user):  # noqa: ANN001, ANN201
    import time as clock

    from django.test import Client

    from portal.accounts.services import AUTHENTICATED_AT, DIRECTORY_CHECKED_AT, LAST_SEEN_AT, SIGNED_IN_AT

    client = Client()
    client.force_login(user, backend="portal.accounts.backends.LocalAccountBackend")
    session = client.session
    for key in (AUTHENTICATED_AT, DIRECTORY_CHECKED_AT, LAST_SEEN_AT, SIGNED_IN_AT):
        session[key] = clock.time() + 3600  # no step-up or expiry during the run
    session.save()
    return client


def measure_reveal(user, repeat: int) -> None:  # noqa: ANN001
    import hvac
    from django.conf import settings

    from portal.inventory.models import Credential, Device
    from portal.vault import services
    from portal.vault.client import VaultConflict

    device = Device.objects.filter(tenant__slug="bench-000").first()
    credential, created = Credential.objects.get_or_create(device=device, name="bench-secret")
    if created:
        try:
            services.store_initial_value(
                credential, {"username": "svc", "password": services.generate_value(credential)}
            )
        except VaultConflict:
            pass  # kept in Vault from an earlier run of this benchmark: read that one
    ref = services.secret_ref(credential)
    direct = hvac.Client(url=settings.VAULT_ADDR)
    direct.auth.approle.login(role_id=settings.VAULT_ROLE_ID, secret_id=settings.VAULT_SECRET_ID)
    client = signed_in_client(user)
    url = f"/credentials/{credential.pk}/reveal/"
    portal_times, vault_times = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        direct.secrets.kv.v2.read_secret_version(
            path=ref.path, mount_point=ref.mount, raise_on_deleted_version=True
        )
        vault_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        response = client.post(url, HTTP_HX_REQUEST="true")
        portal_times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    portal, vault = statistics.median(portal_times), statistics.median(vault_times)
    print(f"\nreveal, {repeat} each (median):")
    print(f"  direct hvac read                 {vault * 1000:7.2f} ms")
    print(
        f"  through the portal               {portal * 1000:7.2f} ms   ({portal / vault:.1f}x the direct read)"
    )


def measure_list(users: dict, repeat: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"\ndevice list page vs a trivial authenticated view ({repeat} requests each):")
    trivial_client = signed_in_client(users["10"])
    trivial = []
    for _ in range(repeat):
        began = time.perf_counter()
        trivial_client.get("/")  # the home view: session, user, one redirect
        trivial.append(time.perf_counter() - began)
    trivial_p95 = percentile(trivial, 0.95)
    print(f"  trivial (home redirect)          p95 {trivial_p95 * 1000:7.2f} ms")
    for label, key in (("10", "10"), ("1,000", "1000"), ("10,000", "all")):
        client = signed_in_client(users[key])
        times = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get("/devices/")
                times.append(time.perf_counter() - began)
            assert response.status_code == 200
        p95 = percentile(times, 0.95)
        print(
            f"  device list, {label:>6} devices    p95 {p95 * 1000:7.2f} ms  ({p95 / trivial_p95:4.1f}x trivial), "
            f"{len(captured)} SQL queries"
        )


WRITER = """
import logging, sys, time, django
django.setup()
from django.conf import settings
logging.getLogger(settings.KEYDESK_AUDIT_LOGGER).disabled = True  # measure the write, not the SIEM line
from django.db import connection
from portal.audit import services
count, mode = int(sys.argv[1]), sys.argv[2]
began = time.perf_counter()
for number in range(count):
    if mode == "chain":
        services.record(None, "bench.append", actor_name="bench", message=str(number))
    else:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_plain_insert (message) VALUES (%s)", [str(number)])
print(time.perf_counter() - began)
"""


def measure_append(writers: int, per_writer: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_plain_insert (id bigserial PRIMARY KEY, message text)"
        )
    connection.close()
    print(f"\naudit append, {writers} concurrent writer processes x {per_writer} events:")
    results = {}
    for mode in ("plain", "chain"):
        began = time.perf_counter()
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(per_writer), mode],
                cwd=REPO,
                env=os.environ,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(writers)
        ]
        for process in processes:
            process.communicate(timeout=600)
        wall = time.perf_counter() - began
        results[mode] = wall
        label = "plain INSERT" if mode == "plain" else "record() with the hash chain"
        print(f"  {label:<30} {writers * per_writer / wall:8.0f} events/s")
    print(
        f"  the chain costs {results['chain'] / results['plain']:.1f}x a plain insert (appends are serialised)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://keydesk@127.0.0.1:5433/keydesk_bench_portal")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=500)
    parser.add_argument("--grants", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--appends", type=int, default=300, help="events per writer")
    parser.add_argument("--audit-events", type=int, default=1_000_000, help="audit trail size to generate")
    parser.add_argument("--engineers", type=int, default=200, help="load run: simulated engineers")
    parser.add_argument("--load-seconds", type=int, default=60, help="load run: seconds per run; 0 skips it")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO / "benchmarks"))
    import load
    from audit_trail import generate, prepare_database

    prepare_database(args.database_url, args.fresh)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    import logging

    from django.conf import settings
    from django.core.management import call_command

    logging.getLogger(settings.KEYDESK_AUDIT_LOGGER).disabled = True  # keep the report readable
    call_command("migrate", verbosity=0)
    world = build_world(args.devices, args.tenants, args.grants)
    generate(args.audit_events)
    measure_reveal(world["users"]["10"], args.repeat)
    measure_list(world["users"], args.repeat)
    measure_append(args.writers, args.appends)
    if not args.load_seconds:
        return 0
    print()
    return load.main(
        [
            "--database-url",
            args.database_url,
            "--engineers",
            str(args.engineers),
            "--seconds",
            str(args.load_seconds),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
