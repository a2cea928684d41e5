"""Background processing: `celery -A payymo.worker worker` and `celery -A payymo.worker beat`.

Celery finds the app in `payymo.worker.celery`, which configures it from the environment (the
same settings as the web app). The web app configures it for its own settings instead
(`payymo.worker.app.configure`), and runs tasks in-process when there is no broker.
"""
