"""Random SIGKILLs of `retail-sync ingest`, each followed by a re-run: does it finish, identically?

Run: python -m benchmarks.kill_resume --kills 10 [--seed 1] [--days 1|2]

Serves the tests' tiny hand-written world (two shops, two business dates; as Plus shops, so the
paged reads wait less on the throttle) from both simulators on loopback, ingests it once
undisturbed, then for each kill: a fresh home, an ingest killed with SIGKILL at a random moment
(every other kill waits until a step holds a `shopify_api` pool slot, so kills inside a slot are
always among them), then the same ingest again with a time limit. Prints, per kill, where it hit
and whether the re-run finished with a lake byte-identical to the undisturbed one; then the
totals. The machine is stated with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg

from benchmarks.measure import machine_description
from retail_sync.app.demo import serve_sandbox
from retail_sync.cli import INSTANCE_READY_MARKER
from retail_sync.sandbox.world import World
from retail_sync.settings import Paths

TINY_WORLD = Path(__file__).resolve().parent.parent / "retail_sync_tests/sandbox/worlds/tiny"
DATES = ("2026-10-31", "2026-11-01")
RERUN_LIMIT_SECONDS = 300


def _ingest(
    home: Path, environment: dict[str, str], dates: tuple[str, str]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "retail_sync.cli", "ingest", "--home", str(home),
         "--start", dates[0], "--end", dates[1]],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _lake_digest(home: Path) -> dict[str, str]:
    lake = home / "lake"
    return {
        str(path.relative_to(lake)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(lake.rglob("*.parquet"))
    }


def _holds_shopify_slot(home: Path) -> bool:
    # Opening the instance while the ingest creates it would race that creation (two alembic
    # heads): only look once it is ready.
    if not (home / "dagster_home" / INSTANCE_READY_MARKER).exists():
        return False
    try:
        instance = dg.DagsterInstance.from_config(str(home / "dagster_home"))
        with instance:
            info = instance.event_log_storage.get_concurrency_info("shopify_api")
            return bool(info.claimed_slots)
    except Exception:  # the instance may be half-created at this moment
        return False


def _fresh_home(base: Path, name: str, shops_file: Path) -> Path:
    home = base / name
    home.mkdir()
    shutil.copy(shops_file, home / "shops.json")
    return home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--days", type=int, choices=(1, 2), default=2, help="business dates ingested (1 or 2)"
    )
    args = parser.parse_args()
    dates = (DATES[-args.days], DATES[-1])
    chooser = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    served = Paths(base / "served")
    served.home.mkdir()
    shutil.copytree(TINY_WORLD, served.world)
    # Plus shops: the paged reads are throttle-bound, and the kills are about what runs, not
    # about waiting for the bucket.
    shops_path = served.world / "shopify" / "shops.json"
    shops = json.loads(shops_path.read_text(encoding="utf-8"))
    shops_path.write_text(json.dumps([shop | {"plan": "PLUS"} for shop in shops]), encoding="utf-8")
    print(f"machine: {machine_description()}")
    with serve_sandbox(served, World.open(served.world)) as endpoints:
        environment = dict(os.environ) | {"RETAIL_SYNC_SHOPIFY_URL": endpoints.shopify_url}
        environment.pop("DAGSTER_HOME", None)
        reference_home = _fresh_home(base, "undisturbed", served.shops_file)
        started = time.monotonic()
        reference = _ingest(reference_home, environment, dates)
        _, stderr = reference.communicate()
        undisturbed_seconds = time.monotonic() - started
        if reference.returncode != 0:
            sys.exit(f"the undisturbed ingest failed: {stderr.decode()[-2000:]}")
        expected = _lake_digest(reference_home)
        print(f"undisturbed ingest: {undisturbed_seconds:.1f} s, {len(expected)} Parquet files")
        identical = in_slot = 0
        for kill in range(1, args.kills + 1):
            home = _fresh_home(base, f"kill-{kill}", served.shops_file)
            victim = _ingest(home, environment, dates)
            started = time.monotonic()
            wait_for_slot = kill % 2 == 0
            if wait_for_slot:
                while not _holds_shopify_slot(home) and victim.poll() is None:
                    time.sleep(0.05)
                time.sleep(chooser.uniform(0.0, 1.0))
            else:
                time.sleep(chooser.uniform(0.5, undisturbed_seconds * 0.9))
            holding = _holds_shopify_slot(home)
            at = time.monotonic() - started
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
            else:
                _, victim_stderr = victim.communicate()
                print(
                    f"kill {kill:2}: the ingest ended by itself ({victim.returncode}) first: "
                    + victim_stderr.decode(errors="replace").strip()[-500:]
                )
            victim.wait()
            in_slot += holding
            rerun_started = time.monotonic()
            rerun = _ingest(home, environment, dates)
            try:
                _, stderr = rerun.communicate(timeout=RERUN_LIMIT_SECONDS)
                outcome = "finished" if rerun.returncode == 0 else f"failed ({rerun.returncode})"
            except subprocess.TimeoutExpired:
                rerun.kill()
                rerun.wait()
                outcome = f"hung (killed after {RERUN_LIMIT_SECONDS} s)"
            if outcome.startswith("failed"):
                outcome += ": " + stderr.decode(errors="replace").strip().splitlines()[-1][:300]
            same = outcome == "finished" and _lake_digest(home) == expected
            identical += same
            print(
                f"kill {kill:2}: at {at:5.1f} s, {'inside' if holding else 'outside'} a "
                f"shopify_api slot; re-run {outcome} in {time.monotonic() - rerun_started:5.1f} s; "
                f"lake {'identical' if same else 'DIFFERENT'}"
            )
    print(
        f"{identical}/{args.kills} re-runs finished with a lake identical to the undisturbed "
        f"run; {in_slot} kills hit inside a shopify_api slot (tiny world, 2 Plus shops x "
        f"{args.days} date(s))"
    )
    shutil.rmtree(base, ignore_errors=True)
    if identical != args.kills:
        sys.exit(1)


if __name__ == "__main__":
    main()
