"""Organisations (municipality → administration → org unit) and the people who use Spink."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ScopeLookups:
    """ORM lookups from a model to its owning administration and municipality.

    A model with `scope_lookups` can be passed to `spink.accounts.access.visible`.
    """

    administration: str
    municipality: str


# --- Coordinates ----------------------------------------------------------------------------
# A place's position in decimal degrees (WGS 84) with five decimals (about a metre): the centre
# of a municipality's main town, or a provider unit's own (providers.models.Unit). Both or
# neither; matching measures distances with them (placements.matching).


def latitude_field(help_text: StrOrPromise = "") -> models.DecimalField:
    return models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
        help_text=help_text,
    )


def longitude_field(help_text: StrOrPromise = "") -> models.DecimalField:
    return models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
        help_text=help_text,
    )


def coordinate_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's own check of latitude_field and longitude_field: in range, both or
    neither (constraint names start with `prefix`)."""
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=f"{prefix}_coordinates_both_or_neither",
            violation_error_message=_("Give both the latitude and the longitude, or neither."),
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            name=f"{prefix}_latitude_range",
            violation_error_message=_("The latitude must be between -90 and 90 degrees."),
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            name=f"{prefix}_longitude_range",
            violation_error_message=_("The longitude must be between -180 and 180 degrees."),
        ),
    ]


class Municipality(models.Model):
    """A municipality (kommun) sharing the regional system."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(
        _("municipality code"), max_length=4, unique=True, help_text=_("SCB four-digit code.")
    )
    # Need-to-know: by default a social worker sees the person data of their own requests and
    # their own organisation unit's only; a municipality may widen it to the administration.
    social_workers_see_administration = models.BooleanField(
        _("social workers see person data of their whole administration"),
        default=False,
        help_text=_(
            "Off: a social worker sees person data of their own and their organisation unit's "
            "requests only."
        ),
    )
    # Where distances to and from the municipality are measured (matching: "near the family").
    latitude = latitude_field(_("Of the main town's centre, in decimal degrees, e.g. 57.70716."))
    longitude = longitude_field(_("Of the main town's centre, in decimal degrees, e.g. 11.96679."))
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = coordinate_constraints("municipality")

    def __str__(self) -> str:
        return self.name


class Administration(models.Model):
    """An administration (förvaltning) of a municipality that places people."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="administrations",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=150)
    history = HistoricalRecords()

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("administration")
        verbose_name_plural = _("administrations")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="uniq_administration_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrgUnit(models.Model):
    """A unit (enhet) inside an administration, where social workers belong.

    Called OrgUnit in code so that it is never confused with a provider's Unit (verksamhet).
    """

    administration = models.ForeignKey(
        Administration,
        on_delete=models.PROTECT,
        related_name="org_units",
        verbose_name=_("administration"),
    )
    name = models.CharField(_("name"), max_length=150)
    history = HistoricalRecords()

    scope_lookups = ScopeLookups("administration", "administration__municipality")

    class Meta:
        ordering = ["administration__name", "name"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        constraints = [
            models.UniqueConstraint(fields=["administration", "name"], name="uniq_org_unit_name")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("Social worker")
    PLACEMENT_OFFICER = "placement_officer", _("Placement officer")
    QUALITY_CONTROL = "quality_control", _("Quality & control")
    PROCUREMENT = "procurement", _("Procurement")
    MANAGER = "manager", _("Manager")
    ADMINISTRATOR = "administrator", _("Administrator")


class PlacementTeam(models.TextChoices):
    ADULTS = "adults", _("Adults")
    CHILDREN_YOUTH = "children_youth", _("Children & youth")
    DISABILITY_SUPPORT = "disability_support", _("Disability support")


class User(AbstractUser):
    """A person using Spink. Where they sit in the organisation decides what they may see.

    municipality/administration are stored alongside org_unit (and kept consistent by
    clean()) so that every scoped query filters on an indexed column without joins.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, db_index=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("municipality"),
    )
    administration = models.ForeignKey(
        Administration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("administration"),
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("organisation unit"),
    )
    placement_team = models.CharField(
        _("placement team"), max_length=32, choices=PlacementTeam.choices, blank=True
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    scope_lookups = ScopeLookups("administration", "municipality")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, StrOrPromise] = {}
        if self.org_unit_id:
            assert self.org_unit is not None  # the id is set
            self.administration = self.org_unit.administration
        if self.administration_id:
            assert self.administration is not None  # the id is set
            self.municipality = self.administration.municipality
        if self.role == Role.SOCIAL_WORKER and not self.org_unit_id:
            errors["org_unit"] = _("A social worker belongs to an organisation unit.")
        if self.role == Role.PLACEMENT_OFFICER and not self.placement_team:
            errors["placement_team"] = _("A placement officer belongs to a placement team.")
        if self.role != Role.PLACEMENT_OFFICER and self.placement_team:
            errors["placement_team"] = _("Only placement officers have a placement team.")
        if self.role and self.role != Role.ADMINISTRATOR and not self.municipality_id:
            errors["municipality"] = _("Everyone but administrators belongs to a municipality.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMINISTRATOR or self.is_superuser


class SavedFilter(models.Model):
    """A user's named filter of one list (the list's URL name and its query string), and
    which one, if any, the list opens with (spink.accounts.saved_filters)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_filters")
    list_name = models.CharField(_("list"), max_length=60)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=1000, blank=True)
    is_default = models.BooleanField(_("opens the list"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [
            # Also the index of "this user's filters of this list".
            models.UniqueConstraint(
                fields=["user", "list_name", "name"], name="saved_filter_unique_name"
            ),
            models.UniqueConstraint(
                fields=["user", "list_name"],
                condition=models.Q(is_default=True),
                name="saved_filter_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name
