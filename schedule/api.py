"""The scheduled changes' area of the portal's API (portal/core/api/): the Scheduled changes page's agenda as
JSON, with its filters and its pages (the agenda's cursor: `next` is the query of the next page)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from portal.core.api import ApiArea, ErrorOut
from portal.core.api.lists import CUSTOMER_FILTERS, refuse_unless_valid
from portal.core.api.schemas import schema_from_form
from schedule import selectors
from schedule.forms import ScheduleFilterForm
from schedule.permissions import VIEW_SCHEDULE
from schedule.sources import schedule_sources

router = Router()
AREA = ApiArea(
    key="schedule",
    label=_("Scheduled changes"),
    read=VIEW_SCHEDULE,
    router=router,
    prefix="scheduled-changes",
    order=40,
)


class ScheduledOut(Schema):
    date: dt.date
    kind: str
    kind_label: str
    domain_id: int
    company_name: str
    summary: str
    deadline: dt.date
    deadline_soon: bool
    page: str
    uid: str


class NextPage(Schema):
    date_from: dt.date
    after: str


class AgendaOut(Schema):
    total: int
    capped: bool
    date_from: dt.date | None
    date_to: dt.date | None
    results: list[ScheduledOut]
    next: NextPage | None


AgendaQuery = schema_from_form(ScheduleFilterForm, "AgendaQuery", leave_out=("view", "month"), required=False)


@router.get(
    "",
    auth=AREA.reads,
    response={200: AgendaOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    url_name="scheduled_changes",
    summary="Upcoming scheduled changes, a page at a time, as the Scheduled changes page's agenda",
    openapi_extra={CUSTOMER_FILTERS: True},
)
def agenda(request: HttpRequest, filters: Query[AgendaQuery]):  # type: ignore[valid-type]
    """The next page: the same query with `date_from` and `after` from `next`."""
    kinds = [(s.key, s.label) for s in schedule_sources(user=request.user)]
    form = ScheduleFilterForm(request.GET, kinds=kinds, user=request.user)
    form.fields.pop("view")
    form.fields.pop("month")
    refuse_unless_valid(request, form)
    result = selectors.agenda(user=request.user, filters=form.to_filters())
    items = [item for _day, day_items in result["days"] for item in day_items]
    return {
        "total": result["total"],
        "capped": result["capped"],
        "date_from": result["date_from"],
        "date_to": result["date_to"],
        "results": [
            {
                "date": i.date,
                "kind": i.kind,
                "kind_label": i.kind_label,
                "domain_id": i.domain_id,
                "company_name": i.company_name,
                "summary": i.summary,
                "deadline": i.deadline,
                "deadline_soon": i.deadline_soon,
                "page": i.url,
                "uid": i.uid,
            }
            for i in items
        ],
        "next": {"date_from": result["next_from"], "after": result["next_after"]}
        if result["next_from"]
        else None,
    }
