"""`retail-sync`: run the demo, the Dagster UI, the sandbox generator and simulators."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from retail_sync import __version__
from retail_sync.errors import RetailSyncError
from retail_sync.sandbox.world import WorldFormatError
from retail_sync.settings import HOME_ENV, Paths

if TYPE_CHECKING:
    from dagster import DagsterInstance

PROG = "retail-sync"

# The embedded default instance: SQLite storage inside DAGSTER_HOME, no server needed.
EMBEDDED_DAGSTER_YAML = """\
# Written by retail-sync for the embedded default: SQLite storage in this folder.
# Production uses the repository's dagster.yaml (PostgreSQL); see docs/configuration.md.
telemetry:
  enabled: false
nux:
  enabled: false
concurrency:
  pools:
    default_limit: 1
# The daemon (`retail-sync dev`) frees the pool slots of ended runs; retail_sync's
# stale_run_slots_sensor and `retail-sync runs recover` also free those of killed runs.
run_monitoring:
  enabled: true
  free_slots_after_run_end_seconds: 30
"""


# Written once the embedded instance's storage exists: opening it before then races its creation.
INSTANCE_READY_MARKER = ".initialised"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (try '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Shopify ↔ ERP settlement and reconciliation on Dagster. "
            f"Data lives under ${HOME_ENV} (default ./.retail_sync)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add_command in (
        _add_demo_command, _add_dev_command, _add_ingest_command, _add_journals_command,
        _add_runs_command, _add_sandbox_command,
    ):  # fmt: skip
        add_command(commands)
    return parser


def _add_demo_command(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="generate a sandbox world and run the nightly settlement on it (embedded default)",
        description="Generate a sandbox world and run the nightly settlement job on the embedded "
        "default instance (SQLite under the home folder); then open the UI with `retail-sync dev`.",
    )
    _add_home_argument(demo)
    demo.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    demo.add_argument("--days", type=_positive_int, default=3, help="business days (default 3)")
    demo.add_argument(
        "--orders-per-day",
        type=_positive_int,
        default=200,
        help="orders per shop-day (default 200)",
    )


def _add_dev_command(commands: Any) -> None:
    dev = commands.add_parser(
        "dev",
        help="open the Dagster UI on the embedded default instance",
        description="Run `dagster dev` on retail_sync's definitions with the embedded instance.",
    )
    _add_home_argument(dev)
    dev.add_argument("--port", type=int, default=3000, help="UI port (default 3000)")


def _add_ingest_command(commands: Any) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="pull shops' business dates from Shopify and the ERP into the lake",
        description="Pull the chosen shops and business dates (each shop's day in its own "
        "timezone) from Shopify and the ERP into the lake, then republish the analyst catalog. "
        "Shops come from the shops file; tokens and ERP credentials from the environment "
        "(docs/configuration.md).",
    )
    _add_home_argument(ingest)
    ingest.add_argument(
        "--shop",
        action="append",
        default=[],
        dest="shops",
        help="shop id (repeat for several; default: every shop in the shops file)",
    )
    ingest.add_argument("--start", type=_iso_date, required=True, help="first business date")
    ingest.add_argument("--end", type=_iso_date, required=True, help="last business date")


def _add_journals_command(commands: Any) -> None:
    journals = commands.add_parser(
        "journals",
        help="list, show, approve, reject corrective journals; waive exceptions",
        description="Corrective journals (docs/journals.md). `approve` posts the proposal and "
        "verifies it at once, as materializing journals/approved in the UI does; `reject` "
        "records why and it is never posted; `waive` closes an exception without a journal. "
        "The name recorded is --as (default: your login name), marked self-declared.",
    )
    _add_home_argument(journals)
    verbs = journals.add_subparsers(
        dest="journals_command", metavar="JOURNALS_COMMAND", parser_class=_Parser
    )
    verbs.required = True
    listing = verbs.add_parser("list", help="proposals, newest first")
    listing.add_argument("--shop", default=None, help="one shop only")
    listing.add_argument(
        "--status", action="append", default=[], help="e.g. awaiting_approval (repeatable)"
    )
    show = verbs.add_parser("show", help="one proposal: its exception, journals and lines")
    show.add_argument("proposal_id", metavar="ID")
    for verb, what in (("approve", "approve, post and verify"), ("reject", "reject")):
        decide = verbs.add_parser(verb, help=f"{what} a proposal awaiting approval")
        decide.add_argument("proposal_id", metavar="ID")
        decide.add_argument("--reason", default="", required=verb == "reject", help="why")
        decide.add_argument("--as", dest="actor", default=None, help="who (self-declared)")
    waive = verbs.add_parser("waive", help="close an exception without a journal")
    waive.add_argument("exception_id", metavar="EXCEPTION_ID")
    waive.add_argument("--shop", required=True, help="the exception's shop")
    waive.add_argument("--reason", required=True, help="why")
    waive.add_argument("--as", dest="actor", default=None, help="who (self-declared)")


def _add_runs_command(commands: Any) -> None:
    runs = commands.add_parser(
        "runs",
        help="free the pool slots of runs that were killed (docs/runbooks.md)",
        description="A run killed outright keeps the pool slots its steps held, and later runs "
        "wait for them. `recover` marks runs whose worker process is gone failed and frees the "
        "slots of every run that has ended; `free RUN_ID` frees a run known to be dead on "
        "another machine.",
    )
    _add_home_argument(runs)
    runs_commands = runs.add_subparsers(
        dest="runs_command", metavar="RUNS_COMMAND", parser_class=_Parser
    )
    runs_commands.required = True
    runs_commands.add_parser(
        "recover",
        help="free the slots of ended runs and of runs whose worker died on this machine",
        description="Free the pool slots of ended runs and of runs whose worker died here.",
    )
    free = runs_commands.add_parser(
        "free",
        help="mark runs failed and free their pool slots",
        description="Mark the named runs failed (if they have not ended) and free their slots.",
    )
    free.add_argument("run_ids", nargs="+", metavar="RUN_ID")


def _add_sandbox_command(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="generate worlds and serve the local Shopify and NetSuite simulators",
        description="The sandbox: seeded worlds and faithful local simulators (docs/sandbox.md).",
    )
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", metavar="SANDBOX_COMMAND", parser_class=_Parser
    )
    sandbox_commands.required = True
    generate = sandbox_commands.add_parser(
        "generate", help="write a seeded world", description="Write a seeded sandbox world."
    )
    from retail_sync.sandbox.generate.command import add_generate_arguments

    add_generate_arguments(generate)
    _add_serve_command(sandbox_commands)


def _add_serve_command(sandbox_commands: Any) -> None:
    serve = sandbox_commands.add_parser(
        "serve",
        help="serve a world as a local Shopify and a local NetSuite",
        description="Serve a world over Shopify's Admin GraphQL API and NetSuite's SuiteTalk REST "
        "API on loopback until interrupted (docs/sandbox-shopify.md, docs/sandbox-netsuite.md).",
    )
    serve.add_argument("--world", type=Path, required=True, help="world folder")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="Shopify port (default: a free one)")
    serve.add_argument(
        "--netsuite-port", type=int, default=0, help="NetSuite port (default: a free one)"
    )
    serve.add_argument(
        "--faults", default="none", help="Shopify fault profile (docs/sandbox-shopify.md)"
    )
    serve.add_argument(
        "--netsuite-faults",
        default="none",
        help="NetSuite fault profile (docs/sandbox-netsuite.md)",
    )
    serve.add_argument("--webhook-url", default=None, help="deliver Shopify webhooks to this URL")
    serve.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where NetSuite keeps what is posted to it (default <world>/.netsuite-state)",
    )
    serve.add_argument("--seed", type=int, default=0, help="seed of the fault profiles")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "demo":
            return _run_demo(args)
        if args.command == "dev":
            return _run_dev(args)
        if args.command == "ingest":
            return _run_ingest(args)
        if args.command == "journals":
            return _run_journals(args)
        if args.command == "runs":
            return _run_runs(args)
        if args.command == "sandbox":
            return _run_sandbox(args)
    except (RetailSyncError, WorldFormatError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command!r}")


def _add_home_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help=f"data folder (default ${HOME_ENV} or ./.retail_sync)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _resolve_paths(home: Path | None) -> Paths:
    if home is not None:
        os.environ[HOME_ENV] = str(home.expanduser().absolute())
    return Paths.from_environment()


def prepare_embedded_instance(paths: Paths) -> Path:
    """Create the embedded DAGSTER_HOME (SQLite) if missing and point DAGSTER_HOME at it.

    Two commands started together on a fresh home would both create the instance's tables (one
    dies with "table … already exists"): the first creates them under a lock, the other waits.
    A command killed while creating them leaves storage that lacks tables; since no command ever
    finished with it (no ready marker), it is set aside and created again.
    """
    import time

    import dagster as dg
    from filelock import FileLock

    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    with FileLock(home / ".initialising.lock"):
        config = home / "dagster.yaml"
        if not config.exists():
            partial = config.with_name(f".dagster.yaml.{os.getpid()}")
            partial.write_text(EMBEDDED_DAGSTER_YAML, encoding="utf-8")
            os.replace(partial, config)
        marker = home / INSTANCE_READY_MARKER
        if marker.exists():
            return home
        try:
            with dg.DagsterInstance.get() as instance:  # creates and migrates its storage
                _probe_storage(instance)
        except Exception:  # storage whose creation was interrupted: it lacks a table
            aside = home / f".interrupted-{int(time.time())}"
            aside.mkdir(exist_ok=True)
            for folder in _STORAGE_FOLDERS:
                if (home / folder).exists():
                    os.replace(home / folder, aside / folder)
            with dg.DagsterInstance.get() as instance:
                _probe_storage(instance)
        marker.touch()
    return home


# Where SQLite storage keeps runs, events and schedules under DAGSTER_HOME.
_STORAGE_FOLDERS = ("history", "storage", "schedules")


def _probe_storage(instance: DagsterInstance) -> None:
    """Read each part of the storage once: a table missing raises."""
    instance.get_runs(limit=1)
    instance.get_dynamic_partitions("shop")
    instance.event_log_storage.get_concurrency_keys()
    instance.all_instigator_state()


def _run_demo(args: argparse.Namespace) -> int:
    from retail_sync.app.demo import run_demo

    paths = _resolve_paths(args.home)
    prepare_embedded_instance(paths)
    summary = run_demo(paths, seed=args.seed, days=args.days, orders_per_day=args.orders_per_day)
    print(summary)
    return 0


def _run_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from retail_sync.app.ingest import business_dates, run_ingest
    from retail_sync.defs.preflight import check_configuration

    paths = _resolve_paths(args.home)
    # Refuse bad configuration before anything is created or run.
    shops = check_configuration(
        paths, shop_ids=args.shops, dates=(args.start, args.end), policy=False
    )
    if "DAGSTER_HOME" not in os.environ:
        prepare_embedded_instance(paths)
    total = len(shops) * len(business_dates(args.start, args.end))
    with tqdm(total=total, unit="partition", file=sys.stderr) as bar:

        def advance(partition: str) -> None:
            bar.set_postfix_str(partition)
            bar.update()

        summary = run_ingest(
            paths, shop_ids=args.shops, start=args.start, end=args.end, progress=advance
        )
    print(summary)
    return 0


DEV_DEPRECATION = (
    "retail-sync dev: deprecated in favour of Dagster's own `dg dev`; in a checkout run\n"
    "  DAGSTER_HOME={dagster_home} RETAIL_SYNC_HOME={home} dg dev\n"
    "(this command keeps working and starts the same UI)"
)


def _run_dev(args: argparse.Namespace) -> int:
    paths = _resolve_paths(args.home)
    prepare_embedded_instance(paths)
    print(DEV_DEPRECATION.format(dagster_home=paths.dagster_home, home=paths.home), file=sys.stderr)
    command = [
        sys.executable, "-m", "dagster", "dev",
        "-m", "retail_sync.definitions",
        "-p", str(args.port),
    ]  # fmt: skip
    # Replace this process so the UI receives Ctrl-C directly.
    os.execv(sys.executable, command)  # noqa: S606 (fixed argv, no shell)


def _run_runs(args: argparse.Namespace) -> int:
    import dagster as dg

    from retail_sync.defs.recovery import free_runs, recover_stale_runs

    paths = _resolve_paths(args.home)
    if "DAGSTER_HOME" not in os.environ:
        prepare_embedded_instance(paths)
    with dg.DagsterInstance.get() as instance:
        if args.runs_command == "free":
            freed = free_runs(instance, args.run_ids)
        else:
            freed = recover_stale_runs(instance)
    for run in freed:
        print(f"freed the pool slots of {run}")
    if not freed:
        print("no run holds a pool slot it should not")
    return 0


def _run_journals(args: argparse.Namespace) -> int:
    from retail_sync.app import journals

    paths = _resolve_paths(args.home)
    if "DAGSTER_HOME" not in os.environ:
        prepare_embedded_instance(paths)
    verb = args.journals_command
    if verb == "list":
        print(journals.list_proposals(paths, shop_id=args.shop, statuses=args.status))
    elif verb == "show":
        print(journals.show_proposal(paths, args.proposal_id))
    elif verb in ("approve", "reject"):
        print(journals.decide(paths, args.proposal_id, verb, reason=args.reason, actor=args.actor))
    else:
        print(
            journals.waive(
                paths, args.shop, args.exception_id, reason=args.reason, actor=args.actor
            )
        )
    return 0


def _run_sandbox(args: argparse.Namespace) -> int:
    if args.sandbox_command == "generate":
        from retail_sync.sandbox.generate.command import run_generate

        return run_generate(args)
    if args.sandbox_command == "serve":
        return _run_serve(args)
    raise RetailSyncError(f"unknown sandbox command {args.sandbox_command!r}")


def _run_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from retail_sync.sandbox.netsuite import start_netsuite_simulator
    from retail_sync.sandbox.shopify import start_shopify_simulator
    from retail_sync.sandbox.world import World

    world = World.open(args.world)
    state_dir = args.state_dir or args.world / ".netsuite-state"
    try:
        shopify = start_shopify_simulator(
            world,
            host=args.host,
            port=args.port,
            faults=args.faults,
            webhook_url=args.webhook_url,
            seed=args.seed,
        )
        netsuite = start_netsuite_simulator(
            world,
            state_dir=state_dir,
            host=args.host,
            port=args.netsuite_port,
            faults=args.netsuite_faults,
            seed=args.seed,
        )
    except (KeyError, ValueError, OSError) as error:
        raise RetailSyncError(f"cannot start the simulators: {error}") from None
    print(f"Shopify  {shopify.url}/admin/api/<version>/graphql.json  (faults: {args.faults})")
    for shop in world.shops:
        print(f"  shop {shop['id']}: X-Shopify-Access-Token from {args.world}/shopify/shops.json")
    print(f"NetSuite {netsuite.url}/services/rest  (faults: {args.netsuite_faults})")
    print(f"  state kept in {state_dir}; credentials in docs/sandbox-netsuite.md")
    print("Serving until interrupted (Ctrl-C).", flush=True)
    stop = threading.Event()
    # A service manager stops us with SIGTERM: shut down as cleanly as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        shopify.stop()
        netsuite.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
