"""A change of the portal as an API endpoint: the body is bound to the change page's own form (the same
fields, the same contract's rules, the same words), the change's arguments are made as the page makes them,
and it is sent through the same pipeline (`portal.core.changes.sending.change_send`): held for approval,
queued or sent now, at most once, audited with the token.

`"dry_run": true` checks everything and answers what would be sent (the change's arguments, before -> after,
its side effects, whether it would wait for approval) and sends nothing; it needs no Idempotency-Key and
keeps nothing. A real write needs an `Idempotency-Key` (`idempotency.py`)."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import Field

from portal.core.api import errors, idempotency
from portal.core.api.auth import CHANGE_ATTRIBUTE, authenticated
from portal.core.api.schemas import ErrorOut, OperationOut, operation_out, schema_from_form
from portal.core.changes import approvals
from portal.core.changes.engine import ChangeRefused, operation_key
from portal.core.changes.forms import ChangeForm
from portal.core.changes.sending import How, change_send
from portal.core.changes.spec import change_for, stated_effects
from portal.core.models import Operation
from portal.core.operations import operation_label
from portal.core.services import asked_with_token

#: What each way a change went is answered with: its HTTP status and its words.
HOW = {
    How.APPLIED: (200, _("LINE WORKS applied the change.")),
    How.HELD: (202, _("Asked for approval: nothing is sent until someone else approves it.")),
    How.QUEUED: (202, _("The change is queued; poll its operation.")),
    How.ALREADY: (202, _("This change was received already; here is what became of it.")),
    How.UNKNOWN: (202, None),
}


class PreviewRow(Schema):
    what: str
    now: str
    after: str


class ChangeOut(Schema):
    """What a write answered: a dry run's check, or the change sent and its operation."""

    dry_run: bool
    result: str = Field(description="would_send (a dry run), applied, held, queued, already or unknown")
    message: str
    change: str = Field(description="The Partner API operation (operationId) the change sends.")
    change_label: str
    arguments: dict[str, Any] = Field(
        description="The change's arguments, as the change pipeline sends them."
    )
    preview: list[PreviewRow]
    side_effects: list[str]
    needs_approval: bool
    operation: OperationOut | None = None


def change_body(
    form_class: type[forms.Form], name: str, *, partial: bool = False, leave_out: tuple[str, ...] = ()
) -> type[Schema]:
    """The body of a change endpoint: the change form's own fields (its idempotency key left to the header),
    and `dry_run`. `partial`: every field may be left out (a field left out keeps its value: `defaults`);
    `leave_out`: the page's fields the API has no use for (a confirmation's: the dry run is the API's)."""
    return schema_from_form(
        form_class,
        name,
        leave_out=("idempotency_key", *leave_out),
        required=not partial,
        extra={
            "dry_run": (bool, Field(False, description="Check and say what would be sent; send nothing."))
        },
    )


def form_data(values: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed body as a posted form carries it: text, dates as ISO text, a true box ticked ("on"), a list as
    the values of a field posted several times (a multiple choice)."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, dt.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def api_change(
    request: HttpRequest,
    body: Schema,
    *,
    form: Callable[[dict[str, str]], ChangeForm],
    operation_id: str | Callable[[Any], str],
    args: Callable[[dict], Mapping[str, Any]],
    domain_id: int | None,
    done: str,
    refusal: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> Status:
    """Check the body with the change's own form, then answer the dry run, or send the change once per
    Idempotency-Key: its status and ChangeOut. `form(data)` makes the page's form bound to `data`; `args(cleaned)`
    the change's arguments, as the page makes them; `operation_id`, or the bound form's choice of it (a change
    that creates or moves, as its page does); `refusal`: why the change cannot be made at all now (the page's own
    check before its form), refused in its words; `defaults`: the values of the fields the body left out (a
    partial body: the page's form shown with the values there are); `check(bound form)`: why values the form
    accepts still ask nothing to be sent (an edit that changes nothing), refused in its words."""
    token = authenticated(request)
    asked = _asked(request, body, token)
    if isinstance(asked, Status):
        return asked
    values, key, print_ = asked
    given = body.model_fields_set
    data = form_data({**values, **{k: v for k, v in (defaults or {}).items() if k not in given}})
    data["idempotency_key"] = idempotency.engine_key(token, key or "dry-run")
    bound = _checked(form(data), refusal)
    if check is not None and (why := check(bound)):
        raise errors.ApiError(409, "refused", why)
    if callable(operation_id):
        operation_id = operation_id(bound)
    arguments = dict(args(bound.cleaned_data))
    if key is None:
        return Status(200, _checked_answer(bound, operation_id, arguments))
    return _send(
        request,
        bound,
        token=token,
        key=key,
        print_=print_,
        operation_id=operation_id,
        arguments=arguments,
        domain_id=domain_id,
        done=done,
    )


#: What every change endpoint answers: the change (200 applied, 202 held, queued, already or unknown) or why not.
WRITTEN = {
    200: ChangeOut,
    202: ChangeOut,
    **{status: ErrorOut for status in (401, 403, 404, 409, 422, 428, 429)},
}


def change_endpoint(
    router: Router,
    path: str,
    *,
    auth: Any,
    url_name: str,
    summary: str,
    body: type[ChangeForm],
    get: Callable[..., Any],
    form: Callable[[Any, dict[str, str]], ChangeForm],
    operation_id: str | Callable[[Any], str],
    args: Callable[[Any, Any], Mapping[str, Any]],
    domain_id: Callable[[Any], int | None],
    done: Callable[[Any], str],
    refusal: Callable[[Any], str | None] | None = None,
    defaults: Callable[[Any], Mapping[str, Any]] | None = None,
    check: Callable[[Any], str | None] | None = None,
    description: str | None = None,
) -> Callable[..., Status]:
    """Declare a change of the portal as a POST endpoint of `router` (one per change a page offers), answered by
    `api_change`. Its body is `body`'s (the change page's form class) fields, a named schema
    (`<UrlName>Body`); its path arguments are those of `get(request, **arguments)`, which finds the object the
    change is about (404 when the token's owner may not see it), with their annotations. Of that object:
    `form(obj, data)` the page's form bound to `data`; `args(obj, bound form)` the change's arguments as the page
    makes them; `domain_id(obj)` the customer; `done(obj)` the page to go back to; `refusal(obj)` why it cannot
    be made at all now (the page's own check before its form); `defaults(obj)`: a partial body, whose fields
    left out keep these values (an edit sends only what changed); `check`: as `api_change`'s."""
    schema = change_body(body, _camel(url_name) + "Body", partial=defaults is not None)
    found = inspect.signature(get, eval_str=True)
    arguments = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in list(found.parameters.values())[1:]]

    def endpoint(request: HttpRequest, **kwargs: Any) -> Status:
        payload = kwargs.pop("body")
        obj = get(request, **kwargs)
        made: dict[str, ChangeForm] = {}

        def bound(data: dict[str, str]) -> ChangeForm:
            made["form"] = form(obj, data)
            return made["form"]

        return api_change(
            request,
            payload,
            form=bound,
            operation_id=operation_id,
            args=lambda cleaned: args(obj, made["form"]),
            domain_id=domain_id(obj),
            done=done(obj),
            refusal=refusal(obj) if refusal else None,
            defaults=defaults(obj) if defaults else None,
            check=check,
        )

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest),
            *arguments,
            inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=schema),
        ]
    )
    endpoint.__name__ = endpoint.__qualname__ = url_name  # its OpenAPI operationId: <module>_<url name>
    endpoint.__module__ = get.__module__
    endpoint.__doc__ = description
    return router.post(path, auth=auth, response=WRITTEN, url_name=url_name, summary=summary)(endpoint)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _checked(bound: ChangeForm, refusal: str | None) -> ChangeForm:
    """The form, once it accepts the values; refused in its words otherwise."""
    why = refusal or bound.unavailable()
    if why:
        raise errors.ApiError(409, "refused", why)
    if not bound.is_valid():
        if set(bound.errors) == {"__all__"}:  # the change as a whole: a contract's rule, not a value
            raise errors.ApiError(409, "refused", " ".join(str(w) for w in bound.non_field_errors()))
        raise errors.refused_form(bound)
    return bound


def _checked_answer(bound: ChangeForm, operation_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The dry run's answer: what would be sent, before -> after, the side effects, approval."""
    needs = approvals.change_needs_approval(change_for(operation_id), arguments)
    return {
        "dry_run": True,
        "result": "would_send",
        "message": str(
            _("Nothing was sent. This change would wait for approval first.")
            if needs
            else _("Nothing was sent. This is what would be sent.")
        ),
        **_what(bound, operation_id, arguments),
        "needs_approval": needs,
    }


def _what(bound: ChangeForm, operation_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "change": operation_id,
        "change_label": operation_label(operation_id),
        "arguments": arguments,
        "preview": [{"what": str(w), "now": str(n), "after": str(a)} for w, n, a in bound.preview()],
        "side_effects": [str(s) for s in (*bound.consequences(), *stated_effects(operation_id, arguments))],
    }


def _asked(request: HttpRequest, body: Schema, token) -> Status | tuple[dict[str, Any], str | None, str]:
    """A write's body (without `dry_run`), its Idempotency-Key (None: a dry run) and the request's fingerprint;
    or, for a key answered already, that answer again. A real write without a key is refused (428)."""
    values = body.model_dump()
    dry_run = bool(values.pop("dry_run", False))
    key = None if dry_run else idempotency.key_of(request)
    if not dry_run and key is None:
        raise errors.ApiError(
            428,
            "idempotency_key_missing",
            _("Send a %(header)s header with a write, so that asking again never sends it twice.")
            % {"header": idempotency.HEADER},
        )
    print_ = idempotency.fingerprint(method=request.method or "", path=request.path, body=values)
    if key is not None and (first := idempotency.answered(token=token, key=key, fingerprint=print_)):
        return _replayed(*first)
    return values, key, print_


def _once(token, key: str, print_: str, write: Callable[[], tuple[int, dict[str, Any]]]) -> Status:
    """Take the key, make the write once (`write()`: its status and answer, as JSON), keep its answer or its
    refusal for the key; a key taken a moment before by the same request answers as that one did."""
    claimed = idempotency.claim(token=token, key=key, fingerprint=print_)
    if isinstance(claimed, tuple):
        return _replayed(*claimed)
    try:
        status, answer = write()
    except errors.ApiError as refused:
        idempotency.keep(claimed, status=refused.status, answer=refused.body())
        raise
    except BaseException:
        idempotency.let_go(claimed)
        raise
    idempotency.keep(claimed, status=status, answer=answer)
    return Status(status, answer)


def local_write(
    request: HttpRequest,
    body: Schema,
    *,
    form: Callable[[dict[str, str]], Any],
    answer: Callable[[Any], dict[str, Any]],
    write: Callable[[Any], dict[str, Any]],
    refused: tuple[type[Exception], ...] = (),
    said: Callable[[Exception], str] = str,
    refusal: str | None = None,
    out: type[Schema],
) -> Status:
    """A write of the portal's own data (nothing sent to LINE WORKS; a payment received, say), as a change's:
    the body checked with the page's own form (`form(data)`), then the dry run's answer (`answer(bound form)`,
    nothing written), or the write made once per Idempotency-Key (`write(bound form)`, its service, whose audit
    entry names the token). The service's own refusals (`refused`, said in words: `said(exc)`) are 409s, kept for
    the key; `refusal`: why the write cannot be made at all now (the page's own check before its form), a 409."""
    token = authenticated(request)
    asked = _asked(request, body, token)
    if isinstance(asked, Status):
        return asked
    values, key, print_ = asked
    if refusal:
        raise errors.ApiError(409, "refused", refusal)
    bound = form(form_data(values))
    if not bound.is_valid():
        raise errors.refused_form(bound)
    if key is None:
        return Status(200, out.model_validate({"dry_run": True, **answer(bound)}).model_dump(mode="json"))

    def made() -> tuple[int, dict[str, Any]]:
        try:
            with asked_with_token(token.pk):
                done = write(bound)
        except refused as exc:
            raise errors.ApiError(409, "refused", said(exc)) from exc
        return 200, out.model_validate({"dry_run": False, **done}).model_dump(mode="json")

    return _once(token, key, print_, made)


def _send(
    request: HttpRequest,
    bound: ChangeForm,
    *,
    token,
    key: str,
    print_: str,
    operation_id: str,
    arguments: dict[str, Any],
    domain_id: int | None,
    done: str,
) -> Status:
    """Send the change once per key, its answer kept for the key."""

    def sent() -> tuple[int, dict[str, Any]]:
        status, answer = _sent_answer(request, bound, token, operation_id, arguments, domain_id, done)
        return status, ChangeOut.model_validate(answer).model_dump(mode="json")

    return _once(token, key, print_, sent)


def _replayed(status: int, answer: Any) -> Status:
    """The first answer to a key asked again: a refusal raised again, an answer given again."""
    if status >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        raise errors.ApiError(
            status, error.get("code", "refused"), error.get("message", ""), fields=error.get("fields")
        )
    return Status(status, answer)


def _sent_answer(
    request, bound, token, operation_id, arguments, domain_id, done
) -> tuple[int, dict[str, Any]]:
    d = bound.cleaned_data
    shown = {"preview": bound.preview(), "consequences": bound.consequences()}
    try:
        with asked_with_token(token.pk):
            sent = change_send(
                operation_id,
                user=token.user,
                key=d["idempotency_key"],
                reason=d.get("reason") or "",
                domain_id=domain_id,
                args=arguments,
                next_url=done,
                shown=shown,
            )
    except ChangeRefused as exc:
        refused = Operation.objects.filter(
            idempotency_key=operation_key(operation_id, domain_id, d["idempotency_key"])
        )
        setattr(request, CHANGE_ATTRIBUTE, refused.values_list("pk", flat=True).first())
        fields = {exc.field: [exc.text]} if exc.field and exc.field in bound.fields else None
        raise errors.ApiError(409, "refused", exc.text, fields=fields) from exc
    setattr(request, CHANGE_ATTRIBUTE, sent.operation.pk)
    status, words = HOW[sent.how]
    answer = {
        "dry_run": False,
        "result": sent.how.value,
        "message": str(words if words is not None else sent.message),
        **_what(bound, operation_id, arguments),
        "needs_approval": sent.how is How.HELD,
        "operation": operation_out(sent.operation),
    }
    return status, answer
