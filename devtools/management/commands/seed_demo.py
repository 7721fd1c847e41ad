from django.conf import settings
from django.core.management.base import BaseCommand

from categories import taxonomy
from devtools.demo import accounts as demo
from devtools.demo import followup as followup_demo
from devtools.demo import history as placement_history
from devtools.demo import placements as placement_demo
from devtools.demo import plans as plan_demo
from devtools.demo import register as register_demo


class Command(BaseCommand):
    help = (
        "Create realistic demo data (idempotent). Demo users get the demo password only "
        "when SPINK_DEMO=1; otherwise they cannot log in until an administrator sets one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-history",
            dest="history",
            action="store_false",
            help=(
                "Leave out the history of Gothenburg since 2023 (some 30,000 closed requests "
                "and EU assignments, up to yesterday)."
            ),
        )

    def handle(self, *args, **options):
        from django.apps import apps

        taxonomy.load(apps)
        users = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo organisations and {len(users)} users ready."))
        units = register_demo.seed()
        self.stdout.write(
            f"Demo register: {units} units created." if units else "Demo register already there."
        )
        controls = followup_demo.seed()
        self.stdout.write(
            f"Demo follow-up: {controls} controls created."
            if controls
            else "Demo follow-up already there."
        )
        requests = placement_demo.seed()
        self.stdout.write(
            f"Demo placement requests: {requests} created."
            if requests
            else "Demo placement requests already there."
        )
        if options["history"]:
            history = placement_history.seed_history()
            self.stdout.write(
                f"History since 2023: {history} closed requests created."
                if history
                else "History since 2023 already there."
            )
        else:
            self.stdout.write("History left out (--no-history).")
        self.stdout.write(f"Demo category plan: {plan_demo.seed() or 'already there'}.")
        if settings.DEMO_MODE:
            self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
            for user in users:
                self.stdout.write(f"  {user.username:<28} {user.get_role_display()}")
        else:
            self.stdout.write("Demo mode is off: demo users have no usable password.")
