"""Order counts and deletions in a test's source database, for the tests that reload raw."""

from __future__ import annotations

from adventure_elt.oltp import server
from adventure_elt.settings import Settings


def source_order_counts(settings: Settings) -> tuple[int, int]:
    """(orders, order lines) in the source."""
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "select (select count(*) from sales.salesorderheader),"
            " (select count(*) from sales.salesorderdetail)"
        )
        row = cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def delete_first_orders(settings: Settings, count: int) -> None:
    """Delete the `count` first orders and their lines: a change only a full refresh (or delete
    detection) carries over, cursor replication cannot see it."""
    with server.connect(settings) as conn, conn.cursor() as cur:
        cur.execute(
            "create temp table gone as select salesorderid from sales.salesorderheader"
            " order by salesorderid limit %s;"
            " delete from sales.salesorderdetail where salesorderid in (select * from gone);"
            " delete from sales.salesorderheader where salesorderid in (select * from gone)",
            (count,),
        )
