"""`pip install` of the built wheel into a fresh venv gives a working `trustwatch` (issue 8 #1).

Not editable, not the dev venv: the wheel is built from a copy of the sources, installed with its declared
dependencies only (pip's configured index), and run from a directory that holds no source, so a missing
dependency or a module that only exists in the checkout fails here. Without the ``[replay]`` extra no
Lambda library is installed: the common commands prove they do not import one, and replay says what to install.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAP = ROOT / "chalicelib" / "data" / "snapshots"
SEED_001 = str(SNAP / "seed-001" / "123456789012.json")
GRANTED = [str(p) for p in sorted((SNAP / "seed-000-granted").glob("*.json"))]
CHAIN = [str(p) for p in sorted((ROOT / "tests" / "data" / "snapshots" / "chain").glob("*.json"))]
ROLE_A, ROLE_C = "arn:aws:iam::123456789012:role/RoleA", "arn:aws:iam::123456789012:role/RoleC"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "chalicelib", source / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(source))
    (built,) = (work / "dist").glob("trustwatch-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel installed (no extra); returns its bin directory."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home / "venv", with_pip=True)
    bin_dir = home / "venv" / "bin"
    pip(str(bin_dir / "python"), "install", str(wheel))
    return bin_dir


def pip(python: str, *args: str) -> None:
    done = subprocess.run([python, "-m", "pip", "--quiet", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


def trustwatch(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "trustwatch"), *args], capture_output=True, text=True, check=False, cwd=cwd)


def test_the_wheel_ships_trustwatch_not_chalicelib(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "trustwatch",
        f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info",
    }
    assert "trustwatch/data/snapshots/seed-001/123456789012.json" in names


def test_the_common_commands_run_from_the_installed_wheel(fresh: Path, tmp_path: Path) -> None:
    version = trustwatch(fresh, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == "trustwatch 0.1.0"
    scan = trustwatch(fresh, "scan", "--snapshot", SEED_001, "--format", "json", cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    assert json.loads(scan.stdout)["summary"]["roles"] == 5
    decision = trustwatch(fresh, "can-assume", "--snapshot", SEED_001, "--principal", ROLE_A, "--role", ROLE_C,
                          cwd=tmp_path)  # fmt: skip
    assert decision.returncode == 0 and decision.stdout.startswith("ALLOW"), decision.stderr
    who = trustwatch(fresh, "who-can-assume", "--snapshot", *CHAIN, "--role", "arn:aws:iam::333333333333:role/deep",
                     "--format", "json", cwd=tmp_path)  # fmt: skip
    assert who.returncode == 0 and json.loads(who.stdout)["principals"], who.stderr
    check = trustwatch(fresh, "check-trust", str(ROOT / "tests/data/examples/public-trust.json"),
                       "--role-arn", "arn:aws:iam::111111111111:role/deploy", cwd=tmp_path)  # fmt: skip
    assert check.returncode == 0 and "public-trust" in check.stdout, check.stderr
    rules = trustwatch(fresh, "rules", cwd=tmp_path)
    assert rules.returncode == 0 and "untrusted-account" in rules.stdout
    seeds = trustwatch(fresh, "demo", "--seeds-only", cwd=tmp_path)
    assert seeds.returncode == 0 and "7 of 7 decisions agree" in seeds.stdout


def test_no_chalicelib_and_no_lambda_library_is_installed(fresh: Path, tmp_path: Path) -> None:
    names = ("chalicelib", "aws_lambda_powertools", "chalice")
    probe = f"import importlib.util as u; print([m for m in {names!r} if u.find_spec(m)])"
    done = subprocess.run(
        [str(fresh / "python"), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.strip() == "[]"


def test_commands_that_need_more_say_what_to_install(fresh: Path, tmp_path: Path) -> None:
    event = str(ROOT / "events" / "sts-assume-role-untrusted-account.json")
    replay = trustwatch(fresh, "replay", event, cwd=tmp_path)
    assert replay.returncode == 2 and replay.stdout == ""
    assert replay.stderr.count("\n") == 1 and "pip install 'trustwatch[replay]'" in replay.stderr
    demo = trustwatch(fresh, "demo", cwd=tmp_path)
    assert demo.returncode == 2 and "make demo" in demo.stderr and "Traceback" not in demo.stderr


def test_the_replay_extra_makes_replay_work(fresh: Path, wheel: Path, tmp_path: Path) -> None:
    pip(str(fresh / "python"), "install", f"{wheel}[replay]")
    event = str(ROOT / "events" / "sts-assume-role-untrusted-account.json")
    replay = trustwatch(fresh, "replay", event, *(a for p in GRANTED for a in ("--snapshot", p)), "--format", "json",
                        cwd=tmp_path)  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert [f["rule_id"] for f in json.loads(replay.stdout)["findings"]] == ["unexpected-assumption"]


def test_the_wheel_logs_under_its_own_name(fresh: Path, wheel: Path, tmp_path: Path) -> None:
    # GIVEN the wheel with the Lambda libraries (the [replay] extra)  WHEN its observability module is imported
    pip(str(fresh / "python"), "install", f"{wheel}[replay]")
    probe = (
        "import logging, trustwatch.observability as o; "
        "print(sorted(n for n in logging.root.manager.loggerDict if n.split('.')[0] == 'chalicelib')); "
        "logging.getLogger('trustwatch.notify.slack').warning('probe')"
    )
    done = subprocess.run([str(fresh / "python"), "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                          check=True, env={"PATH": str(fresh), "AWS_DEFAULT_REGION": "us-east-1"})  # fmt: skip
    first, *rest = done.stdout.splitlines()
    # THEN no logger of another app's `chalicelib` package is created or configured...
    assert first == "[]"
    # ...and the package's own loggers come out as the service's JSON lines
    record = json.loads(next(line for line in [*rest, *done.stderr.splitlines()] if "probe" in line))
    assert record["service"] == "trustwatch" and record["message"] == "probe"
