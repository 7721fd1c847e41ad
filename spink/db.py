"""Database expressions Django does not ship."""

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Aggregate, FloatField, Func, Model, QuerySet
from psycopg.types.json import Jsonb


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont: Percentile("field", fraction=0.5) is the median."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=float(fraction), **extra)


EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


class GreatCircleKm(Func):
    """Kilometres along the earth's surface between two points given in decimal degrees:
    GreatCircleKm(latitude1, longitude1, latitude2, longitude2), the haversine formula on a
    sphere of EARTH_RADIUS_KM (within 0.5 % of the ellipsoid). NULL when any is NULL.

    Each argument appears several times in the SQL: a subquery as an argument is best an
    uncorrelated one, which PostgreSQL computes once per query (an InitPlan), not per use."""

    arity = 4
    output_field = FloatField()
    # {a1}, {o1}, {a2}, {o2}: the points' latitudes and longitudes, in radians. least() keeps
    # asin's argument within 1 (rounding, near-antipodal points) but would turn a NULL into 1:
    # hence the CASE.
    formula = (
        "(CASE WHEN {a1} IS NULL OR {o1} IS NULL OR {a2} IS NULL OR {o2} IS NULL THEN NULL "
        f"ELSE 2 * {EARTH_RADIUS_KM!r} * asin(least(1.0, sqrt("
        "power(sin(({a2} - {a1}) / 2), 2) "
        "+ cos({a1}) * cos({a2}) * power(sin(({o2} - {o1}) / 2), 2)))) END)"
    )

    def as_sql(
        self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context
    ) -> tuple[str, tuple[Any, ...]]:
        points: dict[str, tuple[str, tuple[Any, ...]]] = {}
        names = ("a1", "o1", "a2", "o2")
        for name, expression in zip(names, self.get_source_expressions(), strict=True):
            sql, params = compiler.compile(expression)
            points[name] = (f"radians(({sql})::double precision)", tuple(params))
        ordered: list[Any] = []  # each use's params, in the order of the SQL

        def point(match: re.Match[str]) -> str:
            sql, params = points[match.group(1)]
            ordered.extend(params)
            return sql

        return re.sub(r"\{(a1|o1|a2|o2)\}", point, self.formula), tuple(ordered)


# --- Bulk loading for the scale generator ------------------------------------------------------


def reserve_ids(model: type[Model], count: int) -> range:
    """Take `count` consecutive ids from the model's id sequence, so rows written by COPY can
    reference each other before they exist (foreign keys are deferred to commit)."""
    if count <= 0:
        return range(0)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        last = cursor.fetchone()[0]
    return range(last - count + 1, last + 1)


def copy_rows(model: type[Model], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows (dicts by attribute name, e.g. `service_id`) with PostgreSQL COPY, ten times
    faster than bulk_create at a million rows. Missing fields take the model default; no
    model save() or signals run, so callers keep the model's rules themselves. Rows without
    an id get one from the table's sequence."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    pk = model._meta.pk.attname
    fields = [f for f in model._meta.concrete_fields if f.attname != pk or pk in first]
    defaults = {}
    for f in fields:
        if f.has_default():
            defaults[f.attname] = f.get_default()
        elif f.null:
            defaults[f.attname] = None
        elif f.empty_strings_allowed:
            defaults[f.attname] = ""
    # Concrete fields always have a column.
    columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in itertools.chain([first], rows):
                values = []
                for f in fields:
                    value = row[f.attname] if f.attname in row else defaults[f.attname]
                    if f.attname in json_fields and value is not None:
                        value = Jsonb(value)
                    values.append(value)
                copy.write_row(values)
                written += 1
    return written


def count_distinct(queryset: QuerySet, key: str, by: Sequence[str] = ()) -> dict[tuple, int]:
    """COUNT(DISTINCT key) of the queryset's rows per combination of `by`, as a DISTINCT in a
    subquery: PostgreSQL hashes that, where COUNT(DISTINCT …) would sort every key (twice as
    slow for a year's 80,000 person keys). Returns {tuple of `by` values: count}."""
    inner = queryset.order_by().values(*by, key).distinct()
    sql, params = inner.query.sql_with_params()
    columns = [f"c{index}" for index in range(len(by))]
    select = ", ".join([*columns, "count(*)"])
    aliases = ", ".join([*columns, "k"])
    group = f" GROUP BY {', '.join(columns)}" if columns else ""
    # Only Django's compiled SQL and generated aliases go into the text; values are params.
    outer = f"SELECT {select} FROM ({sql}) AS t({aliases}){group}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
