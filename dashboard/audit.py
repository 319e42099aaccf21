"""The audit log: every build and load, who ran it, when, which files (with checksums) and the result.

`<data dir>/audit.jsonl`, one JSON object per line, append-only: written by dashboard/build.py and
dashboard/load.py for success and failure alike, kept across versions (it lives beside them, not in a
warehouse file), shown on the operations page (/data). An entry holds at least `at` (UTC, ISO), `kind`
(build | load), `user`, `source`, `ok` and `seconds`; a success names its `version`, a failure its `error`.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
from pathlib import Path

FILE = "audit.jsonl"


def user() -> str:
    """The login name of whoever runs the process; 'unknown' in a container without one."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name: say so rather than fail
        return "unknown"


def write(data_dir: Path, **entry) -> dict:
    """Append one entry (a line written whole under a lock, so two writers never interleave)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    record = {"at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat(), "user": user(),
              **{k: v for k, v in entry.items() if v is not None}}
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    fd = os.open(data_dir / FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return record


def read(data_dir: Path, limit: int | None = None) -> list[dict]:
    """Entries newest first; a line that is not JSON (a torn write from a killed process) is skipped."""
    try:
        lines = (Path(data_dir) / FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in reversed(lines):
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
        if limit is not None and len(entries) >= limit:
            break
    return entries
