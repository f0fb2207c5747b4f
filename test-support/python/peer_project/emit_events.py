"""Sends the task events of `count` tasks through Celery's own EventDispatcher,
as fast as it goes: the Celery ingest bench's event source.

Each task gets task-received, task-started and task-succeeded from one worker
node, buffered into task.multi messages of `buffer_limit` events as a worker
on an event loop sends them (Celery's default limit is 24); every 20th task
fails instead, with a traceback. Ids are `<run>-<offset + i>`.

Usage: python -m peer_project.emit_events <run> <offset> <count> <hostname> [buffer_limit]
Prints {"events": N, "started": <epoch s>, "seconds": <time spent sending>} on its last line.
"""
import json
import sys
import time

from .celery_app import app

TRACEBACK = (
    'Traceback (most recent call last):\n'
    '  File "/srv/proj/tasks.py", line 12, in charge\n'
    '    raise CardDeclined(order_id)\n'
    'proj.tasks.CardDeclined: {order}\n'
)


def main(run, offset, count, hostname, buffer_limit):
    events = 0
    with app.connection_for_write() as connection:
        dispatcher = app.events.Dispatcher(
            connection, hostname=hostname, buffer_group=['task'], buffer_limit=buffer_limit)
        started = time.time()
        for i in range(offset, offset + count):
            uuid = '%s-%d' % (run, i)
            name = 'proj.tasks.step%d' % (i % 20)
            dispatcher.send('task-received', uuid=uuid, name=name, args='(%d,)' % i, kwargs='{}',
                            root_id=uuid, parent_id=None, retries=0, eta=None, expires=None)
            dispatcher.send('task-started', uuid=uuid)
            if i % 20 == 7:
                dispatcher.send('task-failed', uuid=uuid, exception="CardDeclined('%d')" % i,
                                traceback=TRACEBACK.format(order=i))
            else:
                dispatcher.send('task-succeeded', uuid=uuid, result=repr({'order': i}), runtime=0.004)
            events += 3
        dispatcher.flush()
        seconds = time.time() - started
        dispatcher.close()
    print(json.dumps({'events': events, 'started': started, 'seconds': seconds}))
    return 0


if __name__ == '__main__':
    limit = int(sys.argv[5]) if len(sys.argv) > 5 else 24
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], limit))
