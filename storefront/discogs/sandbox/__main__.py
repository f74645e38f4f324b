"""``python -m storefront.discogs.sandbox --port 5002 [--token T] [--username U]``: the Discogs sandbox."""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from storefront.discogs.sandbox.app import create_discogs_sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storefront.discogs.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--token", default="sandbox-discogs-token")
    parser.add_argument("--username", default="groove-cellar")
    parser.add_argument("--currency", default="USD")
    args = parser.parse_args(argv)
    app = create_discogs_sandbox(token=args.token, username=args.username, currency=args.currency,
                                 base_url=f"http://{args.host}:{args.port}")
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
