"""Fault injection for /v2/* requests: 429 RATE_LIMITED, 500/503, and added latency.

A rule matches on path prefix (and optionally method). Among matching requests it fires for the
first ``times`` (if set), on every ``every``-th (if set), with ``probability`` (if set), or always
when none of these is given. The first firing rule decides the response; latency rules only delay.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_KINDS = frozenset({"rate_limit", "server_error", "latency"})


class FaultRuleError(ValueError):
    """A rule the control API cannot accept."""


@dataclass
class FaultRule:
    path_prefix: str = "/v2/"
    kind: str = "rate_limit"
    method: str | None = None
    times: int | None = None
    every: int | None = None
    probability: float | None = None
    latency_ms: int = 0
    status: int = 500
    retry_after: int | None = None
    matched: int = 0
    fired: int = 0

    @classmethod
    def from_json(cls, raw: Any) -> FaultRule:
        if not isinstance(raw, dict):
            raise FaultRuleError("each rule must be an object")
        unknown = set(raw) - {"path_prefix", "kind", "method", "times", "every", "probability", "latency_ms",
                              "status", "retry_after"}
        if unknown:
            raise FaultRuleError(f"unknown rule fields: {sorted(unknown)}")
        rule = cls(**raw)
        if rule.kind not in FAULT_KINDS:
            raise FaultRuleError(f"kind must be one of {sorted(FAULT_KINDS)}")
        if not isinstance(rule.path_prefix, str) or not rule.path_prefix.startswith("/"):
            raise FaultRuleError("path_prefix must start with /")
        if rule.kind == "server_error" and rule.status not in (500, 502, 503, 504):
            raise FaultRuleError("server_error status must be 500, 502, 503 or 504")
        for name in ("times", "every", "latency_ms", "retry_after"):
            value = getattr(rule, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise FaultRuleError(f"{name} must be a non-negative integer")
        if rule.probability is not None and not (isinstance(rule.probability, int | float)
                                                 and 0 <= rule.probability <= 1):
            raise FaultRuleError("probability must be between 0 and 1")
        rule.method = rule.method.upper() if rule.method else None
        return rule

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and (self.method is None or self.method == method)


@dataclass
class FaultDecision:
    """What to do with a request: sleep first, then maybe answer with an error instead."""

    latency_ms: int = 0
    error: FaultRule | None = None


@dataclass
class FaultInjector:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 7

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def replace(self, raw_rules: list[Any]) -> list[dict[str, Any]]:
        rules = [FaultRule.from_json(raw) for raw in raw_rules]
        with self._lock:
            self.rules = rules
        return self.describe()

    def clear(self) -> None:
        with self._lock:
            self.rules = []

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self.rules]

    def decide(self, method: str, path: str) -> FaultDecision:
        decision = FaultDecision()
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                rule.matched += 1
                if not self._fires(rule):
                    continue
                rule.fired += 1
                if rule.kind == "latency":
                    decision.latency_ms += rule.latency_ms
                elif decision.error is None:
                    decision.error = rule
        return decision

    def _fires(self, rule: FaultRule) -> bool:
        if rule.times is not None and rule.fired >= rule.times:
            return False
        if rule.every is not None and rule.every > 0 and rule.matched % rule.every != 0:
            return False
        return rule.probability is None or self._rng.random() < rule.probability
