"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
from typing import cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms, template
from django.conf import settings
from django.template.base import Variable, render_value_in_context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.templatetags.i18n import TranslateNode, do_translate
from django.templatetags.static import StaticNode
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.core import constant_urls, downloads, lists
from portal.core import selectors as core_selectors
from portal.core.access import ROLE_LABELS, Role
from portal.core.changes.forms import carried_name
from portal.core.changes.sealing import seal
from portal.core.contrib import customer_page
from portal.core.operations import operation_label
from portal.core.rendering import fields_markup
from portal.core.rendering import hidden_inputs as hidden_inputs_markup
from portal.core.vocabulary import CONTRACT_ENUMS, full_name, kept_per_language, name_of
from portal.core.vocabulary import labelled as labelled_text

register = template.Library()


class _ConstantURLNode(URLNode):
    """Django's `{% url %}`, but a URL without arguments is made once (`portal.core.constant_urls.url`)."""

    def render(self, context) -> str:
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:  # the current app as Django's tag finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = constant_urls.url(view_name, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token) -> _ConstantURLNode:
    """`{% url %}` in every template that loads this library (the frame and the pages): Django's tag, written the
    same way, whose URLs without arguments are made once per process (`portal.core.constant_urls`); with
    arguments it reverses each time, as Django's does."""
    node = django_url(parser, token)
    return _ConstantURLNode(node.view_name, node.args, node.kwargs, node.asvar)


class _ConstantTranslateNode(TranslateNode):
    """Django's `{% translate %}`; a message written in the tag itself (a quoted text, no variable, no filter, a
    quoted context if any) is read from the catalogues once per language and kept with the node (the cached
    template's), instead of once per page drawn."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        var, given = self.filter_expression.var, self.message_context
        self.constant = (
            isinstance(var, Variable)
            and var.literal is not None
            and not self.filter_expression.filters
            and (given is None or (not given.filters and not isinstance(given.var, Variable)))
        )
        self.texts: dict = kept_per_language() if self.constant else {}

    def render(self, context):
        if not self.constant:
            return super().render(context)
        key = (get_language(), context.autoescape)
        value = self.texts.get(key)
        if value is None:
            value = self.texts[key] = self.text(context)
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value

    def text(self, context):
        """What Django's node draws (or sets `as` a variable)."""
        self.filter_expression.var.translate = not self.noop
        if self.message_context:
            self.filter_expression.var.message_context = self.message_context.resolve(context)
        value = render_value_in_context(self.filter_expression.resolve(context), context)
        is_safe = isinstance(value, SafeData)
        value = value.replace(
            "%%", "%"
        )  # percent signs in template text are doubled, as Django restores them
        return mark_safe(value) if is_safe else value


@register.tag("translate")
@register.tag("trans")
def translate(parser, token) -> _ConstantTranslateNode:
    """`{% translate %}` in every template that loads this library after `i18n`: Django's tag, written the same
    way, whose quoted messages are read once per language (`_ConstantTranslateNode`)."""
    node = do_translate(parser, token)
    return _ConstantTranslateNode(
        node.filter_expression, node.noop, asvar=node.asvar, message_context=node.message_context
    )


class _ConstantStaticNode(StaticNode):
    """Django's `{% static %}`, its URL made once per path (`portal.core.constant_urls.static`)."""

    def url(self, context) -> str:
        return constant_urls.static(self.path.resolve(context))


@register.tag
def static(parser, token) -> _ConstantStaticNode:
    """`{% static %}` in every template that loads this library after `static`: Django's tag, whose URLs are made
    once per process and storage (`portal.core.constant_urls`)."""
    return cast(_ConstantStaticNode, _ConstantStaticNode.handle_token(parser, token))


@register.simple_tag
def fields(form_or_fields) -> SafeString:
    """Every field of a form (or of `form.visible_fields`), each with its label, help text and errors: the one way
    a page draws a form's fields (portal/core/rendering.py: field_markup)."""
    return fields_markup(form_or_fields)


@register.simple_tag
def last_full_sync_at() -> dt.datetime | None:
    """When the last full resync finished (None before the first): the freshness line of every list read from
    the portal's copy (components/_list_lead.html) reads it here, so that no page says "no full sync has
    finished" because its view did not pass it."""
    return core_selectors.last_full_sync_at()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string, as the page's links carry it on (portal.core.lists.carried_query), with some
    parameters replaced (None or "" removes one)."""
    return lists.replaced_query(context["request"].GET, **changes)


@register.simple_tag(takes_context=True)
def save_view_url(context, title, query=None, export="") -> str:
    """Where the list on this page is saved as a view (the saved views room's form, given the list's signed
    address: `portal.core.lists.address_token`), with its `query` (by default the list's, `list.query`) and the
    address of its `export`, if it has one; "" where no room saves views or the page is no list."""
    request, state = context.get("request"), context.get("list")
    query = query if query is not None else getattr(state, "query", None)
    if request is None or query is None or not getattr(request.user, "is_authenticated", False):
        return ""
    try:
        url = reverse("saved:save")
    except NoReverseMatch:
        return ""
    token = lists.address_token(path=request.path, query=query, title=str(title), export=str(export or ""))
    return f"{url}?{urlencode({'view': token})}"


@register.simple_tag
def download_url(url: str, query: str = "", **values: str) -> str:
    """The address of one file of an export (`portal.core.downloads.download_url`): components/_downloads.html."""
    return downloads.download_url(url or "", query or "", **values)


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
    """An operation's name in words; its operationId only for machines (`data-operation`), never on hover, where
    a person would read it."""
    return format_html(
        '<span class="operation" data-operation="{}">{}</span>', operation_id, operation_label(operation_id)
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
def hidden_inputs(values, name: str = "") -> SafeString:
    """Hidden inputs drawn in Python (`rendering.hidden_inputs`): `keys|hidden_inputs:"keys"` one for each value
    under that name, `pairs|hidden_inputs` one for each (name, value)."""
    return hidden_inputs_markup(((name, value) for value in values) if name else values)


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
