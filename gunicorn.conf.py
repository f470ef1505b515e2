"""gunicorn settings for Keydesk. Override any of them with GUNICORN_CMD_ARGS (gunicorn's own)."""

import os

bind = "0.0.0.0:8000"
workers = 3
# Sync workers, one request each: measured against threaded workers (benchmarks/load.py,
# docs/performance.md) they serve more requests per second and a shorter tail, since Python threads
# in one worker share one core. A sync worker is held by a connection until its request has
# arrived, so gunicorn must sit behind a proxy or load balancer that sends complete requests (the
# reference deployment's), never face browsers directly. `--threads N` switches to threads.
threads = 1
timeout = 30
graceful_timeout = 20
# The app builds its Vault and LDAP connections lazily in each worker; nothing is shared across fork.
preload_app = False
# No shared control socket in $HOME: several instances may run on one host.
control_socket_disable = True
accesslog = "-"


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """Read the settings once in the master before any worker forks: bad settings are then listed
    once and gunicorn stops, instead of every worker printing the list as it fails to boot."""
    import sys

    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    try:
        __import__(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(4) from None  # gunicorn's "App failed to load"


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """With PROMETHEUS_MULTIPROC_DIR set, forget the metrics files of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


errorlog = "-"
# Request lines only (no bodies, no cookies); secrets never travel in URLs.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" %({x-request-id}o)s'
# JSON lines with the request id, like the portal's own, unless the portal logs plain text (the
# same rule as KEYDESK_LOG_FORMAT in portal/settings.py: plain by default only in development).
_DEV = os.environ.get("KEYDESK_DEV", "").strip().lower() in ("1", "true", "yes", "on")
if ((os.environ.get("KEYDESK_LOG_FORMAT") or "").strip() or ("plain" if _DEV else "json")) == "json":
    logger_class = "portal.web.gunicornlog.JsonLogger"
