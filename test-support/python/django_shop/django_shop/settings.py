"""Settings of the django_shop fixture, read from the environment.

DATABASE_URL              postgresql://user@host:port/name (required)
CELERY_BROKER_URL         the broker (default redis://127.0.0.1:6379/0)
CELERY_RESULT_BACKEND     the result backend (default: the broker URL)
CELERY_KEY_PREFIX         kombu's global_keyprefix, which isolates one test's
                          queues, bindings, events and pidbox from another's
CELERY_TASK_DEFAULT_QUEUE the queue tasks are sent to (default "celery")
"""
import os
from urllib.parse import unquote, urlsplit

SECRET_KEY = 'django-shop-fixture-not-a-secret'
DEBUG = False
ALLOWED_HOSTS = ['*']
USE_TZ = True
TIME_ZONE = 'UTC'
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'

INSTALLED_APPS = [
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'accounts',
]


def _database(url):
    parts = urlsplit(url)
    return {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': unquote(parts.path.lstrip('/')),
        'USER': unquote(parts.username or ''),
        'PASSWORD': unquote(parts.password or ''),
        'HOST': parts.hostname or '',
        'PORT': str(parts.port or ''),
    }


DATABASES = {'default': _database(os.environ['DATABASE_URL'])}

CELERY_BROKER_URL = os.environ.get('CELERY_BROKER_URL', 'redis://127.0.0.1:6379/0')
CELERY_RESULT_BACKEND = os.environ.get('CELERY_RESULT_BACKEND', CELERY_BROKER_URL)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get('CELERY_TASK_DEFAULT_QUEUE', 'celery')
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {'global_keyprefix': os.environ['CELERY_KEY_PREFIX']} if os.environ.get('CELERY_KEY_PREFIX') else {}
)
CELERY_RESULT_EXPIRES = 3600
