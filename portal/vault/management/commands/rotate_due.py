"""manage.py rotate_due — rotate every credential older than its maximum age (for cron or a
Kubernetes CronJob). One audit event per rotation; carries on past failures and reports them."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.access.policy import SystemActor
from portal.audit.services import AuditWriteFailed
from portal.inventory.models import Credential, due_for_rotation, is_due
from portal.vault import services
from portal.vault.client import VaultError

SCHEDULER = SystemActor(name="rotate_due", actions=frozenset({"view", "rotate"}))


class Command(BaseCommand):
    help = "Rotate the credentials that are due (older than their own or their tenant's maximum age)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what is due, rotate nothing")
        parser.add_argument("--tenant", help="only this tenant (slug)")
        parser.add_argument("--limit", type=int, default=0, help="rotate at most this many")

    def handle(self, *args: Any, **options: Any) -> None:
        due = due_for_rotation(Credential.objects.select_related("device__tenant")).order_by(
            "last_changed_at", "pk"
        )
        if options["tenant"]:
            due = due.filter(device__tenant__slug=options["tenant"])
        if options["limit"] and options["limit"] > 0:
            due = due[: options["limit"]]
        credentials = list(due)
        if options["dry_run"]:
            for credential in credentials:
                self.stdout.write(
                    f"due: {credential} (max age {credential.max_age} days, last changed "
                    f"{credential.last_changed_at or 'never seen'})"
                )
            self.stdout.write(f"{len(credentials)} credential(s) due; nothing rotated (dry run).")
            return
        rotated, skipped, failed = 0, 0, []
        for index, credential in enumerate(credentials, start=1):
            self._progress(index, len(credentials), credential)
            try:
                # Vault has the last word: it may have been changed outside the portal meanwhile.
                status = services.credential_status(SCHEDULER, credential)
                if status.error:
                    raise VaultError(status.error)
                if not is_due(credential.last_changed_at, credential.max_age):
                    skipped += 1
                    continue
                services.rotate_secret(
                    SCHEDULER,
                    credential,
                    ticket="scheduled",
                    justification=f"Scheduled rotation: older than {credential.max_age} days",
                )
                rotated += 1
            except (VaultError, AuditWriteFailed, services.JustificationMissing) as exc:
                failed.append((credential, getattr(exc, "message", str(exc))))
        self._progress_done()
        for credential, message in failed:
            self.stderr.write(f"failed: {credential}: {message}")
        summary = f"Rotated {rotated}, skipped {skipped} (changed meanwhile), failed {len(failed)} of {len(credentials)} due."
        if failed:
            raise CommandError(summary)
        self.stdout.write(summary)

    def _progress(self, index: int, total: int, credential: Credential) -> None:
        if sys.stdout.isatty():
            width = 30
            filled = width * index // max(total, 1)
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {index}/{total} {credential}", ending=""
            )
            self.stdout.flush()
        else:
            self.stdout.write(f"{index}/{total} {credential}")

    def _progress_done(self) -> None:
        if sys.stdout.isatty():
            self.stdout.write("")
