"""`manage.py generate_scale`: a region's worth of data for benchmarks and load tests."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devtools.scale import placements as scale
from devtools.scale.register import generate_register
from placements.models import PlacementRequest
from providers.models import Unit


class Command(BaseCommand):
    help = (
        "Generate regional-scale data: municipalities with their organisation, a register of "
        "units (agreements, prices, permits), supplier follow-up, and years of placement "
        "requests with timelines, recommendations and outcomes. Reproducible from --seed. "
        "Meant for a benchmark database, not for production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--municipalities", type=int, default=10)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument(
            "--requests", type=int, default=750_000, help="About this many requests in all."
        )
        parser.add_argument(
            "--units", type=int, default=10_000, help="Fill the register up to this many units."
        )
        parser.add_argument("--controls", type=int, default=5_000)
        parser.add_argument("--signals", type=int, default=5_000)
        parser.add_argument("--feedback", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--no-history",
            dest="history",
            action="store_false",
            help="Leave out seed_demo's 2023–2024 history of Gothenburg (a miniature run).",
        )

    def handle(self, *args, **options) -> None:
        from devtools.scale.followup import generate_followup

        if options["years"] < 1 or options["requests"] < 0 or options["units"] < 0:
            raise CommandError("--years must be at least 1; sizes cannot be negative.")
        if PlacementRequest.objects.filter(social_worker__username__startswith="scale.").exists():
            raise CommandError(
                "Generated requests are already here: run it on an empty database "
                "(manage.py flush, or a new database) to generate again."
            )
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:6.1f} s] {message}")
            self.stdout.flush()

        call_command("seed_demo", verbosity=0, history=options["history"])
        progress("demo organisations, users and register ready")
        try:
            places = scale.prepare_region(options["municipalities"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        progress(f"{len(places)} municipalities with administrations, units and users")

        missing = options["units"] - Unit.objects.count()
        if missing > 0:
            generate_register(missing, seed=options["seed"], progress=progress)
        first_year = scale.first_year(options["years"])
        made = generate_followup(
            options["controls"],
            options["signals"],
            options["feedback"],
            years=(first_year, first_year + options["years"] - 1),
            seed=options["seed"],
            progress=progress,
        )
        progress(f"follow-up: {made}")
        counts = scale.generate_requests(
            places,
            years=options["years"],
            total=options["requests"],
            seed=options["seed"],
            progress=progress,
        )
        scale.analyze()
        statuses = ", ".join(f"{status} {n}" for status, n in sorted(counts.by_status.items()))
        progress(
            f"done: {counts.requests} requests ({statuses}), {counts.recommendations} "
            f"recommendations, {counts.timeline} timeline events"
        )
