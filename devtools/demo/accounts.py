"""Demo organisations and one user per role. Idempotent: running it again changes nothing.

The region's municipalities are data: data/municipalities.csv (code, name, latitude, longitude)
lists Göteborgsregionen's thirteen with the centre of each one's main town (WGS 84; for Ale,
Härryda and Tjörn their seats Nödinge-Nol, Mölnlycke and Skärhamn), where matching measures
distances from. Three of them get an organisation (ORGANISATIONS) and the demo users.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from spink.accounts.models import Administration, Municipality, OrgUnit, PlacementTeam, Role, User

DEMO_PASSWORD = "spink-demo-2026"  # noqa: S105 - only set when SPINK_DEMO is on
MUNICIPALITIES_FILE = Path(__file__).resolve().parent / "data" / "municipalities.csv"

ORGANISATIONS = {
    ("Göteborg", "1480"): {
        "Socialförvaltning Centrum": ["Barn och unga utredning Centrum", "Vuxen Centrum"],
        "Socialförvaltning Hisingen": ["Barn och unga utredning Hisingen", "Vuxen Hisingen"],
        "Socialförvaltning Nordost": ["Barn och unga utredning Nordost", "Vuxen Nordost"],
        "Socialförvaltning Sydväst": ["Barn och unga utredning Sydväst", "Vuxen Sydväst"],
        "Förvaltningen för funktionsstöd": ["Biståndshandläggning LSS", "Socialpsykiatri"],
    },
    ("Mölndal", "1481"): {
        "Social- och arbetsmarknadsförvaltningen": ["Barn och familj", "Vuxenenheten"],
    },
    ("Kungälv", "1482"): {
        "Sektor omsorg": ["Individ- och familjeomsorg", "Funktionsstöd Kungälv"],
    },
}

# username, first name, last name, role, municipality, org unit or None, team
USERS = [
    (
        "socialsekreterare",
        "Sara",
        "Lindqvist",
        Role.SOCIAL_WORKER,
        "Göteborg",
        "Barn och unga utredning Centrum",
        "",
    ),
    (
        "socialsekreterare.hisingen",
        "Hassan",
        "Ali",
        Role.SOCIAL_WORKER,
        "Göteborg",
        "Vuxen Hisingen",
        "",
    ),
    (
        "socialsekreterare.molndal",
        "Maja",
        "Berg",
        Role.SOCIAL_WORKER,
        "Mölndal",
        "Barn och familj",
        "",
    ),
    (
        "placering.barn",
        "Peter",
        "Holm",
        Role.PLACEMENT_OFFICER,
        "Göteborg",
        None,
        PlacementTeam.CHILDREN_YOUTH,
    ),
    (
        "placering.vuxen",
        "Elin",
        "Strand",
        Role.PLACEMENT_OFFICER,
        "Göteborg",
        None,
        PlacementTeam.ADULTS,
    ),
    (
        "placering.funktionsstod",
        "Omar",
        "Nilsson",
        Role.PLACEMENT_OFFICER,
        "Göteborg",
        None,
        PlacementTeam.DISABILITY_SUPPORT,
    ),
    ("kvalitet", "Karin", "Ek", Role.QUALITY_CONTROL, "Göteborg", None, ""),
    ("upphandling", "Ulf", "Sjöberg", Role.PROCUREMENT, "Göteborg", None, ""),
    ("chef", "Cecilia", "Wall", Role.MANAGER, "Göteborg", None, ""),
    ("admin", "Anna", "Dahl", Role.ADMINISTRATOR, None, None, ""),
]


def read_municipalities(path: Path = MUNICIPALITIES_FILE) -> list[dict[str, Any]]:
    """The file's rows as Municipality fields (code, name, latitude, longitude)."""
    with path.open(encoding="utf-8", newline="") as file:
        return [
            {
                "code": row["code"].strip(),
                "name": row["name"].strip(),
                "latitude": Decimal(row["latitude"].strip()),
                "longitude": Decimal(row["longitude"].strip()),
            }
            for row in csv.DictReader(file)
        ]


def seed_municipalities(path: Path = MUNICIPALITIES_FILE) -> dict[str, Municipality]:
    """The file's municipalities by code, created or brought up to date (saved, with a history
    row, only when something differs)."""
    municipalities = {}
    for fields in read_municipalities(path):
        code = fields.pop("code")
        municipality = Municipality.objects.filter(code=code).first() or Municipality(code=code)
        changed = municipality.pk is None or any(
            getattr(municipality, name) != value for name, value in fields.items()
        )
        if changed:
            for name, value in fields.items():
                setattr(municipality, name, value)
            municipality.full_clean()
            municipality.save()
        municipalities[code] = municipality
    return municipalities


@transaction.atomic
def seed_organisations() -> dict[str, OrgUnit]:
    org_units: dict[str, OrgUnit] = {}
    municipalities = seed_municipalities()
    for (_name, code), administrations in ORGANISATIONS.items():
        municipality = municipalities[code]  # the file names every municipality
        for administration_name, unit_names in administrations.items():
            administration, _ = Administration.objects.get_or_create(
                municipality=municipality, name=administration_name
            )
            for unit_name in unit_names:
                org_units[unit_name], _ = OrgUnit.objects.get_or_create(
                    administration=administration, name=unit_name
                )
    return org_units


@transaction.atomic
def seed_users(org_units: dict[str, OrgUnit]) -> list[User]:
    users = []
    for username, first, last, role, municipality_name, unit_name, team in USERS:
        org_unit = org_units[unit_name] if unit_name else None
        user = User.objects.filter(username=username).first() or User(username=username)
        user.first_name, user.last_name, user.role = first, last, role
        user.email = f"{username}@example.invalid"
        user.org_unit = org_unit
        user.administration = org_unit.administration if org_unit else None
        user.municipality = (
            Municipality.objects.get(name=municipality_name) if municipality_name else None
        )
        user.placement_team = team
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        if settings.DEMO_MODE:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        users.append(user)
    return users


def seed() -> list[User]:
    return seed_users(seed_organisations())
