import re

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portal.access.querysets import RestrictedQuerySet

# One segment of a Vault path: no slashes, no "..", nothing a shell or URL would reinterpret.
VAULT_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def validate_vault_path(value: str) -> None:
    segments = value.split("/")
    if not value or any(
        segment in {"", ".", ".."} or not VAULT_SEGMENT.fullmatch(segment) for segment in segments
    ):
        raise ValidationError(
            "Use path segments of letters, digits, '.', '_' or '-', separated by single '/'.",
            code="invalid_vault_path",
        )


class Tenant(models.Model):
    """A customer organisation or product team: where its devices' secrets live in Vault."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    vault_namespace = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_vault_path],
        help_text="OpenBao / Vault Enterprise namespace; empty for the root namespace.",
    )
    kv_mount = models.CharField(max_length=100, default="keydesk", validators=[validate_vault_path])
    path_prefix = models.CharField(max_length=200, validators=[validate_vault_path])
    requires_justification = models.BooleanField(default=False)
    rotation_max_age_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        null=True,
        blank=True,
        help_text="Default maximum age of its credentials before they are due for rotation.",
    )

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        _refresh_engine_paths(Credential.objects.filter(device__tenant=self), self.vault_namespace)

    @property
    def vault_location(self) -> str:
        """Where the tenant's secrets live, as the one path OpenBao resolves: namespace, mount and
        prefix. OpenBao also reads a namespace from the front of a path, so namespace `acme` with
        mount `keydesk` and the root namespace's mount `acme/keydesk` are the same place."""
        parts = (self.vault_namespace, self.kv_mount, self.path_prefix)
        return "/".join(part.strip("/") for part in parts if part.strip("/"))

    def clean(self) -> None:
        # Each tenant owns its own subtree of Vault: no two tenants' locations may nest or coincide,
        # however namespace, mount and prefix are split, so no credential of one can name a secret
        # of the other.
        if not self.path_prefix:
            return
        intruded = tenant_namespace_reached(self, engine_path(self.vault_namespace, self.kv_mount))
        if intruded:
            raise ValidationError(
                {"kv_mount": f"This mount lies in namespace {intruded!r}, which belongs to other tenants."}
            )
        others = Tenant.objects.exclude(pk=self.pk).values_list(
            "name", "vault_namespace", "kv_mount", "path_prefix"
        )
        for name, namespace, mount, prefix in others:
            other = Tenant(vault_namespace=namespace, kv_mount=mount, path_prefix=prefix)
            if _nests(other.vault_location, self.vault_location):
                raise ValidationError(
                    {
                        "path_prefix": f"Overlaps tenant {name}'s Vault location {other.vault_location!r} "
                        "(namespace, mount and prefix taken together)."
                    }
                )


def _nests(first: str, second: str) -> bool:
    """True when one Vault path is the other or lies below it."""
    a, b = first.strip("/") + "/", second.strip("/") + "/"
    return a.startswith(b) or b.startswith(a)


class Tag(models.Model):
    """A free label on devices (e.g. `icu`, `pilot`) that entitlements can scope to."""

    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """One installed instrument at a customer site."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        MAINTENANCE = "maintenance", "In maintenance"
        RETIRED = "retired", "Retired"

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="devices")
    serial = models.CharField(max_length=100, unique=True, validators=[validate_vault_path])
    name = models.CharField(max_length=200)
    model_name = models.CharField("model", max_length=200, blank=True)
    site = models.CharField(max_length=200, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    tags = models.ManyToManyField(Tag, blank=True, related_name="devices")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["serial", "pk"]

    def __str__(self) -> str:
        return f"{self.serial} ({self.name})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        _refresh_engine_paths(self.credentials.all(), self.tenant.vault_namespace)

    def get_absolute_url(self) -> str:
        return reverse("inventory:device_detail", args=[self.pk])


class Credential(models.Model):
    """One named secret of a device: where it lives in Vault and how it rotates. Never its value."""

    class Kind(models.TextChoices):
        KV2 = "kv2", "KV v2 secret"
        DATABASE_STATIC = "db_static", "Database account (static role)"
        LDAP_STATIC = "ldap_static", "Directory account (static role)"
        PKI = "pki", "Device certificate (PKI)"

    class Charset(models.TextChoices):
        ALNUM = "alnum", "Letters and digits"
        ALNUM_SYMBOLS = "alnum_symbols", "Letters, digits and symbols"
        HEX = "hex", "Hexadecimal"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    name = models.SlugField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.KV2)
    vault_path = models.CharField(
        max_length=300,
        blank=True,
        validators=[validate_vault_path],
        help_text="Path under the tenant's mount; defaults to <tenant prefix>/<serial>/<name>.",
    )
    # Static roles and PKI: the secrets engine's mount and the role's name (KV v2 ignores both).
    engine_mount = models.CharField(max_length=100, blank=True, validators=[validate_vault_path])
    engine_role = models.CharField(max_length=100, blank=True, validators=[validate_vault_path])
    # The mount as OpenBao resolves it from the root namespace (the tenant's namespace, then
    # engine_mount), kept here so the database itself can hold one credential per static role;
    # set on every save, and by Tenant.save/Device.save should a namespace or tenant change.
    engine_path = models.CharField(max_length=301, blank=True, default="", editable=False)
    rotate_field = models.CharField(
        max_length=100, default="password", help_text="The key inside the secret that rotation replaces."
    )
    length = models.PositiveSmallIntegerField(default=24)
    charset = models.CharField(max_length=20, choices=Charset.choices, default=Charset.ALNUM_SYMBOLS)
    max_age_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        null=True,
        blank=True,
        help_text="Rotate when older than this; empty: the tenant's default.",
    )
    password_policy = models.CharField(
        max_length=100,
        blank=True,
        help_text="A Vault password policy (in the tenant's namespace) that generates new values; empty: Keydesk's own.",
    )
    # What Keydesk last saw of the secret in Vault (metadata, never the value).
    vault_version = models.PositiveIntegerField(null=True, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    last_changed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["device__serial", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["device", "name"], name="credential_unique_per_device"),
            # A static role is one account; a second credential on it (in any tenant) would hand
            # that account to the second credential's engineers. PKI roles issue certificates to
            # many devices and are shared on purpose.
            models.UniqueConstraint(
                fields=["engine_path", "engine_role"],
                condition=Q(kind__in=["db_static", "ldap_static"]),
                name="credential_one_per_static_role",
                violation_error_message="Another credential already uses this static role.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device.serial}/{self.name}"

    def save(self, *args, **kwargs) -> None:
        if not self.vault_path:
            self.vault_path = self.default_vault_path()
        self.engine_path = engine_path(self.device.tenant.vault_namespace, self.engine_mount)
        super().save(*args, **kwargs)

    @property
    def is_static_role(self) -> bool:
        return self.kind in STATIC_ROLE_KINDS

    def clean(self) -> None:
        if (self.is_static_role or self.kind == self.Kind.PKI) and not (
            self.engine_mount and self.engine_role
        ):
            raise ValidationError({"engine_role": "Name the secrets engine's mount and its role."})
        if self.kind == self.Kind.KV2 and (self.engine_mount or self.engine_role):
            raise ValidationError(
                {"engine_mount": "A KV v2 credential names no secrets engine; leave both empty."}
            )
        if not 12 <= self.length <= 128:
            raise ValidationError({"length": "Generated values must be 12 to 128 characters long."})
        self._check_engine_is_unchanged()
        if not self.device_id:
            return
        tenant = self.device.tenant
        if self.engine_mount:
            intruded = tenant_namespace_reached(
                tenant, engine_path(tenant.vault_namespace, self.engine_mount)
            )
            if intruded:
                raise ValidationError(
                    {
                        "engine_mount": f"This mount lies in namespace {intruded!r}, which belongs to other tenants."
                    }
                )
        self._check_static_role_is_free(tenant)
        if self.vault_path and not self.vault_path.startswith(tenant.path_prefix.strip("/") + "/"):
            raise ValidationError(
                {
                    "vault_path": f"Must lie under the tenant's prefix {tenant.path_prefix!r}/ (leave empty for the default)."
                }
            )
        path = self.vault_path or self.default_vault_path()
        clash = Credential.objects.filter(
            device__tenant__vault_namespace=tenant.vault_namespace,
            device__tenant__kv_mount=tenant.kv_mount,
            vault_path=path,
        ).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError({"vault_path": f"Another credential already uses {path!r}."})

    def default_vault_path(self) -> str:
        return f"{self.device.tenant.path_prefix}/{self.device.serial}/{self.name}"

    def _check_engine_is_unchanged(self) -> None:
        # Like vault_path, the kind, engine and role say which account this is: re-pointing an
        # existing credential would hand another account to the engineers entitled to this one.
        if self._state.adding:
            return
        stored = Credential.objects.filter(pk=self.pk).values("kind", "engine_mount", "engine_role").first()
        if stored is None:
            return
        errors = {
            field: "Fixed once the credential exists; to use another, create a new credential."
            for field, value in stored.items()
            if getattr(self, field) != value
        }
        if errors:
            raise ValidationError(errors)

    def _check_static_role_is_free(self, tenant: Tenant) -> None:
        if not (self.is_static_role and self.engine_mount and self.engine_role):
            return
        owner = (
            Credential.objects.filter(
                kind__in=STATIC_ROLE_KINDS,
                engine_path=engine_path(tenant.vault_namespace, self.engine_mount),
                engine_role=self.engine_role,
            )
            .exclude(pk=self.pk)
            .select_related("device")
            .first()
        )
        if owner is not None:
            raise ValidationError(
                {
                    "engine_role": f"The static role {self.engine_mount}/{self.engine_role} already backs "
                    f"{owner}; one account, one credential."
                }
            )


STATIC_ROLE_KINDS = (Credential.Kind.DATABASE_STATIC, Credential.Kind.LDAP_STATIC)


def engine_path(namespace: str, mount: str) -> str:
    """A secrets engine's mount as addressed from the root namespace: OpenBao reads a leading
    namespace from the path as well as from the header, so `a` + `b/db` and `a/b` + `db` are one mount."""
    if not (namespace and mount):
        return mount  # no namespace; or no engine at all (KV v2)
    return f"{namespace}/{mount}"  # both validated: no stray slashes to normalise


def tenant_namespace_reached(tenant: Tenant, mount_path: str) -> str:
    """The namespace of other tenants that `mount_path` (a mount as addressed from the root) lies
    in, when it is not the tenant's own: OpenBao would route it into that namespace. Empty if none."""
    own = tenant.vault_namespace.strip("/")
    namespaces = Tenant.objects.exclude(vault_namespace="").exclude(pk=tenant.pk)
    for namespace in namespaces.values_list("vault_namespace", flat=True).distinct():
        namespace = namespace.strip("/")
        reaches = (mount_path.strip("/") + "/").startswith(namespace + "/")
        if reaches and not (own + "/").startswith(namespace + "/"):
            return namespace
    return ""


def _refresh_engine_paths(credentials: models.QuerySet, namespace: str) -> None:
    """Keep Credential.engine_path in step after a tenant's namespace or a device's tenant changed."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    path = Concat(Value(f"{namespace}/"), F("engine_mount")) if namespace else F("engine_mount")
    credentials.exclude(engine_mount="").exclude(engine_path=path).update(engine_path=path)


def is_due(last_changed_at, max_age_days: int, at=None) -> bool:  # noqa: ANN001
    """The rule due_for_rotation() applies in SQL, for one credential: never seen, or last changed
    more than its maximum age ago."""
    import datetime

    from django.utils import timezone

    at = at or timezone.now()
    return last_changed_at is None or last_changed_at < at - datetime.timedelta(days=max_age_days)


def due_for_rotation(queryset: models.QuerySet, at=None) -> models.QuerySet:  # noqa: ANN001
    """Credentials whose last change (as Keydesk last saw it) is older than their maximum age —
    their own, else their tenant's. Never-seen ones with a maximum age count as due.

    The distinct maximum ages are few, so the cut-off dates are computed here (portable across
    PostgreSQL and SQLite) and the result stays one query to filter with.
    """
    import datetime

    from django.db.models import Q
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    at = at or timezone.now()
    annotated = queryset.annotate(max_age=Coalesce("max_age_days", "device__tenant__rotation_max_age_days"))
    ages = annotated.filter(max_age__isnull=False).values_list("max_age", flat=True).distinct().order_by()
    due = Q(pk__in=[])
    for days in ages:
        cutoff = at - datetime.timedelta(days=days)
        due |= Q(max_age=days) & (Q(last_changed_at__isnull=True) | Q(last_changed_at__lt=cutoff))
    return annotated.filter(due)
