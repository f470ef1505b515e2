"""manage.py signins list|unlock — the failed sign-in counters and locks, from a shell.

The way out when nobody can sign in to reach the admin's Unlock action, e.g. when one source
address (or a proxy that every client seems to come from) has locked everyone out. Audited.
"""

import getpass
import ipaddress
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.accounts import services


class Command(BaseCommand):
    help = "List the failed sign-in counters and locks, or unlock a source address, a login name or all."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="the counters and locks, locked first")
        listing.add_argument("--locked", action="store_true", help="only what is locked now")
        unlock = sub.add_parser("unlock", help="lift locks and reset their counters now (audited)")
        which = unlock.add_mutually_exclusive_group(required=True)
        which.add_argument("--address", help="a source address, e.g. 192.0.2.10")
        which.add_argument("--user", help="a login name")
        which.add_argument("--all", action="store_true", help="every name and address")
        unlock.add_argument(
            "--unlocked-by",
            default=None,
            help="who unlocks, for the audit trail (default: signins:<OS user>), e.g. a ticket id",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "list":
            self._list(locked_only=options["locked"])
        else:
            self._unlock(options)

    def _list(self, *, locked_only: bool) -> None:
        now = timezone.now()
        rows = services.lockouts()
        if locked_only:
            rows = rows.filter(locked_until__gt=now)
        count = 0
        for lock in rows:
            if lock.locked_until and lock.locked_until > now:
                state = f"LOCKED until {lock.locked_until:%Y-%m-%d %H:%M:%S} UTC"
            else:
                state = "not locked"
            self.stdout.write(f"{lock.kind}\t{lock.key}\t{lock.failures} failure(s)\t{state}")
            count += 1
        self.stdout.write(f"{count} counter(s){' locked now' if locked_only else ''}.")

    def _unlock(self, options: dict[str, Any]) -> None:
        if options["address"] is not None:
            address = options["address"].strip()
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                raise CommandError(f"{address!r} is not an IP address.") from None
            locks, what = services.lockouts(address=address), f"source address {address}"
        elif options["user"] is not None:
            locks, what = services.lockouts(login_name=options["user"]), f"login name {options['user']!r}"
        else:
            locks, what = services.lockouts(), "any name or address"
        actor_name = options["unlocked_by"] or f"signins:{getpass.getuser()}"
        count = services.unlock(None, list(locks), actor_name=actor_name[:200])
        if count == 0 and not options["all"]:
            raise CommandError(f"Nothing to unlock: no failed sign-ins are counted for {what}.")
        self.stdout.write(f"Unlocked {count} ({what}).")
