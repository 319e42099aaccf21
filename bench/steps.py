"""What the benchmarks' step processes share (each step is `python -c STEP` with the repo on sys.path)."""


def peak_mb() -> float:
    """This process's own peak memory (VmHWM). Not ru_maxrss: Linux carries the parent's over fork and exec, so
    every step would report the peak of the benchmark that started it."""
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmHWM:")).split()[1]) / 1024
