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
