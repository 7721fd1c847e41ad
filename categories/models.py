"""The service taxonomy: category area → service → subcategory, and operating forms.

The rows are data (loaded by migration 0002, editable in the admin), not code: the
services Spink places and the operating forms each may be bought in change over time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class BilingualName(models.Model):
    """Swedish name (the source documents' term) and English name; shown per UI language."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name_sv = models.CharField(_("name (Swedish)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "sv").startswith("en") else self.name_sv


class OperatingForm(BilingualName):
    """Regiform. `preference_rank` orders matching: lower ranks are offered first."""

    OWN = "own"
    FRAMEWORK = "framework"
    DIRECT = "direct"
    IOP = "iop"

    preference_rank = models.PositiveSmallIntegerField(_("matching preference"), unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["preference_rank"]
        verbose_name = _("operating form")
        verbose_name_plural = _("operating forms")


class CategoryArea(BilingualName):
    """Kategoriområde: IFO Vuxen, IFO Barn och unga, Funktionsstöd."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("category area")
        verbose_name_plural = _("category areas")


class Service(BilingualName):
    """A service (insats / delkategori) that requests ask for and units offer."""

    area = models.ForeignKey(
        CategoryArea, on_delete=models.PROTECT, related_name="services", verbose_name=_("area")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    operating_forms = models.ManyToManyField(
        OperatingForm,
        related_name="services",
        blank=True,
        verbose_name=_("operating forms"),
        help_text=_("The operating forms in which this service may be bought (the matrix)."),
    )
    requires_permit = models.BooleanField(
        _("requires IVO permit"),
        default=False,
        help_text=_("Units offering this service outside own operation need a valid IVO permit."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[operating_forms])

    class Meta:
        ordering = ["area__position", "position", "code"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def allows(self, operating_form: OperatingForm | str) -> bool:
        """Whether the service × operating-form matrix admits this combination."""
        code = operating_form if isinstance(operating_form, str) else operating_form.code
        return self.operating_forms.filter(code=code).exists()


class Subcategory(BilingualName):
    """A finer subcategory of a service (e.g. HVB: akut, behandlingsuppdrag)."""

    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="subcategories",
        verbose_name=_("service"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["service__position", "position", "code"]
        verbose_name = _("subcategory")
        verbose_name_plural = _("subcategories")
