"""Running job functions inside a Flask app context, in an RQ worker or in process."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import ParamSpec, TypeVar

from flask import Flask, has_app_context

from storefront.shops.context import use_shop
from storefront.tasks.queue import SHOP_KWARG

P = ParamSpec("P")
R = TypeVar("R")

_worker_app: Flask | None = None
_worker_app_lock = threading.Lock()


def worker_app() -> Flask:
    """The app an RQ worker process runs jobs in: built once from the environment."""
    global _worker_app
    with _worker_app_lock:
        if _worker_app is None:
            from storefront import create_app

            _worker_app = create_app()
        return _worker_app


def job(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a job entry point: it runs in the caller's app context or the worker's app, in the
    context of the shop that enqueued it (the ``_shop`` keyword the job seam adds)."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        shop = kwargs.pop(SHOP_KWARG, None)
        with use_shop(str(shop)) if shop is not None else nullcontext():
            if has_app_context():
                return func(*args, **kwargs)
            with worker_app().app_context():
                return func(*args, **kwargs)

    return run
