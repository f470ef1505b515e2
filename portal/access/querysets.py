from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can be narrowed to what a user may see or do: `.restrict(user, action)`."""

    def restrict(self, user, action: str) -> "RestrictedQuerySet":
        from portal.access.policy import scope

        return self.filter(scope(user, action, self.model))
