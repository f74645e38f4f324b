"""All the benchmarks in one run, written up as one Markdown report (``make bench``).

    .venv/bin/python -m tests.benchmarks.run [--quick] [--out bench-results/report.md]
        [--redis-url redis://127.0.0.1:6379/14] [--database-url postgresql://postgres@127.0.0.1:5432/test]
        [--only pages sync webhooks]

Sections:

1. pages — ``bench_pages``: gunicorn req/s of the catalog pages against a bare Flask app,
   in-process search p95, first-view weight;
2. sync — ``bench_sync``: full catalog sync against the paging floor (10,000 and 100,000 items);
3. webhooks — ``bench_webhooks``: webhook ack latency and worker throughput (2000 events, 20
   senders); needs Redis (the database of ``--redis-url`` is flushed): skipped when unreachable;
4. shops — ``bench_shops``: 50 shops × 2,000 items, the catalog page with requests spread over
   every shop against hello-world, and the web processes' memory.

``--quick`` shrinks everything (2,000 / 10,000 items, 3 s of load per URL, 300 events) for a smoke
run. Databases are temp SQLite files; with ``--database-url`` every section works in a scratch
database created on that PostgreSQL server and dropped afterwards. The report goes to ``--out``
(bench-results/ is git-ignored) and to stdout. Nothing here asserts on time: read the report.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from tests.benchmarks import bench_pages, bench_shops, bench_sync, bench_webhooks
from tests.benchmarks.common import ROOT, markdown_table
from tests.benchmarks.seed import scratch_database

SECTIONS = ("pages", "sync", "webhooks", "shops")
SYNC_TARGET = 2.0  # full sync / paging floor (issue 3)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(args: argparse.Namespace) -> list[str]:
    from importlib.metadata import version

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    database = f"PostgreSQL scratch databases on {args.database_url}" if args.database_url else "SQLite (temp files)"
    return [
        f"date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), {platform.platform()}, load average at start {load}",
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, gunicorn {version('gunicorn')}, "
        f"Flask {version('flask')}, SQLAlchemy {version('sqlalchemy')}",
        f"database: {database}",
        f"mode: {'quick (small sizes, short durations)' if args.quick else 'full'}",
        "command: " + shlex.join([".venv/bin/python", "-m", "tests.benchmarks.run", *(args.argv or [])]),
    ]


# --- sections -----------------------------------------------------------------------------------
def pages_section(args: argparse.Namespace) -> str:
    argv = ["--items", "2000", "--search-items", "10000", "--duration", "3", "--rounds", "1"] if args.quick else []
    if args.database_url:
        argv += ["--database-url", args.database_url]
    result = bench_pages.main(argv)
    return "\n\n".join([
        "### Throughput under gunicorn (req/s, latency as measured by the load generator)",
        markdown_table(result.throughput, bench_pages.THROUGHPUT_HEADERS),
        "Targets: catalog page ≥ 25 % of the hello-world req/s; HTMX results partial ≥ 35 %. "
        "The product page has no stated target.",
        "### Search latency in process (`search_catalog`, no HTTP)",
        markdown_table(result.search, bench_pages.SEARCH_HEADERS),
        f"Target: p95 ≤ {bench_pages.SEARCH_TARGET_MS:.0f} ms over the whole query mix.",
        "### First-view budget (`page_budget.first_view`)",
        markdown_table(result.budget, bench_pages.BUDGET_HEADERS),
        "Notes:\n\n" + "\n".join(f"- {note}" for note in result.notes),
    ])


def sync_section(args: argparse.Namespace) -> str:
    sizes = ["2000", "10000"] if args.quick else ["10000", "100000"]
    with scratch_database(args.database_url, "sf_bench_sync") if args.database_url else nullcontext(None) as url:
        rows = bench_sync.main(["--items", *sizes, *(["--database-url", url] if url else [])])
    headers = (*bench_sync.HEADERS[:3], "full / floor", bench_sync.HEADERS[4], "re-sync / floor", "verdict")
    rows = [(*row, "met" if float(row[3]) <= SYNC_TARGET else "ABOVE") for row in rows]
    return "\n\n".join([
        markdown_table(rows, headers),
        f"Target: full sync / paging floor ≤ {SYNC_TARGET:.1f} (the floor is the same ECS client walking the "
        "catalog and stock without writing anything). The ECS sandbox runs in its own process and is warmed "
        "up by one untimed walk; floor and full sync are timed in interleaved rounds (a fresh database each) "
        "and the medians are shown.",
    ])


def redis_problem(url: str) -> str | None:
    try:
        from redis import Redis

        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 — any failure means: no usable Redis
        return f"{type(exc).__name__}: {exc}"
    return None


def webhooks_section(args: argparse.Namespace) -> str:
    problem = redis_problem(args.redis_url)
    if problem:
        message = f"Skipped: Redis at {args.redis_url} is unreachable ({problem})."
        print(message, flush=True)
        return message
    argv = ["--redis-url", args.redis_url]
    argv += ["--events", "300", "--senders", "10"] if args.quick else ["--events", "2000", "--senders", "20"]
    with scratch_database(args.database_url, "sf_bench_hooks") if args.database_url else nullcontext(None) as url:
        rows = bench_webhooks.main([*argv, *(["--database-url", url] if url else [])])
    return "\n\n".join([
        markdown_table(rows, ("webhooks", "value")),
        f"No time target is set for webhooks; the Redis database {args.redis_url} was flushed. Phases: ack "
        "(verify, store, commit, enqueue; no worker running), drain of that backlog by one RQ worker, then "
        "senders and worker together (end to end).",
    ])


def shops_section(args: argparse.Namespace) -> str:
    argv = ["--shops", "5", "--items", "500", "--duration", "3"] if args.quick else []
    if args.database_url:
        argv += ["--database-url", args.database_url]
    return "```\n" + bench_shops.main(argv) + "\n```\n\nTarget: ≥ 25 % of hello-world req/s while requests " \
        "spread over every shop; the memory of each web process is reported (see the README's bound)."


RUNNERS: dict[str, tuple[str, Callable[[argparse.Namespace], str]]] = {
    "pages": ("1. Catalog pages and search (bench_pages)", pages_section),
    "sync": ("2. Catalog sync (bench_sync)", sync_section),
    "webhooks": ("3. Webhooks (bench_webhooks)", webhooks_section),
    "shops": ("4. Many shops (bench_shops)", shops_section),
}


# --- entry point --------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and short durations (a smoke run)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "report.md")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14",
                        help="for the webhook section; its database is flushed")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server: each section uses a scratch database created there and dropped")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lines = ["# Storefront benchmarks", "", *(f"- {line}" for line in machine_info(args))]
    failed = []
    for name in args.only:
        title, runner = RUNNERS[name]
        print(f"\n=== {title} ===", flush=True)
        started = time.perf_counter()
        try:
            body = runner(args)
        except Exception as exc:  # noqa: BLE001 — report it and go on with the other sections
            traceback.print_exc()
            failed.append(name)
            body = f"**Failed**: `{type(exc).__name__}: {exc}` (traceback on stderr)."
        lines += ["", f"## {title}", "", body, "", f"_{time.perf_counter() - started:.0f}s_"]
    report = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print("\n" + report)
    print(f"report written to {args.out}" + (f"; failed sections: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
