"""Import a framework agreement's units and prices from a CSV or XLSX file (see
providers/importer.py for the columns). All or nothing; exits non-zero when nothing was
imported because of errors.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from providers import importer
from providers.models import FrameworkAgreement
from spink.accounts.models import User


class Command(BaseCommand):
    help = "Import a framework agreement's units and daily prices from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("reference", help="The agreement's reference number.")
        parser.add_argument("path", help="The CSV or XLSX file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; import nothing."
        )
        parser.add_argument(
            "--actor",
            help="Username the import acts as (recorded in the history). Without it the "
            "import runs as a system job.",
        )

    def handle(self, *args, reference, path, dry_run, actor, verbosity=1, **options):
        self.verbosity = verbosity
        agreement = FrameworkAgreement.objects.filter(reference=reference).first()
        if agreement is None:
            raise CommandError(
                _("No framework agreement has the reference %(reference)s.")
                % {"reference": reference}
            )
        user = None
        if actor:
            user = User.objects.filter(username=actor, is_active=True).first()
            if user is None:
                raise CommandError(_("No active user is called %(name)s.") % {"name": actor})
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("The file %(path)s cannot be read: %(error)s")
                % {"path": path, "error": error.strerror}
            ) from error
        try:
            report = importer.import_units(
                agreement, content, file.name, actor=user, dry_run=dry_run
            )
        except PermissionDenied:
            raise CommandError(
                _("%(name)s may not manage framework agreements.") % {"name": actor}
            ) from None
        self._print(report)
        if report.has_errors:
            raise CommandError(
                _("Nothing was imported. Errors: %(count)s.") % {"count": report.error_count}
            )

    def _print(self, report: importer.ImportReport) -> None:
        if report.file_error:
            self.stderr.write(report.file_error)
            return
        for column in report.ignored_columns:
            self.stdout.write(_("Ignored column: %(column)s") % {"column": column})
        for row in report.rows:
            for error in row.errors:
                where = (
                    _("Row %(row)s, column %(column)s") % {"row": row.row, "column": error.column}
                    if error.column
                    else _("Row %(row)s") % {"row": row.row}
                )
                self.stderr.write(f"{where}: {error.message}")
            if self.verbosity > 1:
                for action in row.actions:
                    self.stdout.write(f"{_('Row %(row)s') % {'row': row.row}}: {action.text}")
        for label, count in report.summary_lines:
            self.stdout.write(f"{label}: {count}")
        if report.imported:
            self.stdout.write(
                self.style.SUCCESS(_("Rows imported: %(count)s.") % {"count": len(report.rows)})
            )
        elif report.dry_run and not report.has_errors:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Dry run: every row can be imported (rows: %(count)s).")
                    % {"count": len(report.rows)}
                )
            )
