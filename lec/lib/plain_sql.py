"""Model instances from one plain, parameterised SQL query, for the few reads every request makes (issue
16): the ORM's Python side (building the queryset, compiling it, instantiating through its iterator) cost more
CPU than PostgreSQL spent on these small queries. The instances are the ORM's own: every concrete column, the
converters the ORM applies to values from the database (aware datetimes and booleans on SQLite, JSON), made with
`Model.from_db`. Used by the dashboards (confirmations.selectors) and the API token lookup
(accounts.services.token_user)."""

from django.db import connection, connections, router
from django.db.models import Model

_SELECTS: dict = {}


def columns(parts: tuple[tuple[type[Model], str], ...]):
    """(the SELECT list, [(model, attnames)], [(column index, converter)]) for these (model, table alias) pairs,
    built once per process and database vendor."""
    key = (connection.vendor, parts)
    if key not in _SELECTS:
        q = connection.ops.quote_name
        cols, models, converters = [], [], []
        for model, alias in parts:
            fields = model._meta.concrete_fields
            models.append((model, [f.attname for f in fields]))
            for field in fields:
                col = field.get_col(alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((len(cols), _converter(found, col)))
                cols.append(f"{alias}.{q(field.column)}")
        _SELECTS[key] = (", ".join(cols), models, converters)
    return _SELECTS[key]


def _converter(functions, col):
    def convert(value):
        for function in functions:
            value = function(value, col, connection)
        return value

    return convert


def converter(model: type[Model], attname: str, alias: str = "t"):
    """The ORM's conversion of one field's values from the database (e.g. MAX(created_at) on SQLite is text)."""
    col = model._meta.get_field(attname).get_col(alias)
    found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    return _converter(found, col) if found else None


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def select(parts: tuple[tuple[type[Model], str], ...], rest: str, params: list) -> list[tuple]:
    """[(an instance of each part's model, or None where a LEFT JOIN found nothing)] of
    `SELECT <every column of every part> <rest>`; `rest` is FROM … WHERE … with %s placeholders for `params`."""
    cols, models, converters = columns(parts)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {cols} {rest}", params)
        found = cur.fetchall()
    out = []
    for row in found:
        row = list(row)
        for i, convert in converters:
            row[i] = convert(row[i])
        objs, i = [], 0
        for model, names in models:
            values = row[i : i + len(names)]
            i += len(names)
            objs.append(None if values[0] is None else model.from_db(connection.alias, names, values))
        out.append(tuple(objs))
    return out


def rows(sql: str, params: list, *, model: type[Model]) -> list[tuple]:
    """The rows of a plain query, on the database the router reads `model` from (a small read every page makes,
    where tuples are all the caller needs)."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def datetime_param(value):
    """A datetime as the ORM passes it to this database (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


def date_param(value):
    return connection.ops.adapt_datefield_value(value)
