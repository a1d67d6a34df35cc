"""Files on disk, behind one small interface (later: object storage).

Files get random names (never a name a user typed) in sharded folders under
``app.config["UPLOAD_DIR"]``; size and SHA-256 are computed while writing, in chunks, so
memory stays flat however large the upload. The database row that points to a file is
the caller's business; this module only knows keys.

Files and the unit of work: a file written during a transaction that then rolls back
would be an orphan, and a file deleted before its row's deletion commits would leave a
row pointing nowhere. ``save`` therefore registers the new key with the session (removed
again on rollback) and ``delete_after_commit`` defers a deletion until the commit.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

__all__ = ["StoredFile", "FileTooLarge", "save", "open", "delete", "delete_after_commit", "exists"]

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{40}$")
_NEW_KEYS = "etjanst_storage_new"
_DELETE_KEYS = "etjanst_storage_delete"


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class FileTooLarge(Exception):
    """The stream was longer than the limit; nothing was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"file larger than {limit} bytes")
        self.limit = limit


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _path(key: str) -> Path:
    # Only our own keys map to paths: nothing a user typed can reach the file system.
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(f"not a storage key: {key!r}")
    return _root() / key[:2] / key[2:4] / key


def save(data: bytes | BinaryIO, *, max_bytes: int | None = None) -> StoredFile:
    """Write bytes or a binary stream under a new random key; FileTooLarge past max_bytes."""
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data
    key = secrets.token_hex(20)
    target = _path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise FileTooLarge(max_bytes)
                digest.update(chunk)
                out.write(chunk)
        os.replace(tmp_name, target)
    except BaseException:
        _unlink_quietly(Path(tmp_name))
        raise
    _remember(_NEW_KEYS, key)
    return StoredFile(key=key, size=size, sha256=digest.hexdigest())


def open(key: str) -> BinaryIO:  # noqa: A001 - the storage interface's own verb
    """Open a stored file for reading (binary); FileNotFoundError if it is gone."""
    return builtins.open(_path(key), "rb")


def exists(key: str) -> bool:
    """Say whether a file is stored under this key."""
    return _path(key).is_file()


def delete(key: str) -> None:
    """Remove a stored file now; a missing file is not an error."""
    _unlink_quietly(_path(key))


def delete_after_commit(key: str) -> None:
    """Remove a stored file once the current transaction commits (kept if it rolls back)."""
    _path(key)  # refuse a bad key now, not after the commit
    if not _remember(_DELETE_KEYS, key):
        delete(key)  # no unit of work around us: nothing to wait for


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # the row is gone either way; an orphan file is found by a sweep
        log.exception("could not delete stored file %s", path.name)


def _session() -> Session | None:
    from shared.db import db

    try:
        return db.session()
    except RuntimeError:  # outside an application context
        return None


def _remember(slot: str, key: str) -> bool:
    session = _session()
    if session is None:
        return False
    if not session.in_transaction():
        session.begin()  # what autobegin would do: the file now belongs to this unit of work
    session.info.setdefault(slot, []).append(key)
    return True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction decides
    session.info.pop(_NEW_KEYS, None)
    for key in session.info.pop(_DELETE_KEYS, ()):
        delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested or previous_transaction.parent is not None:
        return
    session.info.pop(_DELETE_KEYS, None)
    for key in session.info.pop(_NEW_KEYS, ()):
        delete(key)
