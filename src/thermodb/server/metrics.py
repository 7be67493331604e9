"""Prometheus metrics of one app (its own registry, so several apps can share a process)."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "MetricsMiddleware"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "thermodb_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.ingested = Counter(
            "thermodb_ingested_records_total", "Records written by ingest", registry=self.registry
        )
        self.mcp_calls = Counter(
            "thermodb_mcp_tool_calls_total", "MCP tool calls", ["tool", "outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.rate_limit_errors = Gauge(
            "thermodb_rate_limit_backend_errors_total",
            "Times the shared rate-limit store was unreachable",
            registry=self.registry,
        )


class MetricsMiddleware:
    """Times every HTTP request, labelled by its route template (never the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                "/mcp" if scope["path"].startswith("/mcp") else "unmatched"
            )
            self.metrics.latency.labels(scope["method"], template, str(status["code"])).observe(
                time.perf_counter() - start
            )
