"""Reads of matching and recommending for the request page and the comparison page: the
ranked candidates with what the officer has shortlisted, and the shortlist side by side.

Writes (shortlist_add/remove, send_recommendation_set) are in placements.services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from placements import matching, rules, unit_facts
from placements.models import PlacementRequest, Recommendation, ShortlistEntry
from spink.accounts.models import User


@dataclass
class Row:
    candidate: matching.Candidate
    shortlisted: bool = False
    recommended: bool = False


@dataclass
class MatchingSection:
    rows: list[Row]
    shortlist: list[ShortlistEntry]
    excluded: list[matching.Candidate] | None
    excluded_count: int
    limited: bool
    can_shortlist: bool


def matching_section(
    request: PlacementRequest,
    user: User,
    actions: set[str],
    show_all: bool = False,
    show_excluded: bool = False,
    recommendations: Iterable[Recommendation] | None = None,
) -> MatchingSection | None:
    """The request page's matching: ranked candidates (the best MATCH_LIMIT unless all are
    asked for), each marked shortlisted or recommended (`recommendations`: the request's,
    when the page has read them already); None when `user` is not shown it."""
    if not rules.shows_matching(user, request, actions):
        return None
    limit = None if show_all else matching.MATCH_LIMIT
    result = matching.match(request, limit=limit, with_excluded=show_excluded)
    shortlist = list(request.shortlist.select_related("offering__unit"))
    shortlisted = {entry.offering_id for entry in shortlist}
    if recommendations is None:
        recommendations = request.recommendations.only("offering_id")
    recommended = {recommendation.offering_id for recommendation in recommendations}
    rows = [
        Row(
            candidate,
            shortlisted=candidate.offering.pk in shortlisted,
            recommended=candidate.offering.pk in recommended,
        )
        for candidate in result.candidates
    ]
    return MatchingSection(
        rows=rows,
        shortlist=shortlist,
        excluded=result.excluded,
        excluded_count=result.excluded_count,
        limited=limit is not None and len(rows) >= limit,
        can_shortlist="shortlist" in actions,
    )


@dataclass
class ComparedUnit:
    candidate: matching.Candidate
    price_flag: str | None


def shortlisted_candidates(request: PlacementRequest) -> tuple[list[matching.Candidate], int]:
    """The shortlisted units that still match, in the order they were picked, and how many
    no longer do (stopped, unpublished, out of places): shown, so nothing vanishes
    unexplained."""
    order = list(request.shortlist.values_list("offering_id", flat=True))
    if not order:
        return [], 0
    by_offering = {
        candidate.offering.pk: candidate
        for candidate in matching.rank_candidates(request, offering_ids=order)
    }
    kept = [by_offering[pk] for pk in order if pk in by_offering]
    return kept, len(order) - len(kept)


def compare(
    candidates: list[matching.Candidate],
) -> tuple[list[ComparedUnit], list[tuple[str, list[str]]]]:
    """The shortlist side by side: each unit with its price flag, and the rows of facts other
    apps add (unit_facts: a label and a text per unit). A fixed number of queries for any
    shortlist."""
    median = matching.framework_median_price(candidates[0].offering.service) if candidates else None
    compared = [ComparedUnit(candidate, _flag(candidate, median)) for candidate in candidates]
    unit_ids = [candidate.unit.pk for candidate in candidates]
    fact_rows = [
        (str(label), [texts.get(unit_id, "") for unit_id in unit_ids])
        for label, texts in unit_facts.facts_for(unit_ids)
    ]
    return compared, fact_rows


def _flag(candidate: matching.Candidate, median: Decimal | None) -> str | None:
    flag = matching.price_flag_against(candidate.offering, candidate.daily_price, median)
    return str(flag) if flag else None
