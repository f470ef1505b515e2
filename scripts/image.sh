#!/usr/bin/env bash
# The steps that build Keydesk's production image, shared by the Dockerfile and the tests that keep
# it honest (tests/integration/test_image_steps.py runs the same steps in a clean venv).
#   scripts/image.sh requirements          print the runtime requirements from pyproject.toml
#   scripts/image.sh wheels DIR            build wheels of them into DIR
#   scripts/image.sh install DIR           install those wheels (no index: nothing else comes in)
#   scripts/image.sh collectstatic         collect static files with placeholder settings
set -euo pipefail
PYTHON="${PYTHON:-python}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "${1:-}" in
    requirements)
        "$PYTHON" -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))"
        ;;
    wheels)
        "$0" requirements > "${TMPDIR:-/tmp}/keydesk-requirements.txt"
        "$PYTHON" -m pip wheel --quiet --no-cache-dir --wheel-dir "$2" -r "${TMPDIR:-/tmp}/keydesk-requirements.txt"
        ;;
    install)
        "$PYTHON" -m pip install --quiet --no-cache-dir --no-index "$2"/*.whl
        ;;
    collectstatic)
        # Settings must import, not be real: placeholders, and nothing connects at import time.
        env SECRET_KEY=collectstatic ALLOWED_HOSTS=localhost KEYDESK_LDAP_URI=ldap://localhost \
            KEYDESK_LDAP_BIND_PASSWORD=unused VAULT_ADDR=http://localhost VAULT_ROLE_ID=unused \
            VAULT_SECRET_ID=unused KEYDESK_DEV= DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
            "$PYTHON" manage.py collectstatic --noinput -v0
        ;;
    *)
        echo "usage: $0 requirements|wheels DIR|install DIR|collectstatic" >&2
        exit 2
        ;;
esac
