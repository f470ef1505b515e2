"""System check: every URL pattern's view carries an access mark (private by default, on purpose)."""

from collections.abc import Iterator
from typing import Any

from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

# URL namespaces whose views are guarded by another mechanism that itself asks the policy.
EXEMPT_NAMESPACES = {
    # The Django admin: KeydeskAdminSite.has_permission and every ModelAdmin ask portal.access.
    "admin": "guarded by KeydeskAdminSite / PolicyModelAdmin, which call access.may()",
}


def iter_patterns(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    """(route, namespace, view callback) for every URL pattern of the project."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner_namespace = entry.namespace or namespace
            yield from iter_patterns(entry, prefix + str(entry.pattern), inner_namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry.callback


def access_mark(view: Any) -> tuple | None:
    return getattr(view, "access_mark", None) or getattr(
        getattr(view, "view_class", None), "access_mark", None
    )


@checks.register(checks.Tags.security)
def check_every_view_is_marked(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors = []
    for route, namespace, view in iter_patterns():
        if namespace in EXEMPT_NAMESPACES:
            continue
        if access_mark(view) is None:
            errors.append(
                checks.Error(
                    f"URL {route!r} maps to {view.__module__}.{view.__qualname__}, which has no access mark.",
                    hint="Decorate it with @requires(action, Model), @authenticated or @public from portal.access.",
                    id="keydesk.E001",
                )
            )
    return errors
