"""dlt's working folder of a pipeline (`<home>/dlt/<name>`): clear what kills leave behind.

dlt keeps the pipeline's state (`state.json`: the cursors), its schemas and the load packages
not yet loaded there. A killed sync can leave three kinds of debris, each of which this module
clears before dlt opens the folder:

- the temporary file of a save it did not finish (dlt writes a file under a name of 16 hex
  digits, then renames it): in `schemas/` dlt takes it for a schema and every sync fails;
- the temporary folder of an extract it did not finish (`normalize/<16 hex digits>/`, the rows
  read so far as parquet files): dlt never looks at it again, so it only grows;
- a state or schema file cut short (a full disk, a crash of the machine): dlt fails on it with a
  JSON error at every sync. The working folder is set aside (renamed, kept for inspection) and
  dlt restores the state and schemas from the copy it keeps in the warehouse
  (`_dlt_pipeline_state`), as it does on a new machine.

Two syncs of one pipeline must not run at once (dlt's rule too): one would take the other's
extract folder for debris, and dlt's steps fail on files the other moved (`FileNotFoundError`).
`one_sync_at_a_time` refuses the second.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from adventure_elt.errors import ReplicationSetupError

# dlt's temporary names: 16 hex digits (`uniq_id(8)`).
_TEMPORARY = re.compile(r"[0-9a-f]{16}")
_SAVE_FOLDERS = ("schemas", "normalize/extracted", "load/new", "load/normalized", "load/loaded")


@contextmanager
def one_sync_at_a_time(working_dir: Path) -> Iterator[None]:
    """Hold the pipeline's lock (`<working_dir>.lock`) for the block; refuse at once when another
    sync holds it. The system lets go of a killed process's lock, so none is ever stale."""
    lock = working_dir.with_name(f"{working_dir.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a")
    except OSError as exc:
        raise ReplicationSetupError(f"cannot create {lock}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReplicationSetupError(
                f"another sync (or `cdc start`'s first copy) with this home is running: it holds"
                f" {lock}; run this one when it has ended, as two at once would race in dlt's"
                " working folder"
            ) from None
        except OSError as exc:  # a file system without locks (some network mounts)
            raise ReplicationSetupError(
                f"cannot lock {lock} ({exc.strerror or exc}); put --home on a local disk"
            ) from None
        yield


def remove_kill_leftovers(working_dir: Path) -> None:
    """Delete the temporary files of unfinished saves and the folders of unfinished extracts."""
    for folder in _SAVE_FOLDERS:
        for path in (working_dir / folder).glob("*"):
            if _TEMPORARY.fullmatch(path.name) and path.is_file():
                path.unlink(missing_ok=True)
    for path in (working_dir / "normalize").glob("*"):
        if _TEMPORARY.fullmatch(path.name) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def set_aside_unreadable_state(working_dir: Path) -> Path | None:
    """Rename the working folder when its state or a schema is not readable JSON.

    Returns:
        Where the folder went (dlt then starts a fresh one and restores the state and schemas
        from the warehouse), or None when everything was readable.
    """
    files = [working_dir / "state.json", *(working_dir / "schemas").glob("*.schema.json")]
    if all(_readable_json(path) for path in files if path.is_file()):
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = working_dir.with_name(f"{working_dir.name}.unreadable-{stamp}")
    working_dir.rename(aside)
    return aside


def _readable_json(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_bytes()), dict)
    except (OSError, ValueError):
        return False
