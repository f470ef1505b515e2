"""The benchmark scripts keep working (on tiny data here; the real runs are in docs/performance.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def database_url(name: str) -> str:
    database = settings.DATABASES["default"]
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"


def run_benchmark(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=REPO,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    return result.stdout


def test_audit_trail_benchmark_runs_end_to_end():
    output = run_benchmark(
        "audit_trail.py",
        "--events",
        "300",
        "--repeat",
        "1",
        "--fresh",
        "--database-url",
        database_url("keydesk_bench_smoke"),
    )
    for expected in ("generated 300", "first page", "(keyset)", "peak Python memory", "intact, 301 events"):
        assert expected in output, expected


def test_portal_baselines_benchmark_runs_end_to_end():
    output = run_benchmark(
        "baselines.py",
        "--fresh",
        "--database-url",
        database_url("keydesk_bench_portal_smoke"),
        "--devices",
        "1100",
        "--tenants",
        "4",
        "--grants",
        "20",
        "--repeat",
        "2",
        "--writers",
        "2",
        "--appends",
        "10",
        "--audit-events",
        "50",
        "--load-seconds",
        "0",
    )
    for expected in (
        "generated 50",
        "direct hvac read",
        "through the portal",
        "10,000 devices",
        "SQL queries",
        "hash chain",
    ):
        assert expected in output, expected


def test_load_run_works_end_to_end_with_no_errors():
    """Runs after the baselines smoke test, on its data, briefly."""
    output = run_benchmark(
        "load.py",
        "--database-url",
        database_url("keydesk_bench_portal_smoke"),
        "--engineers",
        "10",
        "--seconds",
        "2",
        "--workers",
        "2",
        "--think",
        "0.2-0.5",
    )
    assert "paced (0.2-0.5 s think time)" in output and "saturation (no think time)" in output
    assert output.count("non-2xx/3xx 0; socket none") == 2
