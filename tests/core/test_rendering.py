"""How forms are drawn (portal/core/rendering.py): the plain <input> in Python with Django's own markup, every
form field through `{% fields %}`, a list's rows through `markup` (`format_html`'s escaping), and each page's user
read with their role in one query."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.test.html import parse_html
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from portal.core.access import Role
from portal.core.lists import DateInput
from portal.core.rendering import INPUT_TEMPLATES, FormRenderer, markup

WIDGETS = [
    forms.TextInput(attrs={"placeholder": 'Say "hi" & <go>', "autocomplete": "off"}),
    forms.TextInput(attrs={"type": "search", "maxlength": 200}),
    forms.NumberInput(attrs={"min": 1, "max": 10}),
    forms.EmailInput(),
    forms.URLInput(),
    forms.PasswordInput(render_value=True),
    forms.HiddenInput(),
    forms.CheckboxInput(),
    DateInput(),
    forms.TimeInput(),
]


@pytest.mark.parametrize("widget", WIDGETS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("value", [None, "", "a<b>&\"c'", "2026-11-23", True, 0])
def test_an_input_drawn_in_python_is_the_one_djangos_templates_draw(widget, value):
    attrs = {
        "id": "id_x",
        "aria-describedby": "id_x_helptext id_x_error",
        "required": True,
        "disabled": False,
    }
    django_html = widget.render("x", value, attrs=attrs, renderer=DjangoTemplates())
    fast_html = widget.render("x", value, attrs=attrs, renderer=FormRenderer())
    assert parse_html(fast_html) == parse_html(django_html)


def test_the_renderer_draws_inputs_without_a_template_and_leaves_the_rest_to_django(monkeypatch):
    """Not a copy of Django's output by accident: the input templates are never loaded, the others are."""
    loaded = []
    original = DjangoTemplates.get_template

    def get_template(self, name):
        loaded.append(name)
        return original(self, name)

    monkeypatch.setattr(DjangoTemplates, "get_template", get_template)
    renderer = FormRenderer()
    for widget in WIDGETS:
        widget.render("x", "v", renderer=renderer)
    assert loaded == []
    forms.Textarea().render("x", "v", renderer=renderer)
    forms.RadioSelect(choices=[("a", "A")]).render("x", "a", renderer=renderer)
    assert loaded and all(name not in INPUT_TEMPLATES for name in loaded)


class Sample(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="As on the contract & invoice", max_length=3)
    colour = forms.ChoiceField(
        label="Colour", choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect, help_text="Pick one"
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea)
    token = forms.CharField(widget=forms.HiddenInput, required=False)


def test_fields_label_describe_and_report_each_field():
    form = Sample({"name": "too long", "colour": "x", "token": "t"})
    html = engines["django"].from_string("{% load portal %}{% fields form %}").render({"form": form})
    expected = (
        '<div class="field field-invalid"><label for="id_name">Name &lt;b&gt; '
        '<span class="req" aria-hidden="true">*</span></label>'
        '<input type="text" name="name" value="too long" maxlength="3" required aria-invalid="true" '
        'aria-describedby="id_name_helptext id_name_error" id="id_name">'
        '<div class="help" id="id_name_helptext">As on the contract &amp; invoice</div>'
        '<div class="error" id="id_name_error"><p>{name_error}</p></div></div>'
        '<fieldset class="field field-group field-invalid" aria-describedby="id_colour_helptext id_colour_error">'
        '<legend>Colour <span class="req" aria-hidden="true">*</span></legend>{colour}'
        '<div class="help" id="id_colour_helptext">Pick one</div>'
        '<div class="error" id="id_colour_error"><p>{colour_error}</p></div></fieldset>'
        '<div class="field"><label for="id_note">Note</label>{note}</div>'
        '<input type="hidden" name="token" value="t" id="id_token">'
    ).format(
        name_error=form.errors["name"][0],
        colour=form["colour"],
        colour_error=form.errors["colour"][0],
        note=form["note"],
    )
    assert parse_html(html) == parse_html(expected)


def test_fields_of_a_list_of_bound_fields_draws_only_those():
    form = Sample()
    html = (
        engines["django"]
        .from_string("{% load portal %}{% fields form.visible_fields %}")
        .render({"form": form})
    )
    assert 'name="name"' in html and 'name="note"' in html and 'name="token"' not in html


def test_a_page_reads_its_user_and_their_role_in_one_query(client_as):
    """The sign-in backend reads the role with the user (the user joined to their groups): no
    query of the user's groups follows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(Role.SUPPORT)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/options/catalogue/")
    assert response.status_code == 200
    assert response.content.decode().count('data-role="support"') == 1
    assert not [q for q in ctx.captured_queries if 'FROM "auth_group"' in q["sql"]]
    assert len([q for q in ctx.captured_queries if 'FROM "auth_user"' in q["sql"]]) == 1


def test_a_role_changed_between_two_requests_is_read_afresh(client_as):
    from django.contrib.auth.models import Group

    client = client_as(Role.SUPPORT)
    assert client.get(reverse("billing:invoices")).status_code == 403
    user = Group.objects.get(name=Role.SUPPORT.group_name).user_set.get()
    user.groups.set([Group.objects.get(name=Role.FINANCE.group_name)])
    assert client.get(reverse("billing:invoices")).status_code == 200


def test_the_role_read_with_the_user_is_the_strongest_of_their_groups(db):
    """The backend's role, read from the user joined to their groups, is the one `role_of` gives the same user
    read plainly: the strongest role group, Admin for a superuser, none outside the role groups; an inactive
    user is not signed in at all."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts.backends import UserWithRoleBackend
    from portal.core.access import ROLE_ATTRIBUTE, role_of

    groups = {role: Group.objects.get_or_create(name=role.group_name)[0] for role in Role}
    other = Group.objects.create(name="Auditors")
    User = get_user_model()
    cases = {
        "two-roles": ([groups[Role.SUPPORT], other, groups[Role.FINANCE]], {}, Role.FINANCE),
        "no-role": ([other], {}, None),
        "no-group": ([], {}, None),
        "root": ([groups[Role.SUPPORT]], {"is_superuser": True}, Role.ADMIN),
    }
    backend = UserWithRoleBackend()
    for username, (member_of, flags, role) in cases.items():
        user = User.objects.create_user(username=username, password="long-enough-pw", **flags)
        user.groups.set(member_of)
        read = backend.get_user(user.pk)
        assert read.pk == user.pk and read.username == username
        # What the backend remembered (role_of answers a superuser before reading it), and what role_of reads.
        assert getattr(read, ROLE_ATTRIBUTE) == role == role_of(User.objects.get(pk=user.pk)), username
        assert role_of(read) == role, username
    inactive = User.objects.create_user(username="gone", password="long-enough-pw", is_active=False)
    inactive.groups.set([groups[Role.ADMIN], other])
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(10**9) is None


#: What a list's row is made of: hostile text, quotes, numbers, markup already made, lazy translations, nothing.
MARKUP_ARGS = [
    ("<script>alert('x')</script> & \"Co\"",),
    (42, -7, 0),
    (True, None, 3.5),
    (mark_safe("<b>bold</b>"), "<b>not bold</b>"),
    (gettext_lazy("Removed"), "株式会社 <サクラ>"),
]


@pytest.mark.parametrize("args", MARKUP_ARGS)
@pytest.mark.parametrize("language", ["en", "ja"])
def test_markup_writes_what_format_html_writes(args, language):
    template = "<td>" + "</td><td>".join("{}" for _ in args) + "</td>"
    with override(language):
        ours = markup(template, *args)
        assert ours == format_html(template, *args)
    assert isinstance(ours, SafeString)


def test_hidden_inputs_are_the_ones_a_template_loop_draws():
    """The keys a bulk change carries (`|hidden_inputs`), drawn in Python: the same inputs as Django's loop over
    them, every name and value escaped."""
    keys = ["10000001", 'a"b<c>&d', "x'y"]
    pairs = [("owner", "mine"), ('q"', "<b>&")]
    django = engines["django"]
    loop = django.from_string(
        '{% for key in keys %}<input type="hidden" name="keys" value="{{ key }}">{% endfor %}'
        '{% for name, value in pairs %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}'
    ).render({"keys": keys, "pairs": pairs})
    drawn = django.from_string(
        '{% load portal %}{{ keys|hidden_inputs:"keys" }}{{ pairs|hidden_inputs }}'
    ).render({"keys": keys, "pairs": pairs})
    assert parse_html(drawn) == parse_html(loop)
    assert drawn.count("<input") == 5 and "&lt;c&gt;" in drawn and "<b>" not in drawn
