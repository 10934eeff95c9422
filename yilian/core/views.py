"""Small helpers the page views share: pagination, change history, file responses."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def paginate(request, queryset, per_page: int | None = None):
    paginator = Paginator(queryset, per_page or settings.YILIAN_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    """The current query string minus ``page``, for pagination links that keep the filters."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def change_history(obj, limit: int = 50) -> list[dict]:
    """Who changed what and when (django-simple-history), newest first, with field-level diffs."""
    records = list(obj.history.select_related("history_user").order_by("-history_date")[: limit + 1])
    entries = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = record.instance_type._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, **_readable(field, change.old, change.new)})
        entries.append({"record": record, "changes": changes})
    return entries[:limit]


def _readable(field, old, new) -> dict:
    """Many-to-many history holds lists of link rows; show how many there were instead."""
    if field.many_to_many:
        return {"old": len(old or []), "new": len(new or [])}
    return {"old": old, "new": new}


def file_response(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def save_form(request, form, save, then, **then_kwargs):
    """For a valid POSTed form, call ``save(cleaned_data)``; the service's ValidationError lands on the
    form. Returns the redirect to ``then`` (a URL name, or a function of the saved object giving a URL)
    on success, else None (render the form again)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        obj = save(form.cleaned_data)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    messages.success(request, _("Saved."))
    if callable(then):
        return redirect(then(obj))
    if "pk" in then_kwargs and then_kwargs["pk"] is None:
        then_kwargs["pk"] = obj.pk
    return redirect(then, **then_kwargs)


def render_form(request, form, title, cancel: str, history=None):
    """The shared edit page; objects without a page of their own show their change history here."""
    return render(request, "core/form.html", {"form": form, "title": title, "cancel": cancel, "history": history})
