"""The Celery app, its queues, routes and reliability settings.

Every task is acknowledged late (after it ran), so a worker that dies mid-task leaves its
message to be redelivered; with Redis that happens once the visibility timeout has passed.
Without a broker (`TASKS_EAGER`, the default when REDIS_URL is empty) tasks run in-process,
right where they are enqueued (after the enqueuing transaction committed).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

import payymo.models  # noqa: F401 - every model mapped, as tasks touch them all
from payymo.logs import configure_logging
from payymo.settings import Settings, load_settings

QUEUES = ("sync", "reconcile", "post", "notify", "default")
ROUTES: dict[str, str] = {}  # task name -> queue, filled as tasks register


def route(name: str, *_args: Any, **_kwargs: Any) -> dict[str, str]:
    """Celery router: each task to the queue it was registered for."""
    return {"queue": ROUTES.get(name, "default")}


celery_app = Celery(
    "payymo",
    include=[
        "payymo.worker.tasks",
        "payymo.worker.schedule",
        "payymo.events.tasks",
        "payymo.worker.maintenance",
        "payymo.webhooks.tasks",
    ],
)


def configure(settings: Settings) -> Celery:
    """Point the Celery app at `settings` (broker, eagerness, schedule)."""
    from payymo.worker.schedule import beat_schedule  # noqa: PLC0415 - schedule imports tasks

    for module in celery_app.conf.include:  # registered in this process too, for eager runs
        importlib.import_module(module)

    eager = settings.effective_tasks_eager
    previous = celery_app.conf.get("payymo_settings")
    if isinstance(previous, Settings) and previous.redis_url != settings.redis_url:
        _forget_connections()
    celery_app.conf.update(
        broker_url=settings.redis_url or "memory://",
        result_backend=settings.redis_url or None,
        result_expires=24 * 3600,
        task_ignore_result=False,
        task_always_eager=eager,
        task_eager_propagates=False,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": settings.task_visibility_timeout_seconds,
        },
        result_backend_transport_options={
            "visibility_timeout": settings.task_visibility_timeout_seconds,
        },
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]
            for name in QUEUES
        ],
        task_default_queue="default",
        task_routes=(route,),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule=beat_schedule(settings),
    )
    celery_app.conf["payymo_settings"] = settings
    return celery_app


def _forget_connections() -> None:
    """Drop the broker pool and result backend made for the old settings (one process that is
    configured twice, e.g. tests building apps with and without Redis)."""
    celery_app._pool = None
    celery_app._backend_cache = None
    celery_app._local = threading.local()
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def configure_from_environment() -> Celery:
    """The worker's and beat's configuration: the environment, as the web app reads it."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return configure(settings)


def current_settings() -> Settings:
    settings = celery_app.conf.get("payymo_settings")
    if not isinstance(settings, Settings):
        return configure_from_environment().conf["payymo_settings"]  # type: ignore[no-any-return]
    return settings
