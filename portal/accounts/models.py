from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


def normalize_login_name(name: str) -> str:
    """One spelling per person: `ALICE`, ` alice ` and `alice` are the same account."""
    return name.strip().lower()


class KeydeskUserManager(UserManager):
    def get_by_natural_key(self, username: str) -> "User":
        return self.get(username=normalize_login_name(username))


class User(AbstractUser):
    """A person who signs in to Keydesk, mirrored from the directory at each login.

    The username is stored normalised (see normalize_login_name); roles come from mirrored groups.
    """

    display_name = models.CharField(max_length=200, blank=True)
    # Set for accounts that come from the directory; empty for local (break-glass) accounts.
    directory_dn = models.CharField(max_length=500, blank=True)

    objects = KeydeskUserManager()

    def save(self, *args, **kwargs) -> None:
        self.username = normalize_login_name(self.username)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def from_directory(self) -> bool:
        return bool(self.directory_dn)


class LoginLockout(models.Model):
    """Failed sign-ins counted per login name and per source address; past a threshold, sign-in
    from there is refused for a while (an admin can lift it early)."""

    class Kind(models.TextChoices):
        USER = "user", "login name"
        ADDRESS = "address", "source address"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=200)
    failures = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="lockout_one_per_key")]
        ordering = ["-locked_until", "kind", "key"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"
