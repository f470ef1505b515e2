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
COPY scripts/image.sh scripts/
# The runtime dependencies only (the portal's source is copied into the image as-is).
RUN scripts/image.sh wheels /wheels

# --- runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin keydesk
WORKDIR /app
COPY pyproject.toml ./
COPY scripts/image.sh scripts/
# The wheels are mounted for this step only, so no layer of the image keeps them.
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels scripts/image.sh install /wheels
COPY manage.py gunicorn.conf.py ./
COPY portal ./portal
COPY templates ./templates
COPY static ./static
COPY --from=assets /src/node_modules/htmx.org/dist/htmx.min.js ./static/vendor/htmx-2.0.11.min.js
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 DJANGO_SETTINGS_MODULE=portal.settings
RUN scripts/image.sh collectstatic
USER keydesk
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "portal.wsgi:application", "--config", "gunicorn.conf.py"]
