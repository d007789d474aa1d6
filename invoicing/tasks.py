"""The invoicing app's tasks, for the worker's autodiscovery (each declared beside the code it runs)."""

from invoicing.notices import overdue_tell_task
from invoicing.services import (
    month_issue_task,
    month_send_task,
    pdf_chunk_render_task,
    records_export_task,
    reminders_send_task,
)

__all__ = [
    "month_issue_task",
    "month_send_task",
    "overdue_tell_task",
    "pdf_chunk_render_task",
    "records_export_task",
    "reminders_send_task",
]
