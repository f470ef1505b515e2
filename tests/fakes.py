"""A stand-in for portal.vault.client.VaultClient, for unit tests only (integration tests use OpenBao)."""

from collections.abc import Mapping
from typing import Any

from portal.vault.client import (
    SecretMetadata,
    SecretRef,
    SecretVersion,
    VaultConflict,
    VaultDeleted,
    VaultError,
    VaultNotFound,
    WriteResult,
)


class FakeVaultClient:
    """In-memory KV v2 with versions and check-and-set, counting calls like the real client."""

    def __init__(self) -> None:
        self.secrets: dict[str, list[dict[str, Any]]] = {}
        self.deleted: set[tuple[str, int]] = set()
        self.calls: list[tuple[str, str]] = []
        self.fail_with: VaultError | None = None

    def put(self, ref: SecretRef, data: Mapping[str, Any]) -> int:
        self.secrets.setdefault(str(ref), []).append(dict(data))
        return len(self.secrets[str(ref)])

    def _check(self, operation: str, ref: SecretRef) -> list[dict[str, Any]]:
        self.calls.append((operation, str(ref)))
        if self.fail_with is not None:
            raise self.fail_with
        return self.secrets.get(str(ref), [])

    def read(self, ref: SecretRef, version: int | None = None) -> SecretVersion:
        versions = self._check("read", ref)
        if not versions:
            raise VaultNotFound(f"There is no secret at {ref} in Vault.")
        number = version or len(versions)
        if (str(ref), number) in self.deleted:
            raise VaultDeleted(f"Version {number} of {ref} was deleted or destroyed in Vault.")
        return SecretVersion(
            data=dict(versions[number - 1]),
            version=number,
            created_time="2026-12-01T10:00:00Z",
            request_id=f"fake-read-{len(self.calls)}",
        )

    def metadata(self, ref: SecretRef) -> SecretMetadata:
        versions = self._check("metadata", ref)
        if not versions:
            raise VaultNotFound(f"There is no secret at {ref} in Vault.")
        from portal.vault.client import VersionInfo

        history = tuple(
            VersionInfo(
                version=number,
                created_time=f"2026-12-0{min(number, 9)}T10:00:00Z",
                deletion_time="2026-12-09T00:00:00Z" if (str(ref), number) in self.deleted else "",
                destroyed=False,
            )
            for number in range(len(versions), 0, -1)
        )
        return SecretMetadata(
            current_version=len(versions),
            created_time="2026-12-01T10:00:00Z",
            updated_time="2026-12-02T10:00:00Z",
            current_deleted=(str(ref), len(versions)) in self.deleted,
            request_id=f"fake-meta-{len(self.calls)}",
            versions=history,
        )

    def write(self, ref: SecretRef, data: Mapping[str, Any], *, cas: int) -> WriteResult:
        versions = self._check("write", ref)
        if cas != len(versions):
            raise VaultConflict("The secret changed in Vault while you were working on it.")
        return WriteResult(version=self.put(ref, data), request_id=f"fake-write-{len(self.calls)}")

    def sign(self, mount: str, key: str, data: bytes) -> str:
        import hashlib
        import hmac

        self.calls.append(("sign", f"{mount}/{key}"))
        return "fake:v1:" + hmac.new(b"fake-transit-key", data, hashlib.sha256).hexdigest()

    def verify_signature(self, mount: str, key: str, data: bytes, signature: str) -> bool:
        self.calls.append(("verify", f"{mount}/{key}"))
        if self.fail_with is not None:
            raise self.fail_with
        return signature == self.sign(mount, key, data)

    state = "ok"

    def health(self, timeout: float = 2.0) -> str:
        return self.state

    login = "ok"

    def login_state(self) -> str:
        return self.login

    annotations: dict[str, dict[str, str]]

    def annotate(self, ref: SecretRef, custom_metadata: Mapping[str, str]) -> str:
        self._check("annotate", ref)
        if not hasattr(self, "annotations"):
            self.annotations = {}
        self.annotations[str(ref)] = dict(custom_metadata)
        return f"fake-annotate-{len(self.calls)}"
