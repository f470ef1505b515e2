import json
import logging

from portal.audit import context
from portal.web.logformat import JsonFormatter


def test_log_lines_are_json_with_the_request_id():
    request_context = context.RequestContext(source_ip="127.0.0.1")
    token = context.activate(request_context)
    try:
        record = logging.LogRecord("portal", logging.WARNING, __file__, 1, "Vault %s", ("sealed",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        context.deactivate(token)
    assert (line["level"], line["message"], line["request_id"]) == (
        "WARNING",
        "Vault sealed",
        str(request_context.request_id),
    )


def test_outside_a_request_the_id_is_empty_and_none_is_invented():
    import contextvars

    record = logging.LogRecord("portal", logging.INFO, __file__, 1, "started", (), None)
    line = contextvars.Context().run(JsonFormatter().format, record)  # a thread that served no request
    assert json.loads(line)["request_id"] is None
