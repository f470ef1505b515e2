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
errorlog = "-"
# Request lines only (no bodies, no cookies); secrets never travel in URLs.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
