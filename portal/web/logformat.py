"""JSON log lines carrying the portal's request id, so a log line, an audit event and the
X-Request-ID a user reports can be matched."""

import datetime
import json
import logging

from portal.audit import context


def _request_id(record: logging.LogRecord) -> str | None:
    """The id of the request a line is about: django.request's 4xx/5xx lines carry their request
    (they are logged after the middleware that holds the id has returned); others take the id of
    the request being served."""
    own = getattr(getattr(record, "request", None), "request_id", None)
    return str(own) if own is not None else context.current_request_id()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)
