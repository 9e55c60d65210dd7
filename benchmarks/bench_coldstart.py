"""Benchmark of a simulated Lambda cold start: the deployment zip as Chalice writes it versus with bytecode.

The package of the dev stage (``dist/dev``, built by ``deploy.package`` unless it is newer than its inputs) is
unzipped twice: as Chalice wrote it (its ``__pycache__`` entries left out: Chalice ships none) and as shipped,
with the unchecked-hash ``.pyc`` files ``deploy.package`` adds. A third directory holds boto3 and botocore (and
their dependencies) copied from this venv, standing in for ``/var/runtime``. Each run is a fresh
``python -S`` with only those two on ``sys.path`` and ``PYTHONDONTWRITEBYTECODE=1`` (``/var/task`` is
read-only: nothing compiled during a cold start survives it); it times ``import app``. The two variants run
interleaved, after one warm-up each. The first handler invocation is not measured.

    python -m benchmarks.bench_coldstart [--rounds 15] [--rebuild]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from deploy.package import PROJECT, PYCACHE, local_runtime, package

STAGE = "dev"
DIST = PROJECT / "dist" / STAGE
# What the Lambda Python runtime provides in /var/runtime, and the zip therefore leaves out.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
INPUTS = ("app.py", "chalicelib", "requirements.txt", ".chalice", "deploy/package.py", "deploy/merge-template.json")

CHILD = """
import sys, time
sys.path[:0] = [{task!r}, {runtime!r}]
started = time.perf_counter()
import app
print(time.perf_counter() - started, len(sys.modules))
"""


@dataclass
class Variant:
    name: str
    task: Path
    files: int
    pycs: int
    imports: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    modules: set[int] = field(default_factory=set)

    def row(self) -> str:
        ms = [1000 * statistics.median(self.imports), 1000 * min(self.imports)]
        wall = [1000 * statistics.median(self.walls), 1000 * min(self.walls)]
        return (
            f"  {self.name:<34} {self.files:>6} {self.pycs:>6}"
            f" {ms[0]:>10.0f} ms {ms[1]:>6.0f} ms {wall[0]:>10.0f} ms {wall[1]:>6.0f} ms"
        )


def deployment_zip(*, rebuild: bool) -> Path:
    """``dist/dev/deployment.zip``, packaged again when missing, older than its inputs, or asked to."""
    archive = DIST / "deployment.zip"
    if not rebuild and archive.exists() and archive.stat().st_mtime > _newest_input():
        return archive
    print(f"  packaging {STAGE} into {DIST} (deploy.package) ...", flush=True)
    built = package(STAGE, DIST)
    print(f"  {built.bytecode.summary()}", flush=True)
    return built.zip


def _newest_input() -> float:
    files: list[Path] = []
    for name in INPUTS:
        path = PROJECT / name
        files += path.rglob("*") if path.is_dir() else [path]
    # .chalice/deployments is Chalice's own cache, written by every packaging.
    return max(p.stat().st_mtime for p in files if p.is_file() and "deployments" not in p.parts)


def unzip(archive: Path, into: Path, *, bytecode: bool) -> tuple[int, int]:
    """Unzip ``archive``, without its ``__pycache__`` entries unless ``bytecode``; return (files, pycs)."""
    with zipfile.ZipFile(archive) as source:
        names = [n for n in source.namelist() if bytecode or f"{PYCACHE}/" not in f"/{n}"]
        source.extractall(into, members=names)
    return len(names), sum(1 for n in names if n.endswith(".pyc"))


def lambda_runtime_dir(into: Path) -> Path:
    """boto3, botocore and their dependencies from this venv, with the bytecode pip compiled for them."""
    site = Path(sysconfig.get_paths()["purelib"])
    into.mkdir()
    for name in RUNTIME_PACKAGES:
        source = site / name
        if source.is_dir():
            shutil.copytree(source, into / name)  # copy2 keeps the mtimes, so pip's .pyc stay valid
        elif source.exists():
            shutil.copy2(source, into / name)
    return into


def run_once(variant: Variant, runtime: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(variant.task),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": f"trustwatch-{STAGE}-on_iam_change",
        "POWERTOOLS_SERVICE_NAME": "trustwatch",
    }
    code = CHILD.format(task=str(variant.task), runtime=str(runtime))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-S", "-c", code], env=env, cwd=variant.task, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"import app failed in {variant.task}:\n{done.stderr}")
    seconds, modules = done.stdout.split()
    variant.imports.append(float(seconds))
    variant.walls.append(wall)
    variant.modules.add(int(modules))


def report(plain: Variant, compiled: Variant, rounds: int) -> list[str]:
    def ratio(values: str) -> str:
        a, b = getattr(plain, values), getattr(compiled, values)
        return f"{statistics.median(a) / statistics.median(b):.1f}x median, {min(a) / min(b):.1f}x min"

    return [
        f"coldstart: fresh `python -S` importing app from the unzipped {STAGE} package, read-only style"
        f" (PYTHONDONTWRITEBYTECODE=1), {rounds} rounds interleaved",
        f"  {'package':<34} {'files':>6} {'.pyc':>6} {'import app':>13} {'min':>9} {'process':>13} {'min':>9}",
        plain.row(),
        compiled.row(),
        f"  same modules imported: {'yes' if plain.modules == compiled.modules else 'NO'}"
        f" ({', '.join(map(str, sorted(plain.modules | compiled.modules)))})",
        f"  without / with bytecode: import app {ratio('imports')}; whole process {ratio('walls')}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_coldstart", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="package dist/dev again even if it is up to date")
    args = parser.parse_args(argv)
    archive = deployment_zip(rebuild=args.rebuild)
    with tempfile.TemporaryDirectory(prefix="trustwatch-coldstart-") as scratch:
        root = Path(scratch)
        variants = []
        for name, bytecode in (("as Chalice writes it (no .pyc)", False), ("as shipped (unchecked-hash .pyc)", True)):
            task = root / ("task-pyc" if bytecode else "task")
            files, pycs = unzip(archive, task, bytecode=bytecode)
            variants.append(Variant(name, task, files, pycs))
        plain, compiled = variants
        if compiled.pycs == 0:
            print(f"coldstart: {archive} holds no bytecode (this interpreter is {local_runtime()}); nothing to compare")
            return 0
        runtime = lambda_runtime_dir(root / "runtime")
        for variant in variants:  # warm-up: the page cache, not the measurement
            run_once(variant, runtime)
            variant.imports.clear()
            variant.walls.clear()
        for index in range(args.rounds):
            for variant in variants if index % 2 == 0 else variants[::-1]:
                run_once(variant, runtime)
    print("\n".join(report(plain, compiled, args.rounds)), flush=True)
    return 0 if plain.modules == compiled.modules else 1


if __name__ == "__main__":
    raise SystemExit(main())
