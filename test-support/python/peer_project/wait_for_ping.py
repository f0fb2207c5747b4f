"""Waits until a worker answers a pidbox ping: the readiness check of the test
harness. A worker logs "ready." before its event loop has subscribed to the
pidbox channel, so the log line alone does not mean it can be controlled.

Usage: python -m peer_project.wait_for_ping <node name> <seconds>
"""
import json
import sys
import time

from .celery_app import app


def main(node, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=[node], timeout=0.5)
        if replies:
            print(json.dumps(replies))
            return 0
    print(f'no ping reply from {node} within {seconds} s', file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], float(sys.argv[2])))
