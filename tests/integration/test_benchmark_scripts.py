"""The benchmark scripts keep working (on tiny data here; the real runs are in docs/performance.md)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def test_audit_trail_benchmark_runs_end_to_end():
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/keydesk_bench_smoke"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/audit_trail.py",
            "--events",
            "300",
            "--repeat",
            "1",
            "--fresh",
            "--database-url",
            url,
        ],
        cwd=REPO,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for expected in ("generated 300", "first page", "(keyset)", "peak Python memory", "intact, 301 events"):
        assert expected in result.stdout, expected


def test_portal_benchmark_runs_end_to_end():
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/keydesk_bench_portal_smoke"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/baselines.py",
            "--fresh",
            "--database-url",
            url,
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
        ],
        cwd=REPO,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for expected in ("direct hvac read", "through the portal", "10,000 devices", "SQL queries", "hash chain"):
        assert expected in result.stdout, expected


def test_load_run_works_end_to_end_with_no_errors():
    """Runs after the portal benchmark's smoke test, on its data, briefly."""
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/keydesk_bench_portal_smoke"
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/load.py",
            "--database-url",
            url,
            "--engineers",
            "10",
            "--seconds",
            "2",
            "--workers",
            "2",
        ],
        cwd=REPO,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "requests/s" in result.stdout and "non-2xx/3xx 0; socket none" in result.stdout
