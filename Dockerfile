# syntax=docker/dockerfile:1
# Keydesk production image: multi-stage, no compiler at run time, non-root, gunicorn + whitenoise.

# --- front-end assets: htmx from the npm registry, pinned by package-lock.json --------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# --- wheels: python-ldap compiles here, against the OpenLDAP/SASL headers ------------------------
FROM python:3.11-slim-bookworm AS wheels
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libldap2-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./
# The runtime dependencies only (the portal's source is copied into the image as-is).
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > requirements.txt \
 && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# --- runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin keydesk
COPY --from=wheels /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
WORKDIR /app
COPY manage.py gunicorn.conf.py ./
COPY portal ./portal
COPY templates ./templates
COPY static ./static
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js ./static/vendor/htmx-2.0.11.min.js
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 DJANGO_SETTINGS_MODULE=portal.settings
# collectstatic needs settings to import, not to be real: dummy values, nothing connects at import.
RUN SECRET_KEY=collectstatic ALLOWED_HOSTS=localhost KEYDESK_LDAP_URI=ldap://localhost \
    KEYDESK_LDAP_BIND_PASSWORD=unused VAULT_ADDR=http://localhost VAULT_ROLE_ID=unused VAULT_SECRET_ID=unused \
    python manage.py collectstatic --noinput -v0
USER keydesk
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py"]
