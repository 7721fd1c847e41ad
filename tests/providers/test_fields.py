"""One editable-field list per record: the edit form, the API and the importer agree with it."""

import pytest

from providers import importer
from providers.api.serializers import (
    AgreementSerializer,
    ProviderSerializer,
    UnitChangeSerializer,
    UnitSerializer,
    UnitWriteSerializer,
)
from providers.api.views import AgreementViewSet, ProviderViewSet, UnitViewSet
from providers.forms import AgreementForm, ProviderForm, UnitForm
from providers.models import (
    AGREEMENT_EDITABLE_FIELDS,
    PROVIDER_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    UNIT_WORKFLOW_FIELDS,
)
from tests.factories import UnitFactory

CONTROL_FIELDS = {"seen", "form_key"}  # spink.forms.VersionedFormMixin's own


def form_fields(form_class) -> set[str]:
    return set(form_class().fields) - CONTROL_FIELDS


def writable(serializer) -> set[str]:
    return {name for name, field in serializer.fields.items() if not field.read_only}


def test_the_lists_leave_out_status_and_stops():
    assert not set(UNIT_WORKFLOW_FIELDS) & set(UNIT_EDITABLE_FIELDS)
    assert "provider" not in UNIT_EDITABLE_FIELDS  # a unit stays with its provider


@pytest.mark.django_db
def test_provider_form_api_and_versions_use_the_providers_list():
    assert form_fields(ProviderForm) == set(PROVIDER_EDITABLE_FIELDS)
    assert writable(ProviderSerializer()) == set(PROVIDER_EDITABLE_FIELDS)
    assert tuple(ProviderViewSet.version_fields) == PROVIDER_EDITABLE_FIELDS
    assert tuple(ProviderForm._meta.fields) == PROVIDER_EDITABLE_FIELDS


@pytest.mark.django_db
def test_unit_form_api_and_versions_use_the_units_list():
    assert form_fields(UnitForm) == set(UNIT_EDITABLE_FIELDS)
    # A new unit also names its provider; a change cannot move it to another.
    assert writable(UnitWriteSerializer()) == {"provider", *UNIT_EDITABLE_FIELDS}
    assert writable(UnitChangeSerializer(UnitFactory())) == set(UNIT_EDITABLE_FIELDS)
    # What the API answers shows every editable field, and status and stops read only.
    shown = set(UnitSerializer().fields)
    assert shown >= {*UNIT_EDITABLE_FIELDS, *UNIT_WORKFLOW_FIELDS}
    assert tuple(UnitViewSet.version_fields) == UNIT_EDITABLE_FIELDS


@pytest.mark.django_db
def test_agreement_form_api_and_versions_use_the_agreements_list():
    assert form_fields(AgreementForm) == set(AGREEMENT_EDITABLE_FIELDS)
    assert writable(AgreementSerializer()) == set(AGREEMENT_EDITABLE_FIELDS)
    assert tuple(AgreementViewSet.version_fields) == AGREEMENT_EDITABLE_FIELDS


def test_the_importer_updates_only_fields_of_the_units_list():
    columns = {column.name for column in importer.COLUMNS}
    updated = set(importer.UNIT_DETAIL_FIELDS)
    assert updated <= set(UNIT_EDITABLE_FIELDS)
    # Every editable field the file has a column for is updated from it, but the key.
    assert updated == (columns & set(UNIT_EDITABLE_FIELDS)) - set(importer.UNIT_KEY_FIELDS)
    # A new provider is created from the file with fields of the providers' list only.
    assert set(importer.PROVIDER_CREATE_FIELDS) <= set(PROVIDER_EDITABLE_FIELDS)
