#!/bin/sh
# Installs the real Python peers the interoperability tests run (Debian's
# Celery 5.2.6, kombu 5.2.4, redis-py, Django 3.2, psycopg2, py-amqp) when
# /usr/bin/python3 cannot import them. The tests use /usr/bin/python3 because a
# python3 earlier on PATH may be a separate install that does not see Debian's
# packages. Safe to run again: it does nothing when everything imports.
set -eu

PYTHON=/usr/bin/python3
MODULES='celery, kombu, redis, django, psycopg2, amqp'

if [ -x "$PYTHON" ] && "$PYTHON" -c "import $MODULES" 2>/dev/null; then
  exit 0
fi

SUDO=''
if [ "$(id -u)" -ne 0 ]; then SUDO='sudo'; fi

echo "install-peers: $PYTHON cannot import $MODULES; installing Debian's packages" >&2
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
  python3-celery python3-redis python3-django python3-psycopg2 python3-amqp

"$PYTHON" -c "import $MODULES; print('install-peers: celery', celery.__version__, 'kombu', kombu.__version__)"
