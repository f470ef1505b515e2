"""WSGI entry point for gunicorn."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# gunicorn's exit status for "App failed to load": the master stops instead of booting more workers.
APP_LOAD_ERROR = 4

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # The message lists every setting problem (names, never values); a traceback of Django's
    # import machinery in each worker would only bury it.
    print(exc, file=sys.stderr, flush=True)
    raise SystemExit(APP_LOAD_ERROR) from None
