"""Paging through lists that grow for years (placement requests: ~75,000 a year region-wide).

An exact count of a municipality's ten years of requests costs more than the whole rest of
the page, and nobody pages to page 4,000: lists count up to `COUNT_CAP` rows (a LIMITed
subquery, so the cost stays flat) and say "more than 10 000" beyond it. Filters narrow a
list below the cap.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.response import Response

from spink.api import PageNumberPagination

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A Paginator whose count stops at `cap`; `count_capped` says when it did."""

    object_list: QuerySet[Any]  # pages querysets only: counting needs .count()

    def __init__(self, *args, cap: int = COUNT_CAP, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cap = cap

    @cached_property
    def _count_to_cap(self) -> int:
        # One past the cap tells "exactly 10 000" from "more than 10 000". Unordered: which
        # rows are counted up to the cap does not change how many there are, and no sort of
        # every matching row is needed first.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._count_to_cap, self.cap)

    @cached_property
    def count_capped(self) -> bool:
        return self._count_to_cap > self.cap


class CappedPageNumberPagination(PageNumberPagination):
    """Page-number pagination whose `count` stops at COUNT_CAP; `count_capped` is true when
    there are more rows than that (narrow the query with filters to see an exact count)."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data) -> Response:
        assert self.page is not None  # paginate_queryset made it
        paginator = cast(CappedPaginator, self.page.paginator)  # django_paginator_class
        return Response(
            {
                "count": paginator.count,
                "count_capped": paginator.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"True when there are more than {COUNT_CAP} results; "
            "`count` then stops at that number.",
        }
        response["required"] = [*response.get("required", []), "count_capped"]
        return response
