"""gunicorn settings for Keydesk. Override any of them with GUNICORN_CMD_ARGS (gunicorn's own)."""

bind = "0.0.0.0:8000"
workers = 3
threads = 1
timeout = 30
graceful_timeout = 20
# The app builds its Vault and LDAP connections lazily in each worker; nothing is shared across fork.
preload_app = False
# No shared control socket in $HOME: several instances may run on one host.
control_socket_disable = True
accesslog = "-"


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """With PROMETHEUS_MULTIPROC_DIR set, forget the metrics files of a worker that exited."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


errorlog = "-"
# Request lines only (no bodies, no cookies); secrets never travel in URLs.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
