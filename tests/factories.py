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
    code = factory.Sequence(lambda n: f"{9000 + n}")


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
