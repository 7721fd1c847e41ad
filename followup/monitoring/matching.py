"""Tie monitoring records to the register: permit number → unit, organisation number →
provider, else the exact (normalised) name of a unit or provider; free text (media) by the
legal names and organisation numbers of providers that appear in it.

A run's records are looked up together, in a handful of queries whatever their number.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Func, Value
from django.db.models.functions import Lower, Replace, Trim, Upper
from django.utils.translation import gettext as _

from followup.monitoring.records import Record
from providers.models import Permit, Provider, Unit
from providers.validators import normalise_org_number

ORG_NUMBER_IN_TEXT = re.compile(r"\b(?:16)?\d{6}-?\d{4}\b")


@dataclass(frozen=True)
class Target:
    """What a record is about: a provider, and the unit (and permit) when known."""

    provider: Provider
    unit: Unit | None = None
    permit: Permit | None = None


class Unmatched(Exception):
    """No target for a record: reported as a skipped record, with the reason."""


def permit_key(number: str) -> str:
    return "".join(number.split()).upper()


def name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).split()).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def _name_key_expression(field: str):
    # The database side of name_key: whitespace collapsed, trimmed, lower case.
    collapsed = Func(F(field), Value(r"\s+"), Value(" "), Value("g"), function="regexp_replace")
    return Lower(Trim(collapsed))


class Matcher:
    def __init__(self, records: list[Record]):
        permit_keys = {permit_key(r.permit_number) for r in records if r.permit_number}
        org_numbers = {r.org_number for r in records if r.org_number}
        names = {name_key(r.name) for r in records if r.name}
        self.permits: dict[str, Permit] = {}
        if permit_keys:
            permits = (
                Permit.objects.select_related("unit__provider")
                .annotate(key=Replace(Upper("permit_number"), Value(" "), Value("")))
                .filter(key__in=permit_keys)
            )
            self.permits = {permit.key: permit for permit in permits}
        self.providers_by_org: dict[str, Provider] = {}
        if org_numbers:
            self.providers_by_org = {
                provider.org_number: provider
                for provider in Provider.objects.filter(org_number__in=org_numbers)
            }
        self.units_by_name: dict[str, list[Unit]] = defaultdict(list)
        self.providers_by_name: dict[str, list[Provider]] = defaultdict(list)
        if names:
            for unit in (
                Unit.objects.select_related("provider")
                .annotate(key=_name_key_expression("name"))
                .filter(key__in=names)
            ):
                self.units_by_name[unit.key].append(unit)
            for provider in Provider.objects.annotate(
                key=_name_key_expression("legal_name")
            ).filter(key__in=names):
                self.providers_by_name[provider.key].append(provider)
        self._scanner: NameScanner | None = None

    def match(self, record: Record) -> list[Target]:
        """The targets of a record (several only for free text); Unmatched says why none."""
        if not (record.permit_number or record.org_number or record.name):
            text = record.text or f"{record.title}\n{record.details}"
            providers = self.scanner.scan(text)
            if not providers:
                raise Unmatched(
                    _("No provider's legal name or organisation number appears in the text.")
                )
            return [Target(provider) for provider in providers]
        if record.permit_number:
            permit = self.permits.get(permit_key(record.permit_number))
            if permit is not None:
                return [Target(permit.unit.provider, permit.unit, permit)]
        if record.org_number:
            provider = self.providers_by_org.get(normalise_org_number(record.org_number))
            if provider is not None:
                return [Target(provider)]
        if record.name:
            key = name_key(record.name)
            units, providers = self.units_by_name.get(key, []), self.providers_by_name.get(key, [])
            if len(units) > 1 or (not units and len(providers) > 1):
                raise Unmatched(
                    _("The name “%(name)s” fits several units or providers.")
                    % {"name": record.name}
                )
            if units:
                return [Target(units[0].provider, units[0])]
            if providers:
                return [Target(providers[0])]
        tried = [
            label % {"value": value}
            for label, value in (
                (_("permit number %(value)s"), record.permit_number),
                (_("organisation number %(value)s"), record.org_number),
                (_("name “%(value)s”"), record.name),
            )
            if value
        ]
        raise Unmatched(
            _("Nothing in the register matches the record (%(tried)s).")
            % {"tried": ", ".join(tried)}
        )

    @property
    def scanner(self) -> NameScanner:
        if self._scanner is None:
            self._scanner = NameScanner()
        return self._scanner


class NameScanner:
    """Finds providers named in free text: their legal name as whole words, or their
    organisation number. Loaded once per run (one query)."""

    def __init__(self):
        self.by_org: dict[str, Provider] = {}
        self.by_words: dict[tuple[str, ...], list[Provider]] = defaultdict(list)
        for provider in Provider.objects.only("pk", "legal_name", "org_number"):
            self.by_org[provider.org_number] = provider
            words = tuple(_words(provider.legal_name))
            if words:
                self.by_words[words].append(provider)
        self.longest = max((len(words) for words in self.by_words), default=0)

    def scan(self, text: str) -> list[Provider]:
        found: dict[int, Provider] = {}
        for match in ORG_NUMBER_IN_TEXT.finditer(text):
            provider = self.by_org.get(normalise_org_number(match.group()))
            if provider is not None:
                found[provider.pk] = provider
        words = _words(text)
        for start in range(len(words)):
            for length in range(1, min(self.longest, len(words) - start) + 1):
                for provider in self.by_words.get(tuple(words[start : start + length]), ()):
                    found[provider.pk] = provider
        return sorted(found.values(), key=lambda provider: provider.pk)
