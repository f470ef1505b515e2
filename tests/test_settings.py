"""portal/settings.py fails closed and says everything that is wrong at once, naming variables and
never their values. Each case imports the settings in a fresh interpreter with a crafted
environment (production unless KEYDESK_DEV is given)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Values that must never appear in any message.
DB_PASSWORD = "db-pass-never-shown-7f3a"
BIND_PASSWORD = "bind-pass-never-shown-91c2"
SECRET_ID = "secret-id-never-shown-55e0"


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A complete, valid production environment; an override of None removes the variable."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "keydesk.example.org",
        "DATABASE_URL": f"postgres://keydesk:{DB_PASSWORD}@db.example.org:5432/keydesk",
        "KEYDESK_LDAP_URI": "ldaps://ldap.example.org",
        "KEYDESK_LDAP_BIND_PASSWORD": BIND_PASSWORD,
        "VAULT_ADDR": "https://vault.example.org:8200",
        "VAULT_ROLE_ID": "role-id-portal",
        "VAULT_SECRET_ID": SECRET_ID,
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def problems(result: subprocess.CompletedProcess) -> list[str]:
    """The listed problems of the ImproperlyConfigured message, one per line."""
    assert result.returncode != 0, "the settings were accepted"
    assert "ImproperlyConfigured: Keydesk cannot start" in result.stderr, result.stderr[-2000:]
    message = result.stderr.split("ImproperlyConfigured: ", 1)[1]
    return [line.removeprefix("  - ") for line in message.splitlines()[1:] if line.startswith("  - ")]


def assert_no_secret_in(text: str) -> None:
    for value in (DB_PASSWORD, BIND_PASSWORD, SECRET_ID):
        assert value not in text


def test_a_complete_production_environment_is_accepted(tmp_path):
    result = load_settings(production_env(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]


def test_an_empty_production_environment_names_every_required_variable(tmp_path):
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    listed = problems(load_settings({**env, "DJANGO_SETTINGS_MODULE": "portal.settings"}))
    assert listed == [
        "SECRET_KEY (or SECRET_KEY_FILE) is required",
        "ALLOWED_HOSTS is required (comma-separated list)",
        "KEYDESK_LDAP_URI is required (set it in the environment)",
        "KEYDESK_LDAP_BIND_PASSWORD (or KEYDESK_LDAP_BIND_PASSWORD_FILE) is required",
        "VAULT_ADDR is required (set it in the environment)",
        "VAULT_ROLE_ID (or VAULT_ROLE_ID_FILE) is required",
        "VAULT_SECRET_ID (or VAULT_SECRET_ID_FILE) is required",
    ]


# (variable, bad value, what the message says is expected)
INVALID = [
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("TIME_ZONE", "Mars/Olympus_Mons", "TIME_ZONE must be an IANA time zone name"),
    ("DATABASE_URL", f"mysql://keydesk:{DB_PASSWORD}@db/keydesk", "DATABASE_URL must be a postgres://"),
    (
        "KEYDESK_LDAP_URI",
        "http://ldap.example.org",
        "KEYDESK_LDAP_URI must be ldap://host[:port] or ldaps://",
    ),
    ("VAULT_ADDR", "vault.example.org:8200", "VAULT_ADDR must be an https://host[:port] (or http://) URL"),
    ("VAULT_CACERT", "/nonexistent/ca.pem", "VAULT_CACERT names a file that does not exist"),
    ("VAULT_CLIENT_CERT", "/nonexistent/client.pem", "VAULT_CLIENT_CERT names a file that does not exist"),
    ("VAULT_CLIENT_KEY", "/nonexistent/client.key", "VAULT_CLIENT_KEY names a file that does not exist"),
    ("STATICFILES_BACKEND", "whitenoise storage", "STATICFILES_BACKEND must be the dotted Python path"),
    ("KEYDESK_LOG_FORMAT", "xml", "KEYDESK_LOG_FORMAT must be one of json, plain"),
    ("SESSION_COOKIE_SECURE", "maybe", "SESSION_COOKIE_SECURE must be a boolean"),
    ("KEYDESK_SESSION_MAX_AGE", "0", "KEYDESK_SESSION_MAX_AGE must be a positive integer"),
    ("KEYDESK_SESSION_IDLE_TIMEOUT", "-60", "KEYDESK_SESSION_IDLE_TIMEOUT must be a positive integer"),
    ("KEYDESK_LOGIN_MAX_FAILURES", "0", "KEYDESK_LOGIN_MAX_FAILURES must be a positive integer"),
    (
        "KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS",
        "0",
        "KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS must be a positive",
    ),
    ("KEYDESK_LOGIN_WINDOW", "0", "KEYDESK_LOGIN_WINDOW must be a positive integer"),
    ("KEYDESK_LOGIN_LOCKOUT", "-1", "KEYDESK_LOGIN_LOCKOUT must be a positive integer"),
    ("KEYDESK_LDAP_TIMEOUT", "0", "KEYDESK_LDAP_TIMEOUT must be a positive integer"),
    ("KEYDESK_STEP_UP_SECONDS", "0", "KEYDESK_STEP_UP_SECONDS must be a positive integer"),
    (
        "KEYDESK_DIRECTORY_RECHECK_SECONDS",
        "-5",
        "KEYDESK_DIRECTORY_RECHECK_SECONDS must be an integer of at least 0",
    ),
    ("VAULT_TIMEOUT", "0", "VAULT_TIMEOUT must be a positive integer"),
    ("VAULT_READ_RETRIES", "-1", "VAULT_READ_RETRIES must be an integer of at least 0"),
    ("DATABASE_CONN_MAX_AGE", "-1", "DATABASE_CONN_MAX_AGE must be an integer of at least 0"),
    ("SECURE_HSTS_SECONDS", "-1", "SECURE_HSTS_SECONDS must be an integer of at least 0"),
    ("KEYDESK_TRUSTED_PROXY_COUNT", "one", "KEYDESK_TRUSTED_PROXY_COUNT must be an integer"),
]


def test_every_invalid_value_is_reported_at_once_one_per_line(tmp_path):
    env = production_env(tmp_path, **{name: value for name, value, _ in INVALID})
    listed = problems(load_settings(env))
    for name, _, expected in INVALID:
        assert [line for line in listed if line.startswith(f"{name} ")] != [], name
        assert [line for line in listed if line.startswith(expected)] != [], expected
    assert len(listed) == len(INVALID), listed


def test_messages_name_variables_never_their_values(tmp_path):
    env = production_env(
        tmp_path,
        DATABASE_URL=f"postgres://keydesk:{DB_PASSWORD}@db.example.org:not-a-port/keydesk",
        ALLOWED_HOSTS=None,
    )
    result = load_settings(env)
    assert problems(result) == [
        "ALLOWED_HOSTS is required (comma-separated list)",
        "DATABASE_URL cannot be parsed (expected postgres://user:password@host:port/name)",
    ]
    assert_no_secret_in(result.stdout + result.stderr)
    assert "not-a-port" not in result.stderr


def test_an_empty_or_unreadable_secret_file_is_an_error_not_an_empty_password(tmp_path):
    empty = tmp_path / "bind_password"
    empty.write_text("\n")
    env = production_env(
        tmp_path,
        KEYDESK_LDAP_BIND_PASSWORD=None,
        KEYDESK_LDAP_BIND_PASSWORD_FILE=str(empty),
        SECRET_KEY=None,
        SECRET_KEY_FILE=str(tmp_path / "missing"),
        KEYDESK_METRICS_TOKEN_FILE=str(empty),
    )
    assert problems(load_settings(env)) == [
        "SECRET_KEY_FILE cannot be read (No such file or directory)",
        "KEYDESK_LDAP_BIND_PASSWORD_FILE names an empty file (expected the secret in it)",
        "KEYDESK_METRICS_TOKEN_FILE names an empty file (expected the secret in it)",
    ]


def test_an_empty_namespace_approle_file_is_an_error(tmp_path):
    acme = tmp_path / "approles" / "acme"
    acme.mkdir(parents=True)
    (acme / "role_id").write_text("role-acme\n")
    (acme / "secret_id").write_text("")
    env = production_env(tmp_path, VAULT_NAMESPACE_APPROLES_DIR=str(tmp_path / "approles"))
    assert problems(load_settings(env)) == ["VAULT_NAMESPACE_APPROLES_DIR: acme/secret_id is empty"]


def test_valid_variants_are_accepted(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = production_env(
        tmp_path,
        LOG_LEVEL="warning",
        TIME_ZONE="Europe/Zurich",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        KEYDESK_LDAP_URI="ldaps://ldap1.example.org:636 ldap://ldap2.example.org",
        VAULT_ADDR="http://127.0.0.1:8200",
        VAULT_CACERT=str(ca),
        KEYDESK_DIRECTORY_RECHECK_SECONDS="0",
        VAULT_READ_RETRIES="0",
    )
    result = load_settings(env)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("DJANGO_DEBUG", "DJANGO_DEBUG=1 is allowed only together with KEYDESK_DEV=1"),
        ("VAULT_SKIP_VERIFY", "VAULT_SKIP_VERIFY=1 is allowed only with KEYDESK_DEV=1"),
    ],
)
def test_development_only_switches_are_refused_in_production(tmp_path, name, message):
    listed = problems(load_settings(production_env(tmp_path, **{name: "1"})))
    assert len(listed) == 1 and listed[0].startswith(message)
    development = load_settings(production_env(tmp_path, **{name: "1", "KEYDESK_DEV": "1"}))
    assert development.returncode == 0, development.stderr[-2000:]


def test_gunicorn_lists_the_problems_once_and_stops_before_any_worker(tmp_path):
    env = production_env(tmp_path, SECRET_KEY=None, LOG_LEVEL="LOUD", TMPDIR=str(tmp_path))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count("SECRET_KEY (or SECRET_KEY_FILE) is required") == 1  # once, not per worker
    assert "LOG_LEVEL must be one of" in output
    # No worker traceback through Django's import machinery (gunicorn's master may still print
    # its own HaltServer traceback when it stops).
    assert "settings.py" not in output and "importlib" not in output
    assert result.returncode == 4 and "Booting worker" not in output  # stopped before any worker
    assert_no_secret_in(output)


def test_blank_required_values_count_as_missing(tmp_path):
    env = production_env(tmp_path, KEYDESK_LDAP_URI="  ", VAULT_ROLE_ID=" ", ALLOWED_HOSTS=" , ")
    listed = problems(load_settings(env))
    assert "KEYDESK_LDAP_URI is required (set it in the environment)" in listed
    assert "ALLOWED_HOSTS is required (comma-separated list)" in listed
    assert "VAULT_ROLE_ID (or VAULT_ROLE_ID_FILE) is required" in listed
