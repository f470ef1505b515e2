"""gunicorn's own lines as JSON objects, like the portal's: the access line of every request carries
the X-Request-ID the portal gave it, so a load balancer's log, gunicorn's and the audit trail join
on one id. gunicorn.conf.py selects this logger unless the portal logs plain text."""

import datetime
import json
import logging
from typing import Any

from gunicorn.glogging import Logger

from portal.web.logformat import JsonFormatter


class JsonLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))  # access() writes the JSON itself

    def access(self, resp: Any, req: Any, environ: dict, request_time: datetime.timedelta) -> None:
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        line = {
            "time": datetime.datetime.now(tz=datetime.UTC).isoformat(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING", ""),
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
            "request_id": headers.get("x-request-id"),
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False))
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            self.exception("could not write the access line")
