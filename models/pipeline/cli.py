"""The ``salesdesk`` command line: demo data, ingest, build, status."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from models.core import clock, settings
from models.core.errors import UserError
from models.i18n import translate
from models.i18n.messages import N_, env_lang, error_text


def _error_line(error: UserError, lang: str) -> str:
    """How the command line prints a refusal, in the language of SALESDESK_LANG."""
    return translate(lang, "ERROR {message}", message=error_text(error, lang))


def _cmd_demo(args: argparse.Namespace) -> int:
    from models.demo.generator import generate

    today = clock.parse_date(args.today, "--today") if args.today else clock.today()
    print(f"Writing demo data (scale {args.scale}, seed {args.seed}{', dirty' if args.dirty else ''}"
          f", ending {today}) to {args.out} ...", flush=True)
    summary = generate(Path(args.out), scale=args.scale, seed=args.seed, dirty=args.dirty,
                       today=today)
    print(summary)
    return 0


def _cmd_ingest(args: argparse.Namespace) -> int:
    from models.pipeline import mappings
    from models.pipeline.ingest import expand_paths, ingest_file

    mapping = mappings.load(Path(args.mapping)) if args.mapping else None
    t0 = time.perf_counter()
    files = expand_paths([Path(p) for p in args.paths])
    if not files:
        raise UserError(N_("No data files found in {paths}.", paths=", ".join(args.paths)))
    refused = 0
    for f in files:
        try:
            print(ingest_file(f, entity=args.entity, encoding=args.encoding, mapping=mapping),
                  flush=True)
        except UserError as e:
            refused += 1
            print(_error_line(e, env_lang()), file=sys.stderr, flush=True)
    print(translate(env_lang(), "Ingested {loaded} of {total} file(s) in {seconds} s into {lake}",
                    loaded=len(files) - refused, total=len(files),
                    seconds=f"{time.perf_counter() - t0:.1f}", lake=settings.lake_dir()))
    return 1 if refused else 0


def _parse_vars(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UserError(f"--var {pair!r}: write it as name=value.")
        out[key.strip()] = value.strip()
    return out


def _cmd_build(args: argparse.Namespace) -> int:
    from models.pipeline.build import run_build

    result = run_build(on_line=lambda line: print(line, flush=True),
                       dbt_vars=_parse_vars(args.var), unit_tests=args.unit_tests,
                       target=args.target, lang=env_lang(), full=args.full)
    return 0 if result.ok else 1


def _cmd_status(args: argparse.Namespace) -> int:
    from models.pipeline.build import build_health_text, current_build_id, history
    from models.pipeline.ingest import loads

    print(f"Data folder: {settings.home()}")
    records = loads()
    print(f"Loads: {len(records)}")
    for r in records[-10:]:
        print(f"  {r['loaded_at'][:19]}  {r['entity']:<12} {r['rows']:>12,}  {r['source_name']}")
    builds = history()
    current = current_build_id()
    print(f"Current build: {current or 'none'}; builds recorded: {len(builds)}")
    for b in builds[-5:]:
        as_of = f"  as of {b['as_of_date']}" if b.get("as_of_date") else ""
        mode = {"full": "  full",
                "incremental": f"  incremental, {len(b.get('changed_months') or [])} month(s)"
                }.get(b.get("mode") or "", "")
        print(f"  {b['build_id']}  {b['status']:<21} {b['seconds']:>7.1f} s{as_of}{mode}")
    shown = next((b for b in reversed(builds) if b.get("build_id") == current), None)
    if builds and builds[-1] is not shown and builds[-1].get("status") == "failed":
        print(f"The last build ({builds[-1]['build_id']}) FAILED; what failed:")
        for failure in builds[-1].get("failures") or []:
            print(f"  - {failure}")
    if shown is not None:
        print(build_health_text(shown))
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    """For `make run`: demo data when the lake is empty, ingest it, build when out of date."""
    from models.pipeline.build import current_build_id, is_up_to_date, run_build
    from models.pipeline.ingest import ingest_paths, loads

    if not loads():
        from models.demo.generator import generate

        demo_dir = settings.home() / "demo"
        scale = float(os.environ.get("SALESDESK_DEMO_SCALE", args.scale))
        print(f"The lake is empty: writing demo data (scale {scale}) to {demo_dir} ...", flush=True)
        print(generate(demo_dir, scale=scale, seed=args.seed))
        for result in ingest_paths([demo_dir]):
            print(result, flush=True)
    if is_up_to_date():
        print(f"Warehouse {current_build_id()} is up to date with the lake.")
        return 0
    result = run_build(on_line=lambda line: print(line, flush=True), lang=env_lang())
    return 0 if result.ok else 1


def _cmd_docs(args: argparse.Namespace) -> int:
    """Serve the current build's dbt docs (one self-contained page) on localhost."""
    import functools
    import http.server

    from models.pipeline.build import docs_file

    path = docs_file()
    if path is None:
        raise UserError("No dbt docs yet: build the warehouse first (salesdesk build).")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # every path is the docs page (dbt docs routes with #!/...)
            self.path = "/" + path.name
            super().do_GET()

    handler = functools.partial(Handler, directory=str(path.parent))
    with http.server.ThreadingHTTPServer((args.host, args.port), handler) as server:
        print(f"dbt docs of build {path.parent.parent.name.removesuffix('.dbt')} at "
              f"http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
        server.serve_forever()
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    """A rep's route for a week (or one day of it): CSV, iCalendar and the HTML day sheet."""
    from datetime import date

    from models.core.scoping import ALL_DATA
    from models.core.warehouse import get_warehouse
    from models.engines import planner
    from models.i18n import normalise_lang

    try:
        week = date.fromisoformat(args.week)
        day = date.fromisoformat(args.day) if args.day else None
    except ValueError as e:
        raise UserError(f"Dates are YYYY-MM-DD: {e}") from e
    dates = [day] if day else planner.week_days(week)
    plan = planner.plan_route(get_warehouse(), ALL_DATA, args.rep, dates,
                              time_limit_s=args.time_limit,
                              progress=lambda message: print(message, flush=True),
                              win_back=args.win_back, balance=not args.no_balance)
    print(planner.summary(plan))
    lang = normalise_lang(args.lang or os.environ.get("SALESDESK_LANG"))
    for path in planner.write_exports(plan, Path(args.out), lang=lang, keys=not args.headers):
        print(f"wrote {path}")
    return 0


def _cmd_contracts(args: argparse.Namespace) -> int:
    """Check (or with --write, write) the dbt files generated from models/pipeline/contracts.py."""
    from models.pipeline import contract_files

    if args.write:
        written = contract_files.write_files()
        for path in written:
            print(f"wrote {path}")
        if not written:
            print("The dbt contract files are up to date with models/pipeline/contracts.py.")
        return 0
    stale = contract_files.stale_files()
    if stale:
        print("These files differ from models/pipeline/contracts.py; run "
              "`salesdesk contracts --write`:", file=sys.stderr)
        for path in stale:
            print(f"  {path}", file=sys.stderr)
        return 1
    print("The dbt contract files are up to date with models/pipeline/contracts.py.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesdesk",
        description="Field sales desk: demo data, ingest into the lake, build the warehouse. "
                    f"Files live under $SALESDESK_HOME (now {settings.home()}).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write deterministic demo raw files")
    demo.add_argument("--scale", type=float, default=1.0,
                      help="1 = about 2,000 customers and 1.5 million order lines")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--out", required=True, help="folder to write the raw files into")
    demo.add_argument("--dirty", action="store_true",
                      help="add row-level faults of every kind staging must catch")
    demo.add_argument("--today", metavar="YYYY-MM-DD",
                      help="the last day of the demo's 36 months (default: today, or "
                           "$SALESDESK_TODAY)")
    demo.set_defaults(func=_cmd_demo)

    ingest = sub.add_parser("ingest", help="check files against their contract, add to the lake")
    ingest.add_argument("paths", nargs="+", help="CSV, XLSX or Parquet files, or folders of them")
    ingest.add_argument("--entity", help="the entity, when the file name does not tell it")
    ingest.add_argument("--encoding", metavar="CODEC",
                        help="the text encoding of CSV files that are not UTF-8, UTF-16 with a "
                             "byte-order mark or GB18030, e.g. windows-1252")
    ingest.add_argument("--mapping", metavar="FILE",
                        help="a mapping file (TOML) for the source system's export: columns, "
                             "constants, date format, delimiter, decimal comma, encoding, "
                             "derived columns, rows to leave out (README: Loading your ERP "
                             "export)")
    ingest.set_defaults(func=_cmd_ingest)

    build = sub.add_parser("build", help="run dbt build into a new warehouse file and swap it in")
    build.add_argument("--var", action="append", metavar="NAME=VALUE",
                       help="a dbt var for this build (repeatable)")
    build.add_argument("--unit-tests", action="store_true",
                       help="also run the dbt unit tests (development and CI; make test does)")
    build.add_argument("--target", choices=["dev", "spark"], default="dev",
                       help="dev: DuckDB, a new warehouse file swapped in (default); spark: the "
                            "same models on local Spark under $SALESDESK_HOME/spark (needs "
                            "pip install -e '.[spark]'; never becomes the app's warehouse)")
    build.add_argument("--full", action="store_true",
                       help="recompute every month; by default a build starts from the current "
                            "warehouse and recomputes the months whose data changed, unless a "
                            "model, seed, var or master file changed (it says which)")
    build.set_defaults(func=_cmd_build)

    docs = sub.add_parser("docs", help="serve the current build's dbt docs (lineage, descriptions)")
    docs.add_argument("--port", type=int, default=8081)
    docs.add_argument("--host", default="127.0.0.1")
    docs.set_defaults(func=_cmd_docs)

    status = sub.add_parser("status", help="show loads and builds")
    status.set_defaults(func=_cmd_status)

    plan = sub.add_parser("plan", help="plan a rep's visits for a week or a day, with exports")
    plan.add_argument("--rep", required=True, help="rep id, e.g. R0007")
    plan.add_argument("--week", required=True, metavar="YYYY-MM-DD",
                      help="any day of the week to plan (Monday to Friday)")
    plan.add_argument("--day", metavar="YYYY-MM-DD", help="plan this one day instead")
    plan.add_argument("--out", default=".", help="folder for the CSV, .ics and HTML files")
    plan.add_argument("--time-limit", type=float, default=None,
                      help="solver seconds (default 2 for a day, 6 for a week)")
    plan.add_argument("--win-back", action="store_true",
                      help="also plan churned customers falling due, as win-back visits")
    plan.add_argument("--no-balance", action="store_true",
                      help="do not even out the week's days (least travel only)")
    plan.add_argument("--lang", default=None,
                      help="language of the files' words (en, zh-CN; default SALESDESK_LANG)")
    plan.add_argument("--headers", action="store_true",
                      help="CSV headers in that language instead of the stable column keys")
    plan.set_defaults(func=_cmd_plan)

    contracts = sub.add_parser("contracts", help="check the dbt files generated from "
                                                 "models/pipeline/contracts.py (exit 1 when stale)")
    contracts.add_argument("--write", action="store_true",
                           help="write them (the lake contract macro and the sources YAML)")
    contracts.set_defaults(func=_cmd_contracts)

    prepare = sub.add_parser("prepare", help="demo data if the lake is empty, then build if needed")
    prepare.add_argument("--scale", type=float, default=1.0)
    prepare.add_argument("--seed", type=int, default=42)
    prepare.set_defaults(func=_cmd_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    from models.engines import adhoc

    adhoc.register_build_hook()  # `build` and `prepare` write the SQL page's marts copy too
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(_error_line(e, env_lang()), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
