"""WSGI entry point: `gunicorn payymo.wsgi:app`."""

from payymo.app import create_app

app = create_app()
