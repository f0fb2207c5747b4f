"""Tasks the interoperability tests send to, or expect from, a Python worker."""
import time

from .celery_app import app


@app.task(name='peer.noop')
def noop():
    """Does nothing: the bench's task, so a run measures the queue, not the work."""


@app.task(name='peer.add')
def add(x, y):
    return x + y


class PeerTaskError(Exception):
    """Raised on purpose by peer.fail, so a test can check the failure's type."""


@app.task(name='peer.fail')
def fail(message):
    raise PeerTaskError(message)


@app.task(name='peer.retry', bind=True, max_retries=5)
def retry(self, times):
    """Retries itself `times` times (at once), then returns how often it ran."""
    if self.request.retries < times:
        raise self.retry(countdown=0)
    return self.request.retries + 1


@app.task(name='peer.sleep')
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name='peer.describe')
def describe(*args, **kwargs):
    """Returns what arrived, with each value's Python type, so a test can see
    how a message encoded in TypeScript was decoded by kombu."""
    return {
        'args': list(args),
        'kwargs': kwargs,
        'arg_types': [type(a).__name__ for a in args],
        'kwarg_types': {k: type(v).__name__ for k, v in kwargs.items()},
    }


@app.task(name='peer.trace_headers', bind=True)
def trace_headers(self):
    """Returns the trace context headers the request carries, read the way
    OpenTelemetry's Celery instrumentation reads them (request attributes)."""
    return {name: getattr(self.request, name, None) for name in ('traceparent', 'tracestate')}
