"""Streaming exports of the audit trail: CSV (spreadsheet-safe) and JSON Lines, constant memory."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

COLUMNS = (
    "sequence",
    "time",
    "actor_name",
    "source_ip",
    "user_agent",
    "action",
    "outcome",
    "tenant_name",
    "device_name",
    "credential_name",
    "target_type",
    "target_id",
    "target_repr",
    "version_before",
    "version_after",
    "ticket",
    "justification",
    "message",
    "request_id",
    "vault_request_id",
    "before",
    "after",
    "detail",
    "prev_hash",
    "hash",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def neutralise(value: Any) -> Any:
    """Make a cell inert for spreadsheets: a leading formula character gets a ' in front."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, cls=DjangoJSONEncoder)
    elif value is not None and not isinstance(value, str | int):
        value = str(value)
    return neutralise(value)


def _rows(queryset: QuerySet) -> Iterator[tuple]:
    # values_list + iterator: a server-side cursor on PostgreSQL, CHUNK rows in memory at a time.
    return queryset.values_list(*COLUMNS).iterator(chunk_size=CHUNK)


def csv_lines(queryset: QuerySet) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield flush()
    for row in _rows(queryset):
        writer.writerow([_cell(value) for value in row])
        yield flush()


def json_lines(queryset: QuerySet) -> Iterator[str]:
    for row in _rows(queryset):
        yield (
            json.dumps(dict(zip(COLUMNS, row, strict=True)), cls=DjangoJSONEncoder, ensure_ascii=False) + "\n"
        )
