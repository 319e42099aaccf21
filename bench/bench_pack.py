"""The director pack (prints, never asserts): all ten packs of a period (nine branches and the company), as
`python -m dashboard pack --to PERIOD` makes them: seconds each and in all, and the peak memory of this process and
of the Chromium that draws the charts (its processes' PSS summed).

    DASHBOARD_DATA_DIR=data .venv/bin/python bench/bench_pack.py --to 2020-08 [--lang vi] [--out DIR]

The first pack also pays for starting Chromium (shown apart). Stage times (figures, SVG, PDF) come from one more
pack made step by step after the ten.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from dashboard import pack


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of the process's descendants (Chromium and its helpers), in MB: their shared pages
    counted once, not once per process as RSS would."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            if current != pid:
                with open(f"/proc/{current}/smaps_rollup") as fh:
                    total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) * 1024
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 2**20


class PeakWatcher(threading.Thread):
    """Samples the children's memory every 50 ms until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.done = 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, tree_pss_mb(os.getpid()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--to", default="2020-08", help="the period, YYYY-MM (default 2020-08)")
    parser.add_argument("--lang", default="vi", choices=("vi", "en"))
    parser.add_argument("--out", type=Path, default=None, help="where the PDFs go (default: a temporary folder)")
    args = parser.parse_args()
    period = dt.date.fromisoformat(args.to + "-01")
    out = args.out or Path(tempfile.mkdtemp(prefix="packs-"))
    watcher = PeakWatcher()
    watcher.start()
    with pack.open_warehouse() as source:
        t0 = time.perf_counter()
        pack.renderer()
        start = time.perf_counter() - t0
        specs = [pack.PackSpec(period, code, lang=args.lang) for code in [None, *pack.branch_names(source)]]
        rows = []
        t_all = time.perf_counter()
        for spec in specs:
            t = time.perf_counter()
            path = pack.write_pack(source, spec, out)
            rows.append((path.name, time.perf_counter() - t, path.stat().st_size))
        total = time.perf_counter() - t_all
        # one more, step by step: where a pack's time goes
        spec = specs[1]
        t = time.perf_counter()
        page = pack.content(source, spec)
        t_content = time.perf_counter() - t
        t = time.perf_counter()
        svgs = [pack.renderer().svg(fig) for fig in page.figures]
        t_svg = time.perf_counter() - t
        t = time.perf_counter()
        from weasyprint import HTML

        HTML(string=pack.html(page, svgs), base_url=str(pack.TEMPLATES)).render().write_pdf()
        t_pdf = time.perf_counter() - t
    watcher.done.set()
    watcher.join()
    pack.close_renderer()
    print(f"warehouse {source.version} ({source.path}), period {args.to}, lang {args.lang}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'file':<30}{'seconds':>9}{'KB':>8}")
    for name, seconds, size in rows:
        print(f"{name:<30}{seconds:>9.2f}{size / 1024:>8.0f}")
    print(f"{'ten packs':<30}{total:>9.2f}")
    print(f"{'starting Chromium':<30}{start:>9.2f}")
    print(f"stages of one pack: figures and text {t_content:.2f} s, four charts to SVG {t_svg:.2f} s, "
          f"page to PDF {t_pdf:.2f} s")
    print(f"peak memory: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"Chromium {watcher.peak:.0f} MB (PSS)")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
