"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms, template
from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal.core.access import ROLE_LABELS, Role
from portal.core.changes.forms import carried_name
from portal.core.changes.sealing import seal
from portal.core.contrib import customer_page
from portal.core.lists import carried_query
from portal.core.operations import operation_label
from portal.core.rendering import fields_markup
from portal.core.vocabulary import CONTRACT_ENUMS, full_name, name_of
from portal.core.vocabulary import labelled as labelled_text

register = template.Library()


@register.simple_tag
def fields(form_or_fields) -> SafeString:
    """Every field of a form (or of `form.visible_fields`), each with its label, help text and errors: the one way
    a page draws a form's fields (portal/core/rendering.py: field_markup)."""
    return fields_markup(form_or_fields)


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string, as the page's links carry it on (portal.core.lists.carried_query), with some
    parameters replaced (None or "" removes one)."""
    query = carried_query(context["request"].GET)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag
def download_url(url: str, query: str = "", **values: str) -> str:
    """The address of one file of an export (components/_downloads.html): `url` with the page's `query` (as
    query_replace gives it) and `values` set, such as format="xlsx" or encoding="cp932"."""
    params = QueryDict(query, mutable=True)
    for key, value in values.items():
        params[key] = value
    encoded = params.urlencode()
    return f"{url}?{encoded}" if encoded else url


@register.filter
def business_dt(value: dt.datetime | None, fmt: str = "Y-m-d H:i") -> str:
    """A stored UTC timestamp shown in the business time zone."""
    if not value:
        return ""
    local = timezone.localtime(value, ZoneInfo(settings.BUSINESS_TIME_ZONE))
    return zone_labelled(formats.date_format(local, fmt))


def zone_labelled(when: str) -> str:
    """A business-time timestamp labelled with its zone ("2026-11-02 12:00 JST"; in Japanese 日本時間)."""
    if settings.BUSINESS_TIME_ZONE == "Asia/Tokyo":
        return _("%(when)s JST") % {"when": when}
    return f"{when} {settings.BUSINESS_TIME_ZONE}"


@register.filter
def operation(operation_id: str) -> SafeString:
    """An operation's name in words, with its operationId on hover."""
    return format_html(
        '<span class="operation" title="{}">{}</span>', operation_id, operation_label(operation_id)
    )


@register.filter
def person_name(user) -> str:
    """A portal user's name as the reader's language writes it (family name first in Japanese: 佐藤 愛子), or ""
    when they have none (``{{ user|person_name|default:user.username }}``)."""
    if user is None:
        return ""
    return full_name(given=getattr(user, "first_name", ""), family=getattr(user, "last_name", ""))


@register.filter
def named(code, schema: str) -> str:
    """An API value by its name in the reader's language: ``{{ p.product_id|named:"PotentialCustomerProductId" }}``,
    the contract's enum schema saying which of the vocabulary's lists names it (portal/core/vocabulary.py)."""
    return name_of(str(code or ""), *CONTRACT_ENUMS[schema]) if code else ""


@register.filter
def customer_url(domain_id: int | None) -> str:
    """The address of a customer's page (the app that shows customers names it: contrib's `customer_page`), or
    "" when there is none to link to."""
    name = customer_page()
    return reverse(name, args=[domain_id]) if name and domain_id is not None else ""


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """A duration a person reads: "51 s", "3 min 5 s", "2 h 4 min" (never 0:00:51.010474)."""
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}


@register.filter
def role_label(value: str) -> str:
    """A role's name (from its value) in the active language; "" for none."""
    return str(ROLE_LABELS[Role(value)]) if value in Role._value2member_map_ else ""


@register.filter
def status_badge(value: str) -> str:
    return f"badge badge-{value}" if value else "badge"


@register.filter
def error_anchor(field) -> str:
    """The id the error summary links a field's error to: the field's control, or for a group of radios or
    checkboxes (a fieldset: no control has the field's own id) its first one, so the link moves the focus
    where the answer is typed."""
    if field.use_fieldset and field.auto_id:
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id or ""


@register.filter
def carried(field) -> str:
    """A form field carried as hidden input(s) to the next step (the confirmation page).

    `BoundField.as_hidden()` would keep the visible field's aria-describedby, pointing at a help text that is not
    on the page; the field's own hidden widget renders the same value without it.
    """
    attrs = {"id": field.auto_id} if field.auto_id else None
    if isinstance(field.field.widget, forms.PasswordInput):
        # A password is never written into a page: it goes on sealed (portal.core.changes.sealing).
        value = field.value()
        sealed = seal(str(value)) if value else ""
        return forms.HiddenInput().render(carried_name(field.html_name), sealed, attrs=attrs)
    return field.field.hidden_widget().render(field.html_name, field.value(), attrs=attrs)


class _LabelledNode(template.Node):
    def __init__(self, label: template.base.FilterExpression, nodelist: template.NodeList):
        self.label, self.nodelist = label, nodelist

    def render(self, context) -> SafeString:
        label = conditional_escape(self.label.resolve(context))
        value = self.nodelist.render(context).strip()  # escaped by the template's own autoescape
        return mark_safe(labelled_text(label, value))  # both parts escaped; the pattern is the catalogue's


@register.tag
def labelled(parser, token) -> _LabelledNode:
    """``{% labelled _("Now") %}…value…{% endlabelled %}``: "Now: …" in English, 「現在：…」 in Japanese, the pair
    joined by `portal.core.vocabulary.labelled` as in Python, so no template puts a space after a full-width
    colon by hand. With nothing inside, the label as a prefix: ``{% labelled _("Error") %}{% endlabelled %}`` is
    "Error: " or 「エラー：」 (a page title's mark of a form with errors)."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError('{% labelled %} takes one label: {% labelled _("Now") %}')
    nodelist = parser.parse(("endlabelled",))
    parser.delete_first_token()
    return _LabelledNode(parser.compile_filter(bits[1]), nodelist)
