"""Keeps the Dockerfile honest without a Docker engine: the same scripts/image.sh steps it runs —
wheels, a clean venv with no index, collectstatic — then gunicorn with production settings
(no KEYDESK_DEV) answering /healthz, and `check --deploy` with nothing to report."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def run(*command, cwd, env) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command}: {result.stdout[-1500:]} {result.stderr[-3000:]}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_dockerfile_runs_the_steps_this_test_runs():
    import re

    dockerfile = (REPO / "Dockerfile").read_text()
    steps = re.findall(r"^RUN .*scripts/image\.sh (\w+)", dockerfile, re.MULTILINE)
    assert steps == ["wheels", "install", "collectstatic"]
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "build-essential" not in runtime and "COPY --from=wheels" not in runtime  # no compiler, no wheels
    assert "\nUSER keydesk" in runtime and "\nHEALTHCHECK " in runtime


def test_the_image_steps_build_a_portal_that_serves_healthz(tmp_path):
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "TMPDIR": str(tmp_path)}
    wheels, venv, app = tmp_path / "wheels", tmp_path / "venv", tmp_path / "app"
    run(sys.executable, "-m", "venv", str(venv), cwd=REPO, env=base)
    python = str(venv / "bin" / "python")
    # pip's wheel cache keeps this quick after the first run; --no-cache-dir applies to downloads.
    run(
        str(REPO / "scripts/image.sh"),
        "wheels",
        str(wheels),
        cwd=REPO,
        env={**base, "PYTHON": sys.executable},
    )
    app.mkdir()
    for name in ("manage.py", "gunicorn.conf.py", "pyproject.toml"):
        shutil.copy(REPO / name, app / name)
    for name in ("portal", "templates", "static", "scripts"):
        shutil.copytree(REPO / name, app / name, ignore=shutil.ignore_patterns("__pycache__"))
    run(str(app / "scripts/image.sh"), "install", str(wheels), cwd=app, env={**base, "PYTHON": python})
    installed = run(python, "-m", "pip", "list", "--format=freeze", cwd=app, env=base)
    assert "Django==" in installed and "pytest" not in installed and "openbao" not in installed.lower()
    run(str(app / "scripts/image.sh"), "collectstatic", cwd=app, env={**base, "PYTHON": python})
    assert list((app / "staticfiles" / "vendor").glob("htmx-2.0.11.min.*.js")), "hashed htmx in the manifest"

    production = {
        **base,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,keydesk.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "KEYDESK_LDAP_URI": settings.AUTH_LDAP_SERVER_URI,
        "KEYDESK_LDAP_BIND_PASSWORD": settings.AUTH_LDAP_BIND_PASSWORD,
        "VAULT_ADDR": settings.VAULT_ADDR,
        "VAULT_ROLE_ID": settings.VAULT_ROLE_ID,
        "VAULT_SECRET_ID": settings.VAULT_SECRET_ID,
        "KEYDESK_BEHIND_PROXY": "1",
        "KEYDESK_TRUSTED_PROXY_COUNT": "1",
    }
    checked = subprocess.run(
        [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=app,
        env=production,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and "no issues" in checked.stdout, checked.stdout + checked.stderr
    run(python, "manage.py", "migrate", "--noinput", "-v0", cwd=app, env=production)

    port = free_port()
    server = subprocess.Popen(
        [
            str(venv / "bin" / "gunicorn"),
            "portal.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=app,
        env=production,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    body = response.read().decode()
                    assert response.status == 200 and '"database": "ok"' in body
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not answer /healthz")
        # Everything else is HTTPS-only in production: plain HTTP is redirected.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(request, timeout=5)
        assert redirected.value.code == 301
        assert len(redirected.value.headers["X-Request-ID"]) == 36  # the redirect can be traced too
        # Behind the TLS proxy, the login page and its hashed static files are served by whitenoise.
        secure = urllib.request.Request(
            f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(secure, timeout=5) as response:
            page, request_id = response.read().decode(), response.headers["X-Request-ID"]
        script = next(part.split('"')[1] for part in page.split("<script")[1:] if "htmx" in part)
        asset = urllib.request.Request(
            f"http://127.0.0.1:{port}{script}", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(asset, timeout=5) as response:
            assert response.status == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"  # static files too
            assert response.headers["X-Request-ID"]
    finally:
        server.terminate()
        server.wait(timeout=20)
    # gunicorn's own lines are JSON in production, and the access line carries the request id.
    lines = [json.loads(line) for line in server.stdout.read().decode().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert {"path": "/accounts/login/", "status": 200, "request_id": request_id}.items() <= next(
        line for line in access if line["request_id"] == request_id
    ).items()
    assert any(line["logger"] == "gunicorn.error" for line in lines), "gunicorn's start-up lines as JSON"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None
