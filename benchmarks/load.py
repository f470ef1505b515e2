"""A load run: N simulated engineers (default 200), each with their own session, browsing the
device list and device pages of their tenant for D seconds (default 60) against gunicorn on
loopback. Prints requests/s, latency percentiles and errors (which must be 0), twice:

  - paced: each engineer clicks, reads (a think time, uniform, default 2-8 s) and clicks again, as
    people do, connecting as a browser does (keeping the connection while the server allows); the
    latency is what an engineer feels at that load. Engineers arrive spread over the first think
    time, and the figures count the requests after that. Driven by a small asyncio client below:
    wrk opens every connection at once and then waits out the think time on it, which no browser
    does and which parks gunicorn's workers on idle sockets.
  - saturation, with wrk: no think time, every connection sends its next request as soon as the
    last one is answered; the requests/s are the capacity, and the latency is mostly queueing
    (200 requests in flight for a handful of workers).

Uses the data of benchmarks/baselines.py (run that first, same --database-url):
    eval "$(scripts/servers.sh env)"; KEYDESK_DEV=1 LOG_LEVEL=WARNING .venv/bin/python benchmarks/load.py
"""

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LUA = """
-- Each request: the next engineer (session and page pairs), one of the pages they use.
local visits, counter = {}, 0
for line in io.lines("%(visits)s") do
  local session, path = line:match("([^ ]+) ([^ ]+)")
  visits[#visits + 1] = {session, path}
end
request = function()
  counter = counter + 1
  local visit = visits[(counter * 7919 %% #visits) + 1]
  return wrk.format("GET", visit[2], {["Cookie"] = "sessionid=" .. visit[1], ["Host"] = "127.0.0.1"})
end
"""


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, session: str) -> int:
    """One GET on an open connection; the status. Reads the body (Content-Length or chunked)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session}\r\n\r\n".encode())
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
    headers = {name.lower(): value for name, value in headers.items()}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    if headers.get("connection", "").lower() == "close":
        writer.close()
    return status


async def _engineer(
    port: int,
    visits: list[tuple[str, str]],
    think: tuple[float, float],
    until: float,
    counted_from: float,
    results: dict,
) -> None:
    await asyncio.sleep(random.uniform(0, think[1]))  # arrivals spread over the first think time
    connection = None
    number = 0
    while time.monotonic() < until:
        session, path = visits[number % len(visits)]
        number += 1
        began = time.monotonic()
        status = None
        for attempt in (1, 2):  # a browser retries once on a keep-alive connection the server closed
            try:
                if connection is None or connection[1].is_closing():
                    connection = await asyncio.open_connection("127.0.0.1", port)
                status = await asyncio.wait_for(_get(*connection, path, session), timeout=10)
                break
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                connection = None
                if attempt == 2:
                    results["socket_errors"] += began >= counted_from
        if began >= counted_from and status is not None:
            results["latencies"].append(time.monotonic() - began)
            results["non_2xx_3xx"] += not 200 <= status < 400
        await asyncio.sleep(random.uniform(*think))


def run_paced(
    port: int, visits: list[list[tuple[str, str]]], seconds: int, think: tuple[float, float]
) -> dict:
    async def everyone() -> dict:
        results = {"latencies": [], "non_2xx_3xx": 0, "socket_errors": 0}
        start = time.monotonic()
        counted_from, until = start + think[1], start + think[1] + seconds
        await asyncio.gather(*(_engineer(port, own, think, until, counted_from, results) for own in visits))
        return results

    results = asyncio.run(everyone())
    latencies = sorted(results["latencies"])

    def shown(fraction: float) -> str:
        if not latencies:
            return "?"
        value = percentile(latencies, fraction)
        return f"{value * 1000:.2f}ms" if value < 1 else f"{value:.2f}s"

    return {
        "rate": f"{len(latencies) / seconds:.2f}" if latencies else "?",
        "p50": shown(0.50),
        "p90": shown(0.90),
        "p99": shown(0.99),
        "errors": str(results["non_2xx_3xx"]),
        "socket": f"{results['socket_errors']} failed" if results["socket_errors"] else "none",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sessions_for(engineers: int, workdir: Path) -> tuple[Path, list[list[tuple[str, str]]]]:
    """Engineers with a grant on one tenant each (round robin), signed in: a file of (session, page)
    lines for wrk, and each engineer's own (session, page) visits."""
    import time as clock

    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from portal.accounts.models import User
    from portal.accounts.services import AUTHENTICATED_AT, DIRECTORY_CHECKED_AT, LAST_SEEN_AT, SIGNED_IN_AT
    from portal.entitlements.models import Entitlement
    from portal.inventory.models import Device, Tenant

    group = Group.objects.get_or_create(name=settings.KEYDESK_ENGINEER_GROUP)[0]
    tenants = list(Tenant.objects.filter(slug__startswith="bench-").order_by("pk")[2:22])
    visits = []
    for number in range(engineers):
        user, created = User.objects.get_or_create(username=f"load-{number:03d}")
        if created:
            user.groups.add(group)
            Entitlement.objects.create(user=user, tenant=tenants[number % len(tenants)], can_view=True)
        session = SessionStore()
        session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "portal.accounts.backends.LocalAccountBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
                AUTHENTICATED_AT: clock.time(),
                DIRECTORY_CHECKED_AT: clock.time() + 3600,
                SIGNED_IN_AT: clock.time(),
                LAST_SEEN_AT: clock.time(),
            }
        )
        session.create()
        tenant = tenants[number % len(tenants)]
        own = Device.objects.filter(tenant=tenant).values_list("pk", flat=True)[:2]
        paths = ["/devices/", "/devices/?q=site-1", *[f"/devices/{pk}/" for pk in own]]
        visits.append([(session.session_key, path) for path in paths])
    visits_file = workdir / "visits.txt"
    visits_file.write_text("".join(f"{session} {path}\n" for own in visits for session, path in own))
    return visits_file, visits


def run_wrk(port: int, script: Path, engineers: int, seconds: int) -> dict[str, str]:
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{engineers}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    output = result.stdout

    def found(pattern: str, default: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        return match.group(1) if match else default

    return {
        "rate": found(r"Requests/sec:\s+([\d.]+)", "?"),
        "p50": found(r"^\s+50%\s+(\S+)", "?"),
        "p90": found(r"^\s+90%\s+(\S+)", "?"),
        "p99": found(r"^\s+99%\s+(\S+)", "?"),
        "errors": found(r"Non-2xx or 3xx responses: (\d+)", "0"),
        "socket": found(r"Socket errors: (.*)", "none"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://keydesk@127.0.0.1:5433/keydesk_bench_portal")
    parser.add_argument("--engineers", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads per worker (gunicorn.conf.py's if unset)"
    )
    parser.add_argument("--think", default="2-8", help="think time between clicks in the paced run, seconds")
    args = parser.parse_args(argv)
    low, high = (float(part) for part in args.think.split("-"))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    workdir = Path(tempfile.mkdtemp(prefix="keydesk-load-"))
    visits_file, visits = sessions_for(args.engineers, workdir)
    saturating = workdir / "engineers.lua"
    saturating.write_text(LUA % {"visits": visits_file})

    port = free_port()
    env = {**os.environ, "LOG_LEVEL": "WARNING", "KEYDESK_LOG_FORMAT": "plain"}
    server = subprocess.Popen(
        [
            str(REPO / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            *(["--threads", str(args.threads)] if args.threads else []),
            "--access-logfile",
            "/dev/null",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not answer /healthz")
        runs = {
            f"paced ({args.think} s think time)": run_paced(port, visits, args.seconds, (low, high)),
            "saturation (no think time)": run_wrk(port, saturating, args.engineers, args.seconds),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"load: {args.engineers} engineers, {args.seconds}s each run, gunicorn {args.workers} workers on loopback"
    )
    failed = False
    for label, run in runs.items():
        print(f"  {label}")
        print(f"    requests/s  {run['rate']}")
        print(f"    latency     p50 {run['p50']}   p90 {run['p90']}   p99 {run['p99']}")
        print(f"    errors      non-2xx/3xx {run['errors']}; socket {run['socket']}")
        failed = failed or run["errors"] != "0" or run["socket"] != "none" or run["rate"] == "?"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
