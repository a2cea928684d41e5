"""The entry point Celery's `-A payymo.worker` finds: the app, configured from the environment."""

from payymo.worker.app import celery_app, configure_from_environment

app = celery_app
configure_from_environment()

__all__ = ["app"]
