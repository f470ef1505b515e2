"""manage.py entitlements export|plan|apply — entitlements as code, reviewed in version control."""

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.entitlements import as_code


class Command(BaseCommand):
    help = (
        "Export the grants as YAML, plan the changes a file would make, or apply it (one audited change set)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="write the current grants as YAML")
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        for name, text in (
            ("plan", "print what apply would change, changing nothing"),
            ("apply", "apply the file"),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("file", help="the YAML file ('-' for standard input)")
            if name == "apply":
                command.add_argument(
                    "--applied-by",
                    default=None,
                    help="who applies it, for the audit trail (default: the OS user), e.g. the pipeline and commit",
                )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "export":
            text = as_code.export_yaml()
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
                self.stderr.write(f"Wrote {options['output']}.")
            else:
                self.stdout.write(text, ending="")
            return
        name = options["file"]
        text = self._read(name)
        try:
            if options["subcommand"] == "plan":
                result = as_code.plan(as_code.parse(text))
            else:
                applied_by = options["applied_by"] or f"as-code:{getpass.getuser()}"
                result = as_code.apply(text, applied_by=applied_by, source=name)
        except as_code.InvalidFile as exc:
            for error in exc.errors:
                self.stderr.write(f"{name}: {error}")
            raise CommandError(f"{name}: {len(exc.errors)} error(s); nothing was changed.") from None
        except ValidationError as exc:
            raise CommandError(f"{name}: {'; '.join(exc.messages)}; nothing was changed.") from None
        for change in result.changes:
            self.stdout.write(change.describe())
        summary = result.summary()
        if options["subcommand"] == "apply" and result.changes:
            summary = summary.replace("Plan: ", "Applied: ").replace(" to ", " ")
        self.stdout.write(summary)

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            return Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{name}: cannot be read ({exc.strerror}).") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name}: is not UTF-8 text.") from None
