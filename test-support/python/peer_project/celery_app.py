"""The fixture app, configured from the environment.

LOVAGE_PEER_BROKER_URL    broker URL (default redis://127.0.0.1:6379/0)
LOVAGE_PEER_RESULT_BACKEND result backend URL (default: the broker URL)
LOVAGE_PEER_KEY_PREFIX    kombu's global_keyprefix: prepended to every broker
                          key and pub/sub channel, which isolates one test's
                          queues, bindings, events and pidbox from another's.
                          Celery 5.2's Redis result backend has no such prefix:
                          result keys are per task id and unique anyway.
LOVAGE_PEER_QUEUE         the default queue (default "celery")
LOVAGE_PEER_RESULT_EXTENDED "1" stores name/args/kwargs/worker with results
LOVAGE_PEER_VISIBILITY_TIMEOUT kombu's visibility_timeout in seconds (default
                          kombu's 3600): a worker restores unacked messages
                          older than this when it starts.
LOVAGE_PEER_PREFETCH      worker_prefetch_multiplier (default 1, see below;
                          the bench uses Celery's default, 4)
LOVAGE_PEER_QUIET_TASKS   "1" stops the per-task "received"/"succeeded" log
                          lines while keeping "ready." (a bench at -l info)
"""
import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

broker_url = os.environ.get('LOVAGE_PEER_BROKER_URL', 'redis://127.0.0.1:6379/0')
key_prefix = os.environ.get('LOVAGE_PEER_KEY_PREFIX', '')
transport_options = {}
if key_prefix:
    transport_options['global_keyprefix'] = key_prefix
if os.environ.get('LOVAGE_PEER_VISIBILITY_TIMEOUT'):
    transport_options['visibility_timeout'] = float(os.environ['LOVAGE_PEER_VISIBILITY_TIMEOUT'])

app = Celery('peer_project', include=['peer_project.tasks'])
app.conf.update(
    broker_url=broker_url,
    result_backend=os.environ.get('LOVAGE_PEER_RESULT_BACKEND', broker_url),
    broker_transport_options=transport_options,
    task_default_queue=os.environ.get('LOVAGE_PEER_QUEUE', 'celery'),
    result_extended=os.environ.get('LOVAGE_PEER_RESULT_EXTENDED') == '1',
    # Results of a test run should not outlive it by long; an hour is plenty.
    result_expires=3600,
    # A worker started by a test holds one message at a time, so a test that
    # stops it leaves the rest of its queue where it can see them.
    worker_prefetch_multiplier=int(os.environ.get('LOVAGE_PEER_PREFETCH') or 1),
    broker_connection_retry_on_startup=True,
)


@after_setup_logger.connect
def _quiet_task_lines(**_kwargs):
    if os.environ.get('LOVAGE_PEER_QUIET_TASKS') == '1':
        for name in ('celery.app.trace', 'celery.worker.strategy'):
            logging.getLogger(name).setLevel(logging.WARNING)
