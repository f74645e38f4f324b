"""Shared pieces of the benchmark scripts: free ports, processes that wait until they answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


@contextmanager
def sandbox_process(items: int, *, webhook_url: str | None = None, seed: int = 7) -> Iterator[str]:
    """The ECS sandbox in its own process (its own core), with ``items`` generated records."""
    port = free_port()
    cmd = [sys.executable, "-m", "storefront.ecs.sandbox", "--port", str(port), "--items", str(items),
           "--seed", str(seed)]
    if webhook_url:
        cmd += ["--webhook-url", webhook_url]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/_sandbox/state/summary", timeout=300)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)


def env_with(**values: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(values)
    return env


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    line = lambda r: " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False))  # noqa: E731
    return "\n".join([line(headers), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)])


def markdown_table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    """The same rows as a GitHub-flavoured Markdown table (``|`` in cells escaped)."""
    cell = lambda value: str(value).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def gunicorn_process(app_spec: str, env: dict[str, str], *, workers: int = 2, threads: int = 4,
                     worker_connections: int = 1000, ready_path: str = "/") -> Iterator[str]:
    """``gunicorn app_spec`` (gthread) on a free 127.0.0.1 port until the block ends; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "--worker-connections", str(worker_connections),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app_spec} exited with {proc.returncode} before answering")
            try:
                requests.get(base + ready_path, timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app_spec} did not answer within 60s") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
