"""Audit trail at scale: generate N events (default 1,000,000) and measure what auditors feel.

Prints, measured side by side in one run:
  - audit list page: SQL queries and median time, first page vs a page half-way down vs filtered
    pages (a deep keyset page should cost what the first one does);
  - export: peak Python memory of streaming the whole trail as CSV vs materialising 100,000 rows;
  - `audit verify`: events per second.

Needs the project's PostgreSQL (scripts/servers.sh start pg) and the usual settings, e.g.:
    eval "$(scripts/servers.sh env)"; KEYDESK_DEV=1 .venv/bin/python benchmarks/audit_trail.py
It creates (and reuses) its own database, keydesk_bench; --fresh starts it over. Not a test:
nothing here asserts a time.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def prepare_database(url: str, fresh: bool) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(total: int, batch: int = 20000) -> None:
    import datetime
    import uuid

    from django.utils import timezone

    from portal.audit import chain
    from portal.audit.models import AuditEvent

    have = AuditEvent.objects.count()
    if have >= total:
        print(f"events: {have:,} already there")
        return
    actors = [f"engineer{n:03d}" for n in range(200)]
    actions = [
        "inventory.device.view",
        "vault.secret.read",
        "vault.secret.rotate",
        "accounts.login",
        "access.denied",
    ]
    start = timezone.now() - datetime.timedelta(days=365)
    step = datetime.timedelta(days=365) / max(total, 1)

    def events():
        for number in range(have, total):
            action = actions[number % len(actions)]
            device = f"DEV-{number % 10000:05d}"
            yield AuditEvent(
                time=start + step * number,
                actor_name=actors[number % len(actors)],
                request_id=uuid.uuid4(),
                source_ip=f"10.{number % 250}.{number % 199}.{number % 97}",
                user_agent="Mozilla/5.0 (benchmark)",
                action=action,
                outcome="denied" if action == "access.denied" else "success",
                tenant_name=f"Tenant {number % 500:03d}",
                device_name=device,
                credential_name="service-account" if "secret" in action else "",
                target_repr=device,
                message=f"benchmark event {number}",
                version_before=number % 9 + 1 if "secret" in action else None,
                version_after=number % 9 + 2 if action == "vault.secret.rotate" else None,
                detail={},
            )

    began = time.perf_counter()
    # append_many keeps time order = chain order only if times increase, which they do here.
    written = chain.append_many(events(), batch_size=batch)
    print(
        f"events: generated {written:,} in {time.perf_counter() - began:.1f}s ({AuditEvent.objects.count():,} total)"
    )


def measure_pages(repeat: int) -> None:
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core import signing
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.accounts.models import User
    from portal.audit import pagination
    from portal.audit.models import AuditEvent

    auditor, _ = User.objects.get_or_create(username="bench-auditor")
    auditor.groups.add(Group.objects.get_or_create(name=settings.KEYDESK_AUDITOR_GROUP)[0])
    client = Client()
    client.force_login(auditor, backend="portal.accounts.backends.LocalAccountBackend")
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 1
    halfway = signing.dumps({"sort": "-time", "values": [head // 2]}, salt=pagination._SALT, compress=True)
    cases = [
        ("first page", {}),
        (f"page at event {head // 2:,} (keyset)", {"after": halfway}),
        ("filtered: one actor", {"actor": "engineer042"}),
        ("filtered: one device", {"device": "DEV-04242"}),
        ("filtered: action + outcome", {"action": "access.denied", "outcome": "denied"}),
        ("free text (trigram)", {"q": "event 4242"}),
        ("sorted by actor", {"sort": "actor_name"}),
    ]
    print(f"\naudit list page ({repeat} requests each, median):")
    baseline = None
    for label, params in cases:
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get("/audit/", params)
                times.append(time.perf_counter() - began)
            assert response.status_code == 200, (label, response.status_code)
            queries = len(captured)
        median = statistics.median(times)
        baseline = baseline or median
        print(
            f"  {label:<36} {queries:>2} queries  {median * 1000:8.1f} ms  ({median / baseline:4.2f}x first page)"
        )


def measure_export(sample_rows: int) -> None:
    from django.test import Client

    from portal.accounts.models import User
    from portal.audit.export import COLUMNS
    from portal.audit.models import AuditEvent

    client = Client()
    client.force_login(
        User.objects.get(username="bench-auditor"), backend="portal.accounts.backends.LocalAccountBackend"
    )
    tracemalloc.start()
    began = time.perf_counter()
    response = client.get("/audit/export.csv")
    size = rows = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    _, streamed_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    tracemalloc.start()
    materialised = list(AuditEvent.objects.order_by("sequence").values_list(*COLUMNS)[:sample_rows])
    _, materialised_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del materialised
    print("\nexport (CSV, whole trail, streamed):")
    print(f"  {rows - 1:,} rows, {size / 1e6:,.1f} MB in {seconds:.1f}s ({(rows - 1) / seconds:,.0f} rows/s)")
    print(f"  peak Python memory streaming everything: {streamed_peak / 1e6:8.1f} MB")
    print(
        f"  peak Python memory holding {sample_rows:,} rows:   {materialised_peak / 1e6:8.1f} MB "
        f"({materialised_peak / max(streamed_peak, 1):.1f}x the streamed export)"
    )


def measure_verify() -> None:
    from portal.audit import services

    began = time.perf_counter()
    verdict = services.verify_chain(check_signatures=False)
    seconds = time.perf_counter() - began
    print("\naudit verify:")
    print(f"  {verdict}")
    print(f"  {verdict.events:,} events in {seconds:.1f}s = {verdict.events / seconds:,.0f} events/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgres://keydesk@127.0.0.1:5433/keydesk_bench")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database")
    parser.add_argument("--repeat", type=int, default=7, help="requests per page measurement")
    parser.add_argument("--sample-rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    prepare_database(args.database_url, args.fresh)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(args.events)
    measure_pages(args.repeat)
    measure_export(min(args.sample_rows, args.events))
    measure_verify()
    return 0


if __name__ == "__main__":
    sys.exit(main())
