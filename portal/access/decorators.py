"""View marks. Every URL's view carries exactly one: @requires(action, Model), @authenticated or
@public. The system check in checks.py refuses to start a project with an unmarked view."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse

from portal.access.enforce import record_denial
from portal.access.policy import _check_action, may

View = Callable[..., HttpResponse]


def requires(action: str, model: type[Model]) -> Callable[[View], View]:
    """List views: the user must hold `action` on this kind of object, or 403. Object views (URL
    kwargs): the user must see some object of this kind, or 404; the view then calls
    get_for_user_or_404 for the object itself. Every refusal is audited.
    """
    _check_action(action)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Anonymous users were already sent to the login page by LoginRequiredMiddleware.
            if kwargs:
                # An object URL: someone who can see no object of this kind gets 404, like any
                # out-of-scope object. The view's get_for_user_or_404 decides the rest (404/403).
                if not may(request.user, "view", model):
                    record_denial(request.user, action, model, status=404, path=request.path)
                    raise Http404(f"No {model._meta.verbose_name} found.")
            elif not may(request.user, action, model):
                record_denial(request.user, action, model, status=403, path=request.path)
                raise PermissionDenied(_refusal(action, model))
            return view(request, *args, **kwargs)

        wrapped.access_mark = ("requires", action, model._meta.label_lower)
        return wrapped

    return decorator


def _refusal(action: str, model: type[Model]) -> str:
    """A message that tells the person what they lack and who can help."""
    if action == "audit":
        return "The audit trail is for auditors: ask to be added to the Keydesk auditor group."
    if action == "manage":
        return "This is for Keydesk admins."
    return (
        f"You have no entitlement to {action} {model._meta.verbose_name_plural}. Ask a Keydesk admin for a grant "
        "on your team's tenant."
    )


def authenticated(view: View) -> View:
    """Any signed-in user (logout, profile, the home redirect): touches no protected object."""
    view.access_mark = ("authenticated",)
    return view


def public(view: View) -> View:
    """Reachable without signing in (login, health check). Says so on purpose."""
    view = login_not_required(view)
    view.access_mark = ("public",)
    return view
