"""First start: when no warehouse is published, generate the built-in synthetic data for the whole company
and build it, reporting progress. A file lock makes concurrent starts wait for one preparation. After an
upgrade whose warehouse has new tables, the synthetic warehouse is rebuilt from its exports the same way."""
from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path

from dashboard import config, warehouse

Progress = Callable[[float, str], None]
SYNTHETIC = "exports/synthetic"
GENERATE_SHARE = 0.55  # of the progress bar; the build takes the rest


def prepare(progress: Progress, data_dir: Path | None = None, customers: int | None = None) -> warehouse.Published:
    """Publish the synthetic warehouse unless one is published already. Generation takes the first
    GENERATE_SHARE of the progress bar, the build the rest."""
    from dashboard import build, generate  # heavy modules, needed only on a first start

    data_dir = Path(data_dir) if data_dir else config.data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / ".first-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        published = warehouse.current(data_dir)
        if published:
            return published
        source = data_dir / SYNTHETIC
        kwargs = {"customers": customers} if customers else {}
        generate.generate(source, progress=lambda f, m: progress(GENERATE_SHARE * f, m), **kwargs)
        build.build(source, data_dir, progress=lambda f, m: progress(GENERATE_SHARE + (1 - GENERATE_SHARE) * f, m))
        return warehouse.current(data_dir)


def rebuild_synthetic(progress: Progress, data_dir: Path | None = None) -> warehouse.Published | None:
    """Rebuild the published warehouse from the built-in synthetic exports (after an upgrade that added tables):
    only when the synthetic exports are there; None otherwise (real data: the operator rebuilds it)."""
    from dashboard import build

    data_dir = Path(data_dir) if data_dir else config.data_dir()
    source = data_dir / SYNTHETIC
    if not source.is_dir():
        return None
    with open(data_dir / ".first-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        published = warehouse.current(data_dir)
        if published and warehouse.compatible(published.path):  # another session rebuilt it meanwhile
            return published
        build.build(source, data_dir, progress=progress)
        return warehouse.current(data_dir)
