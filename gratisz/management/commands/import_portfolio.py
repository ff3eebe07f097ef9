import json

from django.core.management.base import BaseCommand, CommandError

from gratisz.importer import portfolio_import


def _numbered_records(lines, report_error):
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            report_error(number, f"not valid JSON: {error.msg} (column {error.colno})")


class Command(BaseCommand):
    help = "Upsert firms, portfolio and claims from a JSON Lines export of the core systems."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON Lines file, one record a line ('-': stdin)")

    def handle(self, *args, file, **options):
        parse_errors = []
        try:
            stream = self.stdin if file == "-" else open(file, encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        with stream:
            records = _numbered_records(stream, lambda n, msg: parse_errors.append((n, msg)))
            report = portfolio_import(records)
        errors = sorted(report.errors + parse_errors)
        for number, reason in errors:
            self.stderr.write(f"line {number}: {reason}")
        counts = report.counts
        self.stdout.write(
            f"created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}, failed {len(errors)}"
        )
        if errors:
            raise CommandError(f"{len(errors)} line(s) failed; the other lines were imported")
