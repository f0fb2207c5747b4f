"""A small Celery project that Lovage's tests run as a real Python peer.

Everything that varies between tests comes from the environment (see
celery_app.py), so parallel test files can share one Redis server without
seeing each other's queues, bindings, events or control messages.
"""
from .celery_app import app

__all__ = ('app',)
