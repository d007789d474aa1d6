"""The one page of every import (`import_page`, called by the app's view, which checks the permission): the file
to upload, then its dry run row by row, then "Apply" (all or nothing), at one URL and in one template
(`core/import.html`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.core.formbase import PortalForm
from portal.core.imports import files, run
from portal.core.imports.spec import ADDED, CHANGED, REFUSED, STATUS_WORDS, UNCHANGED, ImportSpec, RowRefused

#: Rows of each kind the dry run's page lists (the counts say how many more).
ROWS_SHOWN = 500


class UploadForm(PortalForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV in UTF-8 or Shift_JIS, with the columns of the download."
        ),
        error_messages={"empty": gettext_lazy("The file is empty.")},
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv,.txt,text/csv"}),
    )


def import_page(
    request: HttpRequest, spec: ImportSpec, *, back_url: str, back_label: str, download_url: str
) -> HttpResponse:
    """An import's page. GET: the upload form. POST of a file: its dry run, kept under a token. POST of the
    token (`apply`): the kept dry run applied (`run.dry_run_apply`), then back to `back_url` with what was done;
    if the records changed meanwhile, the dry run again, nothing applied."""
    context = {
        "spec": spec,
        "back_url": back_url,
        "back_label": back_label,
        "download_url": download_url,
        "limit": files.megabytes(run.max_bytes()),
        "max_rows": f"{spec.max_rows:,}",
        "keep_minutes": run.KEEP_SECONDS // 60,
        "columns": [str(column.label) for column in spec.columns if column.read],
        "for_people": [str(column.label) for column in spec.columns if not column.read],
    }
    if request.method == "POST" and "token" in request.POST:
        return _apply(request, spec, context)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > run.max_bytes():  # refused unread
                raise files.FileRefused(
                    _("The file is %(size)s; an import reads files of at most %(limit)s.")
                    % {"size": files.megabytes(upload.size), "limit": context["limit"]}
                )
            data = upload.read()
            result = run.dry_run(spec, data, name=upload.name or "", actor=request.user)
        except files.FileRefused as refused:
            form.add_error("file", str(refused))
        else:
            token = run.kept_put(result, data, actor=request.user)
            return _dry_run_page(request, context, result, token)
    return render(request, "core/import.html", {**context, "form": form})


def _dry_run_page(
    request: HttpRequest, context: dict, result: run.DryRun, token: str, moved: list[int] | None = None
) -> HttpResponse:
    listed = [row for row in result.rows if row.status != UNCHANGED]
    unchanged = [row for row in result.rows if row.status == UNCHANGED]
    return render(
        request,
        "core/import.html",
        {
            **context,
            "result": result,
            "token": token,
            "rows": listed[:ROWS_SHOWN],
            "rows_more": max(len(listed) - ROWS_SHOWN, 0),
            "unchanged": unchanged[:ROWS_SHOWN],
            "unchanged_more": max(len(unchanged) - ROWS_SHOWN, 0),
            "counts": {
                "added": result.count(ADDED),
                "changed": result.count(CHANGED),
                "unchanged": result.count(UNCHANGED),
                "refused": result.count(REFUSED),
            },
            "status_words": {key: str(words) for key, words in STATUS_WORDS.items()},
            "moved": moved,
        },
    )


def _apply(request: HttpRequest, spec: ImportSpec, context: dict) -> HttpResponse:
    kept = run.kept_take(str(request.POST.get("token", "")), spec=spec, actor=request.user)
    form = UploadForm()
    if kept is None:
        error = _(
            "This dry run is no longer kept (it is kept %(minutes)d minutes, and applied once): upload the "
            "file again."
        ) % {"minutes": context["keep_minutes"]}
        return render(request, "core/import.html", {**context, "form": form, "error": error}, status=409)
    try:
        done = run.dry_run_apply(spec, kept, actor=request.user)
    except run.Moved as moved:
        token = run.kept_put(moved.result, kept.data, actor=request.user)
        return _dry_run_page(request, context, moved.result, token, moved=moved.rows or [0])
    except RowRefused as refused:
        error = _("Nothing was applied: %(reason)s") % {"reason": refused}
        return render(request, "core/import.html", {**context, "form": form, "error": error}, status=409)
    messages.success(
        request,
        ngettext(
            "The file is applied: %(n)d row changed (%(added)d new), recorded in the activity log.",
            "The file is applied: %(n)d rows changed (%(added)d new), recorded in the activity log.",
            done.to_apply,
        )
        % {"n": done.to_apply, "added": done.count(ADDED)},
    )
    return redirect(context["back_url"])
