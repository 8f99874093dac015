from django_tasks import task


@task()
def tick() -> None:
    """Nothing to do."""
