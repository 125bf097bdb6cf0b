"""Poison isolation by bisection, on a fake insert function (pure logic, no engines)."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from processor.sink import Outage, insert_isolating_poison


def make_insert(bad: set[int], stored: list[int]):
    def insert(rows):
        if any(r[0] in bad for r in rows):
            err = DatabaseError("Code: 469. DB::Exception: Constraint violated")
            err.code = 469
            raise err
        stored.extend(r[0] for r in rows)

    return insert


def test_poison_is_isolated_and_neighbours_stored():
    stored: list[int] = []
    rows = [[i] for i in range(10)]
    result = insert_isolating_poison(make_insert({3, 7}, stored), rows)
    assert sorted(stored) == [0, 1, 2, 4, 5, 6, 8, 9]
    assert [i for i, _ in result.poison] == [3, 7]
    assert "469" in result.poison[0][1]


def test_network_error_is_an_outage():
    def insert(rows):
        raise OperationalError("connection refused")

    with pytest.raises(Outage):
        insert_isolating_poison(insert, [[1], [2]])


def test_error_that_fails_every_row_is_an_outage():
    stored: list[int] = []
    with pytest.raises(Outage):
        insert_isolating_poison(make_insert({0, 1, 2, 3}, stored), [[0], [1], [2], [3]])


def test_disk_full_code_is_an_outage():
    def insert(rows):
        err = DatabaseError("Code: 243. DB::Exception: Not enough space")
        err.code = 243
        raise err

    with pytest.raises(Outage):
        insert_isolating_poison(insert, [[1]])
