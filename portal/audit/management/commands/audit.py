"""manage.py audit verify|checkpoint — prove the audit trail was not altered."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.audit import services
from portal.vault.client import VaultError


class Command(BaseCommand):
    help = "Verify the audit hash chain (and its signed checkpoints), or sign a checkpoint of its head."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="walk the chain and report the first broken link")
        verify.add_argument(
            "--no-signatures",
            action="store_true",
            help="check checkpoints against the chain but do not ask Vault to verify their signatures",
        )
        sub.add_parser("checkpoint", help="sign the chain's current head with the Vault Transit key")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "checkpoint":
                checkpoint = services.sign_checkpoint()
                if checkpoint is None:
                    self.stdout.write("The audit trail is empty: nothing to sign.")
                else:
                    self.stdout.write(
                        f"Signed checkpoint: event {checkpoint.sequence}, hash {checkpoint.hash}."
                    )
                return
            verdict = services.verify_chain(check_signatures=not options["no_signatures"])
        except VaultError as exc:
            hint = (
                ""
                if options["subcommand"] == "checkpoint"
                else (
                    " The checkpoints' signatures could not be checked; `audit verify --no-signatures` checks the "
                    "chain and the checkpoints without Vault."
                )
            )
            raise CommandError(f"{exc.message}{hint}") from None
        if not verdict.intact:
            raise CommandError(str(verdict))
        self.stdout.write(str(verdict))
