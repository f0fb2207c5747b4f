"""The shop's Celery app, configured from Django's settings (the CELERY_
namespace). Its workers may be Python or Lovage (TypeScript): the tasks are
declared by name in accounts/tasks.py and can run on either."""
import os

from celery import Celery

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'django_shop.settings')

app = Celery('django_shop')
app.config_from_object('django.conf:settings', namespace='CELERY')
app.autodiscover_tasks()
