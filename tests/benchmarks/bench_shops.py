"""Many shops on one deployment: the catalog page under gunicorn while requests spread over every
shop, against a bare Flask hello-world, and each web process's memory.

    .venv/bin/python -m tests.benchmarks.bench_shops [--shops 50] [--items 2000] [--duration 10]
        [--database-url postgresql://postgres@127.0.0.1:5432/test]

``--shops`` shops are created with `storefront.shops.services.create_shop` (a schema each on
PostgreSQL, a file each on SQLite), each seeded with ``--items`` records. gunicorn (gthread, the
same settings for both apps) serves them; the load generator asks for ``/vendors/<code>/catalog``
of every shop in turn (wrk with a Lua request rotation, or Python threads), then the first shop's
page alone (what serving many shops costs, against one), then hello-world — ``--rounds`` interleaved
rounds, each figure the best of its rounds (as in bench_pages; every round's figure is printed, so a
fall under sustained load shows). The resident memory (VmRSS) of every gunicorn worker is read from
/proc after the load. Target: ≥ 25 % of hello-world req/s. Not a test: nothing asserts on time; read
the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.benchmarks.bench_pages import (
    WRK_SCRIPT,
    Generator,
    Load,
    best_load,
    build_app,
    database,
    dispose,
    python_load,
    server_settings,
)
from tests.benchmarks.common import env_with, gunicorn_process, table
from tests.benchmarks.seed import seed_catalog

HEADERS = ("served", "req/s", "p50 ms", "p95 ms", "vs hello-world", "target", "verdict", "each round")
ROTATION = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def build(args: argparse.Namespace, url: str, workdir: Path) -> list[str]:
    """The shops, migrated and seeded; returns their codes."""
    from storefront.extensions import db
    from storefront.shops.context import use_shop
    from storefront.shops.services import create_shop

    app = build_app(url, workdir, SHOP_REGISTRY_TTL_SECONDS=0)
    codes = [f"shop-{n:02d}" for n in range(args.shops)]
    started = time.perf_counter()
    with app.app_context():
        for n, code in enumerate(codes):
            create_shop(code, f"Shop {n:02d}")
            with use_shop(code):
                seed_catalog(args.items, seed=n + 1)
                db.session.remove()
            print(f"  {code}: migrated and seeded ({time.perf_counter() - started:.0f}s so far)", flush=True)
    with use_shop("default"):
        dispose(app)
    return codes


def rss_kib(port: int) -> dict[int, int]:
    """VmRSS (KiB) of every process serving ``port`` (gunicorn's master and workers)."""
    found = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True).stdout.split()
    sizes = {}
    for pid in map(int, found):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        line = next((ln for ln in status.splitlines() if ln.startswith("VmRSS:")), "VmRSS: 0 kB")
        sizes[pid] = int(line.split()[1])
    return sizes


def rotating_load(generator: Generator, base: str, paths: list[str], seconds: float, args: argparse.Namespace,
                  workdir: Path) -> Load:
    if generator.wrk:
        script = workdir / "rotation.lua"
        script.write_text(ROTATION % ", ".join(json.dumps(p) for p in paths) + WRK_SCRIPT)
        cmd = [generator.wrk, "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{int(seconds)}s",
               "--timeout", "10s", "-s", str(script), base + paths[0]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
        data = json.loads(next(ln for ln in out.splitlines() if ln.startswith("WRKJSON ")).removeprefix("WRKJSON "))
        return Load(data["requests"], data["duration_us"] / 1e6, data["socket_errors"] + data["status_errors"],
                    data["p50_us"] / 1000, data["p95_us"] / 1000)
    return python_load([base + p for p in paths], {}, seconds, args.connections)


def main(argv: list[str] | None = None) -> str:
    args = parse(argv)
    workdir = Path(tempfile.mkdtemp(prefix="sf-bench-shops-"))
    with database(args.database_url, workdir, "shops") as url:
        print(f"building {args.shops} shops × {args.items} items", flush=True)
        codes = build(args, url, workdir)
        env = env_with(DATABASE_URL=url, **server_settings(workdir, STOREFRONT_ECS_LOCATION_ID="L1"))
        generator = Generator(args, workdir)
        share = max(1, -(-args.connections // args.workers))
        gunicorn = {"workers": args.workers, "threads": args.threads, "worker_connections": share}
        paths = [f"/vendors/{code}/catalog" for code in codes]
        with gunicorn_process("app:app", env, ready_path="/static/css/shop.css", **gunicorn) as base, \
                gunicorn_process("tests.benchmarks.hello_app:app", env, **gunicorn) as hello:
            for code, path in zip(codes[:3] + codes[-1:], paths[:3] + paths[-1:], strict=True):
                page = requests.get(base + path, timeout=30)
                assert page.status_code == 200 and f"Shop {code[-2:]}" in page.text, (path, page.status_code)
            before = rss_kib(int(base.rsplit(":", 1)[1]))
            samples = interleaved(generator, args, workdir, [(base, paths), (base, paths[:1]), (hello, ["/"])])
            after = rss_kib(int(base.rsplit(":", 1)[1]))
    return report(args, generator, samples, before, after)


def interleaved(generator: Generator, args: argparse.Namespace, workdir: Path,
                targets: list[tuple[str, list[str]]]) -> list[list[Load]]:
    """``--rounds`` rounds over the targets in turn (warm-up, then the timed load); each target's loads."""
    samples: list[list[Load]] = [[] for _ in targets]
    for round_no in range(1, args.rounds + 1):
        for (base, paths), loads in zip(targets, samples, strict=True):
            rotating_load(generator, base, paths, args.warmup, args, workdir)
            loads.append(rotating_load(generator, base, paths, args.duration, args, workdir))
        print(f"  round {round_no}/{args.rounds}: " + ", ".join(f"{loads[-1].rps:,.0f}" for loads in samples)
              + " req/s (many shops, one shop, hello-world)", flush=True)
    return samples


def report(args: argparse.Namespace, generator: Generator, samples: list[list[Load]],
           before: dict[int, int], after: dict[int, int]) -> str:
    shops_load, one_load, hello_load = (best_load(loads) for loads in samples)
    ratio = shops_load.rps / hello_load.rps if hello_load.rps else 0.0
    ms = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
    share = lambda load: f"{load.rps / hello_load.rps:.0%}" if hello_load.rps else "—"  # noqa: E731
    rounds = lambda loads: " / ".join(f"{load.rps:,.0f}" for load in loads)  # noqa: E731
    rows = [(f"catalog page of {args.shops} shops in turn", f"{shops_load.rps:,.0f}", ms(shops_load.p50_ms),
             ms(shops_load.p95_ms), share(shops_load), "≥ 25%", "met" if ratio >= 0.25 else "BELOW",
             rounds(samples[0])),
            ("catalog page of one shop", f"{one_load.rps:,.0f}", ms(one_load.p50_ms), ms(one_load.p95_ms),
             share(one_load), "—", "—", rounds(samples[1])),
            ("bare Flask JSON hello-world", f"{hello_load.rps:,.0f}", ms(hello_load.p50_ms), ms(hello_load.p95_ms),
             "100%", "—", "—", rounds(samples[2]))]
    memory = [(str(pid), f"{before.get(pid, 0) / 1024:.0f}", f"{size / 1024:.0f}")
              for pid, size in sorted(after.items())]
    errors = sum(load.errors for loads in samples for load in loads)
    text = "\n\n".join([
        f"{args.shops} shops × {args.items:,} items on {args.database_url or 'SQLite files'}; load: "
        f"{generator.description}, {args.connections} connections, {args.duration}s after {args.warmup}s warm-up, "
        f"{args.rounds} interleaved rounds (best shown); "
        f"gunicorn -w {args.workers} -k gthread --threads {args.threads}",
        table(rows, HEADERS),
        "memory (VmRSS, MiB) of the gunicorn processes before and after the load (master first):",
        table(memory, ("pid", "before", "after")),
        f"errors: {errors}",
    ])
    print(text, flush=True)
    return text


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each figure is the best round")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--database-url", default=None)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
