"""The provider register (utförarregister): providers, units, agreements, prices, permits.

Status rules (publication workflow, stops, matchability) live in `providers/rules.py` and are
applied only through `providers/services.py`; nothing else writes a unit's status.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from providers.validators import normalise_org_number, validate_org_number
from spink.accounts.models import coordinate_constraints, latitude_field, longitude_field


class LegalForm(models.TextChoices):
    COMPANY = "aktiebolag", _("Limited company (aktiebolag)")
    ECONOMIC_ASSOCIATION = "ekonomisk_forening", _("Economic association")
    NON_PROFIT_ASSOCIATION = "ideell_forening", _("Non-profit association")
    FOUNDATION = "stiftelse", _("Foundation")
    MUNICIPAL = "kommunal", _("Municipal own operation")
    OTHER = "annan", _("Other")


class CorporateGroup(models.Model):
    """A koncern: several providers owned by the same group."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("corporate group")
        verbose_name_plural = _("corporate groups")

    def __str__(self) -> str:
        return self.name


class Provider(models.Model):
    """A provider organisation (utförare), identified by its organisation number."""

    legal_name = models.CharField(_("legal name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"),
        max_length=11,
        unique=True,
        validators=[validate_org_number],
        help_text=_("Ten digits, written NNNNNN-NNNN."),
    )
    legal_form = models.CharField(_("legal form"), max_length=32, choices=LegalForm.choices)
    corporate_group = models.ForeignKey(
        CorporateGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="providers",
        verbose_name=_("corporate group"),
    )
    municipality = models.ForeignKey(
        "accounts.Municipality",
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("municipality"),
        help_text=_("The municipality of the region it serves in."),
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        indexes = [
            GinIndex(name="provider_name_trgm", fields=["legal_name"], opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.org_number})"

    def save(self, *args, **kwargs):
        self.org_number = normalise_org_number(self.org_number)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # Normalise first, so that uniqueness is checked on the canonical spelling.
        self.org_number = normalise_org_number(self.org_number)
        super().clean_fields(exclude)


# The fields people edit, per record: the edit forms (Meta.fields), the API's writable fields,
# the columns the agreement importer may update and the version a form or an If-Match carries
# (spink.concurrency) all use these lists. Status and stops are never in them: they change only
# through providers.services.change_status and the stop services.
PROVIDER_EDITABLE_FIELDS: tuple[str, ...] = (
    "legal_name",
    "org_number",
    "legal_form",
    "corporate_group",
    "municipality",
    "contact_name",
    "email",
    "phone",
    "street_address",
    "postal_code",
    "city",
)


class ProviderPerson(models.Model):
    """A board member, signatory or manager of a provider, for a period (control checks)."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair of the board")
        BOARD_MEMBER = "board_member", _("Board member")
        DEPUTY = "deputy", _("Deputy board member")
        SIGNATORY = "signatory", _("Authorised signatory")
        CEO = "ceo", _("Managing director")
        MANAGER = "manager", _("Operations manager")

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="people", verbose_name=_("provider")
    )
    name = models.CharField(_("name"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["provider", "role", "name"]
        verbose_name = _("board member or signatory")
        verbose_name_plural = _("board members and signatories")
        indexes = [models.Index(fields=["name", "birth_date"], name="provider_person_identity")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="provider_person_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UNDER_CONTROL = "under_control", _("Under control")
    PUBLISHED = "published", _("Published")
    PAUSED = "paused", _("Paused")
    REMOVED = "removed", _("Removed")


class Gender(models.TextChoices):
    ANY = "any", _("Any gender")
    FEMALE = "female", _("Women / girls")
    MALE = "male", _("Men / boys")


class Unit(models.Model):
    """A unit (verksamhet) of a provider: the place a person is placed in."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="units", verbose_name=_("provider")
    )
    name = models.CharField(_("name"), max_length=200)
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    municipality = models.ForeignKey(
        "accounts.Municipality",
        on_delete=models.PROTECT,
        related_name="provider_units",
        verbose_name=_("municipality"),
    )
    # Where the unit is; without them, matching measures from its municipality's centre.
    latitude = latitude_field(_("Leave empty to use the municipality's centre."))
    longitude = longitude_field(_("Leave empty to use the municipality's centre."))
    description = models.TextField(_("description"), blank=True)
    # Target group
    age_min = models.PositiveSmallIntegerField(_("youngest age"), default=0)
    age_max = models.PositiveSmallIntegerField(_("oldest age"), default=120)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.ANY
    )
    co_morbidity = models.BooleanField(_("takes co-morbidity"), default=False)
    protected_housing_suitable = models.BooleanField(
        _("suitable for protected identity"), default=False
    )
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible"), default=False)
    pets_allowed = models.BooleanField(_("pets allowed"), default=False)
    takes_eu_assignments = models.BooleanField(
        _("takes EU mass-flight assignments"),
        default=False,
        help_text=_("Housing for persons assigned under the EU mass-flight directive."),
    )
    languages = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        verbose_name=_("languages"),
        help_text=_("Languages spoken with residents, comma-separated."),
    )
    places = models.PositiveSmallIntegerField(_("number of places"))
    available_places = models.PositiveSmallIntegerField(
        _("places available now"),
        null=True,
        blank=True,
        help_text=_("Leave empty when not known."),
    )
    # When the free places were last reported (set by providers.services when they change):
    # matching shows how fresh the number is.
    available_places_reported_at = models.DateTimeField(
        _("free places reported"), null=True, blank=True, editable=False
    )
    # Status: written only by providers.services
    status = models.CharField(
        _("publication status"),
        max_length=20,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        editable=False,
    )
    recommendation_stop = models.BooleanField(
        _("recommendation stop"), default=False, editable=False
    )
    order_stop = models.BooleanField(_("temporary order stop"), default=False, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [
            models.Index(fields=["name", "id"], name="unit_name"),  # the register's order
            models.Index(fields=["status", "name"], name="unit_status_name"),
            models.Index(fields=["municipality", "status"], name="unit_municipality_status"),
            GinIndex(name="unit_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_max__gte=models.F("age_min")), name="unit_age_span"
            ),
            models.CheckConstraint(
                condition=Q(available_places__isnull=True)
                | Q(available_places__lte=models.F("places")),
                name="unit_available_within_places",
            ),
            *coordinate_constraints("unit"),
        ]

    def __str__(self) -> str:
        return self.name


# A unit's details (see PROVIDER_EDITABLE_FIELDS). The provider is not among them: a unit is
# created for a provider and stays with it.
UNIT_EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "street_address",
    "postal_code",
    "city",
    "municipality",
    "latitude",
    "longitude",
    "description",
    "age_min",
    "age_max",
    "gender",
    "co_morbidity",
    "protected_housing_suitable",
    "wheelchair_accessible",
    "pets_allowed",
    "takes_eu_assignments",
    "languages",
    "places",
    "available_places",
)
# Written only by the workflow's services, never by an edit.
UNIT_WORKFLOW_FIELDS: tuple[str, ...] = ("status", "recommendation_stop", "order_stop")


class UnitService(models.Model):
    """A service a unit offers, in one operating form (the matrix decides which are valid)."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("unit")
    )
    service = models.ForeignKey(
        "categories.Service",
        on_delete=models.PROTECT,
        related_name="offerings",
        verbose_name=_("service"),
    )
    subcategories = models.ManyToManyField(
        "categories.Subcategory",
        blank=True,
        related_name="offerings",
        verbose_name=_("subcategories"),
    )
    operating_form = models.ForeignKey(
        "categories.OperatingForm",
        on_delete=models.PROTECT,
        related_name="offerings",
        verbose_name=_("operating form"),
    )
    history = HistoricalRecords(m2m_fields=[subcategories])

    class Meta:
        ordering = ["unit", "service", "operating_form__preference_rank"]
        verbose_name = _("unit service")
        verbose_name_plural = _("unit services")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "service", "operating_form"], name="uniq_unit_service_form"
            )
        ]
        indexes = [
            models.Index(fields=["service", "operating_form"], name="offering_service_form"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} – {self.service} ({self.operating_form})"


class FrameworkAgreement(models.Model):
    """A framework agreement (ramavtal) owned by procurement."""

    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(_("reference number"), max_length=50, unique=True)
    area = models.ForeignKey(
        "categories.CategoryArea",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("agreement area"),
    )
    services = models.ManyToManyField(
        "categories.Service", related_name="agreements", verbose_name=_("sub-areas (services)")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    is_open = models.BooleanField(
        _("open agreement"),
        default=False,
        help_text=_("Admits new providers on 1 January and 1 July."),
    )
    units = models.ManyToManyField(
        Unit, through="AgreementUnit", related_name="agreements", verbose_name=_("units")
    )
    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["-valid_from", "name"]
        verbose_name = _("framework agreement")
        verbose_name_plural = _("framework agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="agreement_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"

    ADMISSION_DAYS = ((1, 1), (7, 1))

    def next_admission_date(self, after: dt.date) -> dt.date | None:
        """Next 1 January or 1 July on or after `after` within the period; None if closed."""
        if not self.is_open:
            return None
        for year in (after.year, after.year + 1):
            for month, day in self.ADMISSION_DAYS:
                candidate = dt.date(year, month, day)
                if candidate >= after and self.valid_from <= candidate <= self.valid_to:
                    return candidate
        return None


AGREEMENT_EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "reference",
    "area",
    "services",
    "valid_from",
    "valid_to",
    "is_open",
)


class AgreementUnit(models.Model):
    agreement = models.ForeignKey(FrameworkAgreement, on_delete=models.CASCADE)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="agreement_links")
    admitted_on = models.DateField(_("admitted on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit on agreement")
        verbose_name_plural = _("units on agreement")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "unit"], name="uniq_agreement_unit")
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.agreement}"


class PriceSource(models.TextChoices):
    FRAMEWORK = "framework", _("Framework price list")
    DIRECT_OFFER = "direct_offer", _("Direct-procurement offer")
    OWN_COST = "own_cost", _("Own operation cost")


class Price(models.Model):
    """A daily price for one unit service over a period; periods of one offering never overlap."""

    offering = models.ForeignKey(
        UnitService,
        on_delete=models.CASCADE,
        related_name="prices",
        verbose_name=_("unit service"),
    )
    daily_price = models.DecimalField(_("daily price (SEK)"), max_digits=9, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=PriceSource.choices)
    agreement = models.ForeignKey(
        FrameworkAgreement,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prices",
        verbose_name=_("framework agreement"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["offering", "-valid_from"]
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.CheckConstraint(condition=Q(daily_price__gt=0), name="price_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="price_period",
            ),
            ExclusionConstraint(
                name="price_periods_do_not_overlap",
                expressions=[
                    ("offering", RangeOperators.EQUAL),
                    (
                        models.Func(
                            "valid_from",
                            Coalesce("valid_to", models.Value(dt.date(9999, 12, 31))),
                            models.Value("[]"),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.daily_price} kr ({self.valid_from}–{self.valid_to or ''})"

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Permit(models.Model):
    """An IVO permit covering a unit's activity for some services and a target group."""

    permit_number = models.CharField(_("permit number"), max_length=40, unique=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="permits", verbose_name=_("unit")
    )
    services = models.ManyToManyField(
        "categories.Service", related_name="permits", verbose_name=_("services covered")
    )
    target_group = models.CharField(_("target group"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_reason = models.TextField(_("reason for the revocation"), blank=True)
    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["unit", "-valid_from"]
        verbose_name = _("IVO permit")
        verbose_name_plural = _("IVO permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="permit_period",
            )
        ]

    def __str__(self) -> str:
        return self.permit_number

    def is_valid_on(self, day: dt.date) -> bool:
        return (
            self.valid_from <= day
            and (self.valid_to is None or day <= self.valid_to)
            and (self.revoked_on is None or day < self.revoked_on)
        )


class UnitEvent(models.Model):
    """An audited change of a unit's publication status or stops: who, when and why.

    Rows are only ever added (by providers.services); the admin shows them read-only.
    """

    class Kind(models.TextChoices):
        STATUS = "status", _("Status change")
        RECOMMENDATION_STOP = "recommendation_stop", _("Recommendation stop")
        RECOMMENDATION_STOP_LIFTED = "recommendation_stop_lifted", _("Recommendation stop lifted")
        ORDER_STOP = "order_stop", _("Temporary order stop")
        ORDER_STOP_LIFTED = "order_stop_lifted", _("Order stop lifted")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    from_status = models.CharField(
        _("from"), max_length=20, choices=PublicationStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=20, choices=PublicationStatus.choices, blank=True
    )
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # Set when a job (e.g. an IVO revocation signal) made the change instead of a person.
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("unit status event")
        verbose_name_plural = _("unit status events")

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()} {self.created_at:%Y-%m-%d}"
