"""``python -m storefront.ecs.sandbox --port 5001 [--items N] [--webhook-url URL] [--state PATH]``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from werkzeug.serving import run_simple

from storefront.ecs.sandbox.app import create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storefront.ecs.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--items", type=int, default=300, help="demo records to generate (default 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--webhook-url", default=None, help="notification URL to deliver signed webhooks to")
    parser.add_argument("--signature-key", default="sandbox-signature-key")
    parser.add_argument("--access-token", default="sandbox-token")
    parser.add_argument("--state", type=Path, default=None, help="JSON file to keep state in across restarts")
    parser.add_argument("--public-url", default=None, help="base URL shoppers reach the sandbox at")
    parser.add_argument("--shape", choices=("seller", "legacy"), default="seller",
                        help="demo catalog shaped like a real shop's (seller, default) or the original (legacy)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_sandbox_app(access_token=args.access_token, signature_key=args.signature_key,
                             webhook_url=args.webhook_url, state_path=args.state, demo_items=args.items,
                             seed=args.seed, public_url=args.public_url, catalog_shape=args.shape)
    # Turn SIGTERM into SystemExit so the state file gets its final write.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    try:
        run_simple(args.host, args.port, app, threaded=True)
    finally:
        app.extensions["ecs_sandbox"].close()


if __name__ == "__main__":
    main()
