"""factory_boy factories shared by the whole suite."""

import factory
from factory.django import DjangoModelFactory

from spink.accounts.models import Administration, Municipality, OrgUnit, PlacementTeam, Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Testkommun {n}")
    # SCB codes are four characters; cycling keeps long test runs within them.
    code = factory.Sequence(lambda n: f"{9000 + n % 1000}")


class AdministrationFactory(DjangoModelFactory):
    class Meta:
        model = Administration

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Socialförvaltning {n}")


class OrgUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit

    administration = factory.SubFactory(AdministrationFactory)
    name = factory.Sequence(lambda n: f"Enhet {n}")


class UserFactory(DjangoModelFactory):
    """A user of any role; pass org_unit/administration/municipality to place them."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    role = Role.MANAGER
    municipality = factory.LazyAttribute(
        lambda u: u.administration.municipality if u.administration else None
    )
    administration = factory.LazyAttribute(
        lambda u: u.org_unit.administration if u.org_unit else None
    )
    org_unit = None
    placement_team = ""

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


def social_worker(org_unit: OrgUnit | None = None, **kwargs) -> User:
    return UserFactory(role=Role.SOCIAL_WORKER, org_unit=org_unit or OrgUnitFactory(), **kwargs)


def placement_officer(municipality: Municipality, team=PlacementTeam.CHILDREN_YOUTH, **kwargs):
    return UserFactory(
        role=Role.PLACEMENT_OFFICER, municipality=municipality, placement_team=team, **kwargs
    )


def user_with_role(role: Role, municipality: Municipality | None = None, **kwargs) -> User:
    if role == Role.SOCIAL_WORKER:
        return social_worker(**kwargs)
    if role == Role.PLACEMENT_OFFICER:
        return placement_officer(municipality or MunicipalityFactory(), **kwargs)
    if role == Role.ADMINISTRATOR:
        return UserFactory(role=role, is_staff=True, is_superuser=True, **kwargs)
    return UserFactory(role=role, municipality=municipality or MunicipalityFactory(), **kwargs)


# --- Provider register -------------------------------------------------------------------------

import datetime as dt  # noqa: E402
import itertools  # noqa: E402

from categories.models import OperatingForm, Service  # noqa: E402
from providers.models import (  # noqa: E402
    LegalForm,
    Permit,
    Price,
    PriceSource,
    Provider,
    PublicationStatus,
    Unit,
    UnitService,
)
from spink.luhn import luhn_check_digit  # noqa: E402

_org_numbers = itertools.count(5560000000 // 10)


def next_org_number() -> str:
    """A fresh, Luhn-valid organisation number (NNNNNN-NNNN)."""
    body = str(next(_org_numbers))
    digits = body + luhn_check_digit(body)
    return f"{digits[:6]}-{digits[6:]}"


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    legal_name = factory.Sequence(lambda n: f"Omsorg {n} AB")
    org_number = factory.LazyFunction(next_org_number)
    legal_form = LegalForm.COMPANY
    municipality = factory.SubFactory(MunicipalityFactory)


class UnitFactory(DjangoModelFactory):
    """A unit; pass status=... to place it directly in a state (tests of later steps)."""

    class Meta:
        model = Unit

    provider = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Verksamhet {n}")
    municipality = factory.LazyAttribute(lambda u: u.provider.municipality)
    city = "Göteborg"
    places = 8
    age_min = 0
    age_max = 120
    status = PublicationStatus.DRAFT


def offering(unit: Unit, service_code: str, form_code: str, price=None, **kwargs) -> UnitService:
    """Give a unit a service in an operating form (no matrix check: that is the services' job)."""
    result = UnitService.objects.create(
        unit=unit,
        service=Service.objects.get(code=service_code),
        operating_form=OperatingForm.objects.get(code=form_code),
    )
    if price is not None:
        Price.objects.create(
            offering=result,
            daily_price=price,
            valid_from=dt.date(2020, 1, 1),
            source=PriceSource.FRAMEWORK if form_code == "framework" else PriceSource.DIRECT_OFFER,
        )
    return result


def permit(unit: Unit, *service_codes: str, **kwargs) -> Permit:
    kwargs.setdefault("valid_from", dt.date(2020, 1, 1))
    result = Permit.objects.create(
        unit=unit,
        permit_number=kwargs.pop("permit_number", f"IVO-{unit.pk}-{len(service_codes)}"),
        **kwargs,
    )
    result.services.set(Service.objects.filter(code__in=service_codes))
    return result


def published_unit(
    service_code: str = "socialt-boende", form_code: str = "direct", **kwargs
) -> Unit:
    """A matchable unit: published, offering one service, with a permit when one is needed."""
    price = kwargs.pop("price", 1500)
    unit = UnitFactory(status=PublicationStatus.PUBLISHED, **kwargs)
    offering(unit, service_code, form_code, price=price)
    if Service.objects.get(code=service_code).requires_permit and form_code != "own":
        permit(unit, service_code)
    return unit


# --- Placement requests ---------------------------------------------------------------------

VALID_PERSONAL_NUMBER = "20120315-2382"  # a girl born 15 March 2012 (test number, Luhn-valid)


def request_fields(**overrides):
    """Fields for services.create_request: a planned HVB request for a 14-year-old girl."""
    fields = {
        "service": Service.objects.get(code="hvb"),
        "urgency": "planned",
        "wanted_start": dt.date.today() + dt.timedelta(days=14),
        "person_identity_number": VALID_PERSONAL_NUMBER,
        "person_first_name": "Alva",
        "person_last_name": "Testsson",
        "needs": "Behöver struktur och skolgång.",
    }
    fields.update(overrides)
    return fields


def submitted_request(worker=None, **overrides):
    from placements import services as placement_services

    worker = worker or social_worker()
    request = placement_services.create_request(actor=worker, **request_fields(**overrides))
    # The factories make many requests for one person: as if the author confirmed each.
    return placement_services.submit(actor=worker, request=request.pk, confirm_duplicate=True)
