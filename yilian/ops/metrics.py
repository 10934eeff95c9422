"""Prometheus metrics: requests, latency, queue depth, job outcomes.

Under gunicorn each worker is its own process, so counters go through prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by ``yilian production``); ``/metrics`` then adds up
every process's files. Queue depth and job states are read at scrape time, so they hold across machines.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("yilian_http_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram("yilian_http_request_duration_seconds", "Time to serve a request", ["route"],
                    buckets=(0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10))
TASK_ERRORS = Counter("yilian_task_errors_total", "Background tasks that raised", ["task"])


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


class StateCollector:
    """Numbers read from the queue and the database when Prometheus scrapes, not counted in a process."""

    def collect(self):
        from .health import queue_depth
        from .jobs import job_states

        depth = GaugeMetricFamily("yilian_queue_depth", "Tasks waiting in the job queue")
        try:
            depth.add_metric([], queue_depth())
        except Exception:  # noqa: BLE001 — a scrape must not fail because the queue is down
            depth.add_metric([], float("nan"))
        yield depth
        jobs = GaugeMetricFamily("yilian_jobs", "Background jobs by kind and state", labels=["kind", "status"])
        for (kind, status), count in sorted(job_states().items()):
            jobs.add_metric([kind, status], count)
        yield jobs


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_state_registry())
    return body, CONTENT_TYPE_LATEST


def _state_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector())
    return registry
