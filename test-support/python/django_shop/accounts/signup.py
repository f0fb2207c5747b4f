"""Signing up, the seed's way: the user is created in a transaction and the
welcome email is sent only once that transaction has committed."""
from django.contrib.auth.models import User
from django.db import transaction

from .tasks import send_welcome_email


def sign_up(username, email, sent, fail_with=None):
    """Creates the user and, on commit, sends send_welcome_email(user.id),
    appending its AsyncResult to `sent`. Raising `fail_with` inside the
    transaction rolls it back: nothing is sent."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email)
        transaction.on_commit(lambda: sent.append(send_welcome_email.delay(user.id)))
        if fail_with is not None:
            raise fail_with
    return user
