"""Full catalog sync vs the paging floor (the same client walking the catalog, writing nothing).

    .venv/bin/python -m tests.benchmarks.bench_sync [--items 10000 100000] [--rounds 5] [--database-url URL]

The sandbox runs in its own process and is warmed up by one untimed walk of the catalog first
(its first answers are slower, and only the floor would otherwise pay for that). Then, in each
round, the floor is timed and a full sync runs into an emptied database (a temp SQLite file, or
the PostgreSQL database given); the figures are the medians over the rounds, and the re-sync
(nothing changed) follows the last round. Target from issue 3: sync / floor ≤ 2.0.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.benchmarks.common import sandbox_process, table


def measure(items: int, database_url: str | None, rounds: int = 3) -> dict[str, float]:
    from storefront import create_app
    from storefront.ecs.provider import ecs_client
    from storefront.extensions import db
    from storefront.sync.runner import execute_run
    from storefront.sync.services import create_run

    with sandbox_process(items) as base, tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "bench", "INSTANCE_PATH": tmp,
                          "SQLALCHEMY_DATABASE_URI": url, "ECS_BASE_URL": base, "JOBS_MODE": "sync"})
        with app.app_context():
            client = ecs_client()

            def walk() -> int:
                # what a full sync must read: categories, images (covers) and items, then the stock
                objects = sum(len(p.objects) for t in ("CATEGORY", "IMAGE", "ITEM")
                              for p in client.iter_catalog(types=t))
                client.batch_retrieve_inventory_counts(None, states=["IN_STOCK"])
                return objects

            objects = walk()  # warm-up, untimed
            floors, fulls = [], []
            for _round in range(rounds):
                started = time.perf_counter()
                walk()
                floors.append(time.perf_counter() - started)

                db.session.remove()
                db.drop_all()
                db.create_all()
                db.session.remove()
                started = time.perf_counter()
                run = execute_run(create_run("full", started_by="bench").id)
                fulls.append(time.perf_counter() - started)
                assert run.status == "succeeded", run.message
                assert run.items_created > 0

            started = time.perf_counter()
            again = execute_run(create_run("full", started_by="bench").id)
            unchanged = time.perf_counter() - started
            assert again.items_created == again.items_updated == 0
            db.session.remove()
            db.drop_all()
    return {"items": items, "objects": objects, "floor": statistics.median(floors),
            "full": statistics.median(fulls), "second": unchanged}


def main(argv: list[str] | None = None) -> list[tuple[str, ...]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per size (medians are reported)")
    args = parser.parse_args(argv)
    rows = []
    for n in args.items:
        r = measure(n, args.database_url, args.rounds)
        rows.append((f"{n:,}", f"{r['floor']:.1f}s", f"{r['full']:.1f}s", f"{r['full'] / r['floor']:.2f}",
                     f"{r['second']:.1f}s", f"{r['second'] / r['floor']:.2f}"))
        print(table(rows[-1:], HEADERS), flush=True)
    print()
    print(table(rows, HEADERS))
    return rows


HEADERS = ("items", "paging floor (median)", "full sync (median)", "ratio", "re-sync (no changes)", "ratio")

if __name__ == "__main__":
    main()
