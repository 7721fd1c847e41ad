"""Reads of basic monitoring for the pages and the API (the team sees every signal and run;
who may look at all is checked by the callers with Capability.RUN_FOLLOWUP)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from followup.models import MonitoringRun, MonitoringSource, Signal

OPEN_STATUSES = (Signal.Status.NEW, Signal.Status.IN_PROGRESS)


def signals() -> QuerySet[Signal]:
    return Signal.objects.select_related("provider", "unit", "source", "handled_by").order_by(
        "-created_at", "-pk"
    )


def inbox(kind: str = "", severity: str = "", status: str = "") -> QuerySet[Signal]:
    """The team's inbox, newest first. Status "" means open (new or being handled); "all"
    means every signal."""
    queryset = signals()
    if kind:
        queryset = queryset.filter(kind=kind)
    if severity:
        queryset = queryset.filter(severity=severity)
    if status == "all":
        return queryset
    if status:
        return queryset.filter(status=status)
    return queryset.filter(status__in=OPEN_STATUSES)


def signal(pk: int) -> Signal:
    return signals().select_related("run", "taken_by", "closed_by").get(pk=pk)


def runs() -> QuerySet[MonitoringRun]:
    return MonitoringRun.objects.select_related("source", "triggered_by").order_by(
        "-started_at", "-pk"
    )


def run(pk: int) -> MonitoringRun:
    return (
        runs()
        .prefetch_related(
            Prefetch("signals", queryset=Signal.objects.select_related("provider", "unit"))
        )
        .get(pk=pk)
    )


def sources_with_last_run() -> list[MonitoringSource]:
    """Every source with `last_run` (None if never run): two queries, whatever the number."""
    sources: list[Any] = list(MonitoringSource.objects.order_by("kind", "name"))  # + last_run
    last_runs = {
        run.source_id: run
        for run in MonitoringRun.objects.filter(source__in=sources)
        .order_by("source_id", "-started_at", "-pk")
        .distinct("source_id")
    }
    for source in sources:
        source.last_run = last_runs.get(source.pk)
    return sources
