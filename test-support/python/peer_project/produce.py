"""Sends `count` peer.noop messages from one process, through one producer
(one connection), as fast as kombu takes them: the Celery bench's producer.

Usage: python -m peer_project.produce <count>
Prints {"ids": [...], "seconds": <time spent sending>} on its last line.
"""
import json
import sys
import time

from .celery_app import app
from .tasks import noop


def main(count):
    ids = []
    start = time.monotonic()
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            ids.append(noop.apply_async(producer=producer).id)
    print(json.dumps({'ids': ids, 'seconds': time.monotonic() - start}))
    return 0


if __name__ == '__main__':
    sys.exit(main(int(sys.argv[1])))
