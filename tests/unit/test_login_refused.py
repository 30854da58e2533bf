"""Which failed connections `run` does not retry: the server answered and refused this login,
and will answer the same whenever asked. Messages as libpq words them (first line)."""

from __future__ import annotations

import pytest

from adventure_elt.oltp.server import LOGIN_REFUSED

SOCKET = 'connection to server on socket "/tmp/pg/.s.PGSQL.5432" failed: '
TCP = 'connection to server at "db" (10.0.0.5), port 5432 failed: '


@pytest.mark.parametrize(
    "message",
    [
        SOCKET + 'FATAL:  database "no_such_database" does not exist',
        SOCKET + 'FATAL:  role "etl" does not exist',
        TCP + 'FATAL:  password authentication failed for user "etl"',
        TCP + 'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "etl", database "aw"',
        TCP + "fe_sendauth: no password supplied",
    ],
)
def test_a_refused_login_is_not_worth_retrying(message: str) -> None:
    assert LOGIN_REFUSED.search(message)


@pytest.mark.parametrize(
    "message",
    [
        TCP + "Connection refused",
        TCP + "FATAL:  the database system is starting up",
        TCP + "FATAL:  the database system is shutting down",
        TCP + "FATAL:  sorry, too many clients already",
        TCP + "FATAL:  remaining connection slots are reserved for roles with SUPERUSER",
        SOCKET + "No such file or directory",
        TCP + 'root certificate file "/root/.postgresql/root.crt" does not exist',
        "timeout expired",
    ],
)
def test_a_server_that_may_answer_later_is_retried(message: str) -> None:
    assert not LOGIN_REFUSED.search(message)
