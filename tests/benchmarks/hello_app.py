"""The bare Flask baseline for bench_pages: one JSON hello-world route (``gunicorn tests.benchmarks.hello_app:app``)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> dict[str, str]:
    return {"hello": "world"}
