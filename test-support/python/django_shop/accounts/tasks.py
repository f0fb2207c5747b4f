"""The shop's background tasks, declared by name only: a Lovage worker
implements them in TypeScript. Were a Python worker to receive one, it would
say so instead of pretending to do the work."""
from celery import shared_task


class RunsInTypeScript(NotImplementedError):
    """These tasks are implemented by the Lovage worker."""


@shared_task(name='accounts.tasks.send_welcome_email')
def send_welcome_email(user_id):
    raise RunsInTypeScript('send_welcome_email')


@shared_task(name='accounts.tasks.charge_payment')
def charge_payment(order_id, amount):
    raise RunsInTypeScript('charge_payment')


@shared_task(name='accounts.tasks.charge_declined')
def charge_declined(order_id, amount):
    raise RunsInTypeScript('charge_declined')
