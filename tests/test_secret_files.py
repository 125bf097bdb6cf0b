"""Demo secrets are private from the first byte: mode 600 files in a 700 directory, whatever the
umask, and never readable by others even between creating and finishing the file."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.settings import Settings

_watch: dict[str, Any] = {"dir": None, "busy": False, "seen": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """At every audited operation (open, link, chmod, rename…), note any file in the watched
    directory that others could read. Audit hooks cannot be removed, so this one is idle unless
    a test sets a directory."""
    directory = _watch["dir"]
    if directory is None or _watch["busy"]:
        return
    _watch["busy"] = True  # scandir raises an audit event of its own
    try:
        if directory.is_dir():
            for entry in os.scandir(directory):
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISREG(mode) and mode & 0o077:
                    _watch["seen"].append((event, entry.name, oct(mode & 0o777)))
    finally:
        _watch["busy"] = False


sys.addaudithook(_audit)


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    _watch["dir"], _watch["seen"] = data / "secrets", []
    try:
        yield data
    finally:
        _watch["dir"] = None


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_demo_secret_is_600_from_its_creation(watched: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        settings = Settings(NJIA_DATA_DIR=watched, NJIA_MODE="demo")
        first = settings.demo_secret("cookie_key")
        again = settings.demo_secret("cookie_key")
    finally:
        os.umask(old)
    path = watched / "secrets" / "cookie_key"
    assert first == again and len(first) >= 32
    assert _watch["seen"] == [], f"readable by others while being written: {_watch['seen']}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["cookie_key"]  # no temp file left


def test_production_never_generates_secrets(tmp_path: Path) -> None:
    settings = Settings(NJIA_DATA_DIR=tmp_path, NJIA_MODE="production")
    with pytest.raises(RuntimeError, match="production"):
        settings.demo_secret("secret_key")
    assert not (tmp_path / "secrets").exists()
