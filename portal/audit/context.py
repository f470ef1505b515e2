"""Who is asking and from where, for the audit trail, carried per request (or per command)."""

import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestContext:
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    source_ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "keydesk_request_context", default=None
)


def current() -> RequestContext:
    """The context of the running request; outside a request, a fresh one per call site."""
    context = _current.get()
    if context is None:
        context = RequestContext()
        _current.set(context)
    return context


def current_request_id() -> str | None:
    """The running request's id, without creating a context when there is none (for log lines)."""
    context = _current.get()
    return str(context.request_id) if context else None


def activate(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
