"""Statement analysis, in-process (warehouse/server/statements.py): where an INSERT's data begins
decides the route before chDB sees the request.
"""

from __future__ import annotations

import pytest


def test_insert_head_detection() -> None:
    from warehouse.server.sql import NeedMore
    from warehouse.server.statements import find_insert_head

    text = "INSERT INTO t (`format`, \"values\") SETTINGS a = 'FORMAT x' FORMAT Native\n\x01\x02"
    head = find_insert_head(text, final=False)
    assert head is not None and head.fmt == "Native"
    assert head.sql == "INSERT INTO t (`format`, \"values\") SETTINGS a = 'FORMAT x'"
    assert text[head.data_start :] == "\x01\x02"
    head = find_insert_head("insert into db.format VALUES (1, 'a;b')", final=True)
    assert head is not None and head.fmt == "Values" and head.sql == "insert into db.format"
    assert find_insert_head("INSERT INTO t SELECT 1 FORMAT CSV", final=True) is None
    assert find_insert_head("/* INSERT */ SELECT 1", final=False) is None
    with pytest.raises(NeedMore):  # the format name may go on in the next chunk
        find_insert_head("INSERT INTO t FORMAT Nat", final=False)
    with pytest.raises(NeedMore):  # inside a comment
        find_insert_head("INSERT INTO t /* FORMAT CSV", final=False)
