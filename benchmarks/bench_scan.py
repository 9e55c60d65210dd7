"""Benchmark of the whole ``trustwatch scan`` process on generated accounts, against the previous implementation.

For each size the generated inventory is written as snapshot files (`snapshot_files`) and scanned by a fresh
``trustwatch scan`` process: wall time and peak RSS (the child's own VmHWM, which it prints on exit). The
baseline is the implementation before the compiled analysis (commit ``BASELINE``, extracted with ``git archive`` into a
temporary directory) scanning the same files in the same run; a baseline run is stopped after
``--baseline-timeout`` seconds and reported as "more than". Also measured: ``can_assume`` decisions per second
on the specification's vectors, single process.

    python -m benchmarks.bench_scan [--sizes 2000x500,10000x2000] [--baseline-timeout 120]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.generate import generate_inventory
from benchmarks.snapshot_files import write_snapshots

BASELINE = "734d2e4"  # the last commit before the compiled analysis
ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "data" / "vectors" / "assume-role-vectors.json"
PEAK = "peak-rss-kb"
# The child reports its own high-water mark: a forked child's ru_maxrss starts from its parent's (Linux keeps the
# old address space's peak across exec), so a large benchmark process would be counted in every scan.
SCAN = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    f"        if line.startswith('VmHWM:'): print('{PEAK}', line.split()[1], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "from chalicelib.cli import main\n"
    "sys.exit(main())\n"
)


def run_scan(command: list[str], files: list[Path], env: dict[str, str], timeout: float) -> tuple[float, int] | None:
    """(seconds, peak RSS in MB) of one scan process, or None when it ran past ``timeout``."""
    args = [*command, "scan", *(a for f in files for a in ("--snapshot", str(f))), "--format", "json"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        # Run outside the project so that only PYTHONPATH (or the installed package) decides which code runs.
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=files[0].parent)
        try:
            status = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None
        elapsed = time.perf_counter() - start
        errors.seek(0)
        text = errors.read().decode(errors="replace")
    peaks = [line.split()[1] for line in text.splitlines() if line.startswith(PEAK)]
    if status not in (0, 1) or not peaks:
        raise RuntimeError(f"scan failed: {text}")
    return elapsed, int(peaks[-1]) // 1024


def baseline_tree(directory: Path) -> Path | None:
    """The baseline's chalicelib, extracted from git; None outside a git checkout."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", BASELINE, "chalicelib"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        return None
    directory.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)
    return directory


def decisions_per_second(seconds: float = 2.0) -> float:
    from chalicelib.iam.cases import request_from_case  # noqa: PLC0415
    from chalicelib.iam.evaluate import can_assume  # noqa: PLC0415

    requests = [request_from_case(case)[1] for case in json.loads(VECTORS.read_text())]
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for request in requests:
            can_assume(request)
        count += len(requests)
    return count / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_scan", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="2000x500,10000x2000", help="ROLESxUSERS,...")
    parser.add_argument("--baseline-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes.split(",")]
    current = [sys.executable, "-c", SCAN]
    print("scan: whole `trustwatch scan` process over generated snapshot files (4 accounts + organization file)")
    print(
        f"  {'roles':>6} {'users':>6} {'time':>8} {'peak RSS':>9}   baseline ({BASELINE}) time / RSS   ratio",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        old = baseline_tree(Path(tmp) / "baseline")
        times = []
        for roles, users in sizes:
            files = write_snapshots(generate_inventory(roles, users), Path(tmp) / f"{roles}x{users}")
            # The project's own code, whichever trustwatch the environment has installed.
            now = run_scan(current, files, {**os.environ, "PYTHONPATH": str(ROOT)}, timeout=3600)
            assert now is not None
            times.append(now[0])
            line = f"  {roles:>6} {users:>6} {now[0]:>7.2f}s {now[1]:>6} MB"
            if old is None:
                print(line + "   (no git checkout: baseline not measured)")
                continue
            env = {**os.environ, "PYTHONPATH": str(old)}
            before = run_scan(current, files, env, timeout=args.baseline_timeout)
            if before is None:
                print(
                    line
                    + f"   > {args.baseline_timeout:.0f} s (stopped)            > {args.baseline_timeout / now[0]:.0f}x"
                )
            else:
                print(line + f"   {before[0]:>7.2f}s / {before[1]:>4} MB          {before[0] / now[0]:.1f}x")
        if len(times) > 1:
            growth = sizes[-1][0] / sizes[0][0]
            print(f"  growth: {growth:.0f}x the roles took {times[-1] / times[0]:.1f}x the time")
    print(f"can_assume: {decisions_per_second():,.0f} decisions per second on the specification's vectors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
