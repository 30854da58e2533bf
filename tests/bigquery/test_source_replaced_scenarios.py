"""A source reseeded behind the sync's back, written once and run on every engine
(`engine_settings`): the replaced tables are left out with one error line naming the fix,
nothing of them is loaded, and `sync --full-refresh` makes raw equal to the source again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adventure_elt.oltp import generator, server
from adventure_elt.oltp.activity import run_activity
from adventure_elt.replicate.not_synced import TablesNotSyncedError
from adventure_elt.replicate.reconcile import reconcile
from adventure_elt.replicate.sync import sync
from adventure_elt.settings import Settings
from cli_parse import run_cli
from warehouse_sql import engine_raw_counts

pytestmark = pytest.mark.postgres

ORDERS = ("sales.salesorderheader", "sales.salesorderdetail")


@pytest.fixture
def synced(engine_settings: Settings) -> Settings:
    """A small synthetic source, synced, then changed by the shop and synced again: the cursors
    are at the time of the activity, as in a running installation."""
    settings = engine_settings
    with server.connect(settings) as conn:
        generator.seed(conn, scale=0.02, seed=1)
    sync(settings)
    run_activity(settings, orders_per_minute=600, duration=timedelta(seconds=5), wait=False)
    sync(settings)
    return settings


def unclean(settings: Settings) -> list[str]:
    return [r.table for r in reconcile(settings) if not r.clean]


def test_a_reseed_at_a_larger_scale_is_refused_until_a_full_refresh(
    synced: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = engine_raw_counts(synced)
    assert run_cli(["oltp", "seed", "--scale", "0.05", "--seed", "2"], capsys)[0] == 0

    code, out, err = run_cli(["sync"], capsys)

    assert code == 2, err
    assert "Traceback" not in err, err
    (error,) = [line for line in err.splitlines() if line.startswith("error:")]
    assert "replaced" in error and "sync --full-refresh --tables" in error
    assert "failed" in out  # the summary of what was synced is printed
    after = engine_raw_counts(synced)
    assert {t: after[t] for t in ORDERS} == {t: before[t] for t in ORDERS}  # nothing loaded
    assert set(ORDERS) <= set(unclean(synced))  # reconcile agrees that raw is behind
    # the same from Python: the error carries the summary, the orders among the failed tables
    with pytest.raises(TablesNotSyncedError) as raised:
        sync(synced)
    assert "sales.salesorderheader" in {
        t.table for t in raised.value.summary.tables if t.mode == "failed"
    }

    refreshed = run_cli(["sync", "--full-refresh"], capsys)

    assert refreshed[0] == 0, refreshed[2]
    assert unclean(synced) == []
    again = run_cli(["sync", "--json"], capsys)
    assert again[0] == 0, again[2]
