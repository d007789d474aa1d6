"""The worklists' area of the portal's API (portal/core/api/): the home page's worklist sections the token's
owner sees, and each section's full list with its paging, as on its page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from home import worklist
from home.lists import WORK_LIST, work_list_spec
from portal.core.api import ApiArea, ErrorOut, list_answer, paged
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.permissions import USE_PORTAL

router = Router()
AREA = ApiArea(key="worklists", label=_("Worklists"), read=USE_PORTAL, router=router, order=5)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class SectionOut(Schema):
    key: str
    title: str
    help: str
    count: int
    capped: bool
    decision: bool
    day_label: str


class WorkItemOut(Schema):
    customer: str
    text: str
    day: dt.date | None
    figure: str
    badge: str
    page: str
    form: str
    key: str
    uid: str


def item_row(item: worklist.WorkItem) -> dict:
    return {  # a section's words may be lazy (translated when read): read here, in the request's language
        "customer": str(item.customer),
        "text": str(item.text),
        "day": item.day,
        "figure": str(item.figure),
        "badge": str(item.badge),
        "page": item.url,
        "form": item.change_url,
        "key": item.bulk_key,
        "uid": item.uid,
    }


@router.get(
    "",
    auth=AREA.reads,
    response={200: list[SectionOut], **READ_ERRORS},
    url_name="worklists",
    summary="The worklist sections you see, with how many items each has (everyone's work)",
)
def worklist_sections(request: HttpRequest):
    found = worklist.worklist_for(request.user)
    return [
        {
            "key": entry["section"].key,
            "title": str(entry["section"].title),
            "help": str(entry["section"].help),
            "count": entry["count"],
            "capped": entry["capped"],
            "decision": entry["section"].decision,
            "day_label": str(entry["section"].day_label),
        }
        for entry in sorted(found, key=lambda e: (e["section"].order, e["section"].key))
    ]


WorkQuery = query_schema(WORK_LIST, "WorkQuery")


@router.get(
    "/{key}",
    auth=AREA.reads,
    response={200: paged(WorkItemOut, "WorkItemPage"), **READ_ERRORS},
    url_name="worklist",
    summary="One worklist section's items, paged as its full list",
    openapi_extra={CUSTOMER_FILTERS: True},
)
def worklist_items(request: HttpRequest, key: str, filters: Query[WorkQuery]):  # type: ignore[valid-type]
    section = worklist.section_for(request.user, key)

    def read(state):
        return worklist.section_page(
            section,
            request.user,
            customers=state.filters,
            sort=state.sort,
            page=state.page,
            per_page=state.per_page,
        )

    return list_answer(request, work_list_spec(section), read, row=item_row)
