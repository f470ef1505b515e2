"""Who is asking and from where, for the audit trail, carried per request (or per command)."""

import contextvars
import ipaddress
import uuid
from dataclasses import dataclass, field


def normalise_ip(value: str | None) -> str | None:
    """One spelling per client address, for the audit trail, its hash and the sign-in lockout.

    IPv4-mapped IPv6 (`::ffff:192.0.2.1`, a dual-stack listener's view of an IPv4 client) becomes
    the IPv4 address, a zone (`fe80::1%eth0`) is dropped and a port some proxies append
    (`192.0.2.1:5678`, `[2001:db8::1]:443`) is cut off; anything else that is not an address is
    None. The hash must be taken over the form the database gives back, and PostgreSQL's inet
    keeps neither zones nor Python's spelling of mapped addresses."""
    if not value:
        return None
    text = str(value).strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.split("%", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


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
