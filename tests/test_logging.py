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


def test_djangos_own_4xx_lines_carry_the_id_the_user_sees(client_alice, caplog, db):
    """django.request logs 4xx/5xx after the middleware that holds the id has returned; the line
    must still carry the X-Request-ID the user can quote."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client_alice.get("/devices/999999/")
    assert response.status_code == 404
    records = [record for record in caplog.records if record.name == "django.request"]
    assert records, "django.request logged nothing for the 404"
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == response["X-Request-ID"]
