"""The seed's Django shop: users sign up in a transaction and their welcome
email is sent after it commits; payments are charged in the background.

The Celery app is imported here, as Celery's Django guide does, so that
`shared_task` and `.delay()` use it as soon as Django starts.
"""
from .celery import app as celery_app

__all__ = ('celery_app',)
