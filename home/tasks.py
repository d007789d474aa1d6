"""The home room's task: the morning digest (beat: contributed in home/apps.py)."""

from celery import shared_task


@shared_task(name="home.digest.send_daily", ignore_result=True)
def digest_send_daily() -> int:
    """Daily (beat): each Account manager's digest of the decisions whose deadline is near."""
    from home import digest

    return digest.digest_send_all()
