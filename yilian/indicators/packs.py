"""Policy packs: YAML files in ``packs/`` → validated → Pack / Indicator / Target rows.

Strict: an unknown field, a model or field that does not exist, an unknown metric or a target without
a deadline is an error naming the file, the line (from yaml's node marks) and the field. All errors
are collected; a pack with any error changes nothing (a bad pack never replaces a good one).

The file is the source of truth for *shipped* indicators: a reload rewrites them (and deletes those
removed from the file). Indicators added in the UI (``shipped=False``) and the assessment weights set
in the UI are never touched by a reload.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import transaction
from django.utils.translation import gettext as _

from yilian.network.models import Institution, Region

from . import registry
from .models import Indicator, Pack, Target

PACK_DIR = Path(__file__).resolve().parent / "packs"

PACK_FIELDS = {"slug", "version", "city", "title", "seed_file", "start", "indicators"}
INDICATOR_FIELDS = {"code", "name", "unit", "direction", "source", "query", "metric", "scale", "targets", "note"}
QUERY_FIELDS = {"numerator", "denominator", "scale", "period"}
SIDE_FIELDS = {"model", "by", "filter", "exclude", "sum", "distinct", "date"}
TARGET_FIELDS = {"value", "deadline"}
PERIODS = {"all", "year"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class PackInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- reading with line numbers


class _Doc:
    """The parsed data plus the node tree, to find the line of any field path."""

    def __init__(self, text: str, filename: str):
        self.filename = filename
        self.node = yaml.compose(text, Loader=yaml.SafeLoader)
        self.data = yaml.safe_load(text)
        self.problems: list[Problem] = []

    def line(self, path: tuple) -> int:
        node, line = self.node, 1
        for part in path:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        return node.start_mark.line + 1 if node is not None else line

    def error(self, path: tuple, message: str):
        field = ".".join(str(p) for p in path) or "(file)"
        self.problems.append(Problem(self.filename, self.line(path), field, message))


def _child(node, part):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


# ------------------------------------------------------------------------------------------ validation


def _check_fields(doc, mapping, allowed: set, required: set, path: tuple) -> bool:
    if not isinstance(mapping, dict):
        doc.error(path, _("expected a mapping of fields"))
        return False
    for key in mapping:
        if key not in allowed:
            doc.error((*path, key), _("unknown field %(field)r (allowed: %(allowed)s)") % {
                "field": key, "allowed": ", ".join(sorted(allowed))})
    for key in sorted(required - set(mapping)):
        doc.error(path, _("missing field %(field)r") % {"field": key})
    return True


def _model(doc, label, path):
    try:
        model = apps.get_model(str(label))
    except (LookupError, ValueError):
        doc.error(path, _("no model %(model)r (write app_label.ModelName)") % {"model": label})
        return None
    if not hasattr(model._default_manager, "for_user"):
        # the records behind a figure are shown through the model's scope; unscoped models (users,
        # tokens, the audit log…) are not indicator material
        doc.error(path, _("%(model)s is not a scoped domain model") % {"model": label})
        return None
    return model


def _resolve(model, lookup: str):
    """The model a relation path ends at, or the field a plain path names (FieldDoesNotExist if none)."""
    if lookup in ("id", "pk"):
        return model
    target = None
    for part in lookup.split("__"):
        field = model._meta.get_field(part)
        if field.is_relation:
            model = field.related_model
            target = model
        else:
            target = field
    return target


def _check_side(doc, side, path):
    if not _check_fields(doc, side, SIDE_FIELDS, {"model", "by"}, path):
        return
    model = _model(doc, side.get("model"), (*path, "model"))
    if model is None:
        return
    try:
        target = _resolve(model, str(side.get("by", "")))
        if target not in (Institution, Region):
            doc.error((*path, "by"), _("%(path)r must lead to an institution or a region") % {"path": side["by"]})
    except FieldDoesNotExist as exc:
        doc.error((*path, "by"), _("%(model)s has no field for %(path)r: %(error)s") % {
            "model": side["model"], "path": side.get("by"), "error": exc})
    for key in ("filter", "exclude"):
        conditions = side.get(key, {}) or {}
        if not isinstance(conditions, dict):
            doc.error((*path, key), _("expected a mapping of field lookups"))
            continue
        try:
            model._default_manager.filter(**conditions).query  # noqa: B018 — builds the WHERE, raises on bad names
        except (FieldError, ValueError, TypeError) as exc:
            doc.error((*path, key), str(exc))
    for key in ("sum", "distinct", "date"):
        if key in side:
            try:
                _resolve(model, str(side[key]))
            except FieldDoesNotExist as exc:
                doc.error((*path, key), str(exc))


def _check_indicator(doc, item, path, codes: set):
    if not _check_fields(doc, item, INDICATOR_FIELDS, {"code", "name", "unit", "source", "targets"}, path):
        return
    code = item.get("code")
    if code in codes:
        doc.error((*path, "code"), _("code %(code)r is used twice") % {"code": code})
    codes.add(code)
    if _check_fields(doc, item.get("name"), {"zh", "en"}, {"zh", "en"}, (*path, "name")):
        pass
    _check_fields(doc, item.get("source"), {"file", "sentence"}, {"file", "sentence"}, (*path, "source"))
    if item.get("direction", "at_least") not in Indicator.Direction.values:
        doc.error((*path, "direction"), _("direction must be at_least or at_most"))
    if ("query" in item) == ("metric" in item):
        doc.error(path, _("give exactly one of 'query' and 'metric'"))
    if "metric" in item and not registry.is_known(str(item["metric"])):
        doc.error((*path, "metric"), _("unknown metric %(name)r (register it with register_metric)") % {
            "name": item["metric"]})
    if "query" in item:
        _check_query(doc, item["query"], (*path, "query"))
    if not isinstance(item.get("scale", 1), int | float):
        doc.error((*path, "scale"), _("scale must be a number"))
    _check_targets(doc, item.get("targets"), (*path, "targets"))


def _check_query(doc, query, path):
    if not _check_fields(doc, query, QUERY_FIELDS, {"numerator"}, path):
        return
    _check_side(doc, query["numerator"], (*path, "numerator"))
    if query.get("denominator") is not None:
        _check_side(doc, query["denominator"], (*path, "denominator"))
    if query.get("period", "all") not in PERIODS:
        doc.error((*path, "period"), _("period must be one of %(periods)s") % {"periods": ", ".join(sorted(PERIODS))})
    if not isinstance(query.get("scale", 1), int | float):
        doc.error((*path, "scale"), _("scale must be a number"))


def _check_targets(doc, targets, path):
    if not isinstance(targets, list) or not targets:
        doc.error(path, _("give at least one target"))
        return
    for i, target in enumerate(targets):
        if not _check_fields(doc, target, TARGET_FIELDS, {"value", "deadline"}, (*path, i)):
            continue
        if "deadline" in target and not isinstance(target["deadline"], date):
            doc.error((*path, i, "deadline"), _("the deadline must be a date (YYYY-MM-DD)"))
        if "value" in target and not isinstance(target["value"], int | float):
            doc.error((*path, i, "value"), _("the target value must be a number"))


def validate(text: str, filename: str) -> dict:
    """The pack's data if valid; else PackInvalid with every problem found."""
    try:
        doc = _Doc(text, filename)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PackInvalid([Problem(filename, mark.line + 1 if mark else 0, "(file)", str(exc))]) from exc
    data = doc.data
    if _check_fields(doc, data, PACK_FIELDS, PACK_FIELDS, ()):
        if not isinstance(data.get("start"), date):
            doc.error(("start",), _("the start must be a date (YYYY-MM-DD)"))
        _check_fields(doc, data.get("title"), {"zh", "en"}, {"zh", "en"}, ("title",))
        codes: set = set()
        for i, item in enumerate(data.get("indicators") or []):
            _check_indicator(doc, item, ("indicators", i), codes)
    if doc.problems:
        raise PackInvalid(doc.problems)
    return data


# ---------------------------------------------------------------------------------------------- saving


def load_text(text: str, filename: str) -> Pack:
    """Validate, then write the pack in one transaction (nothing changes when invalid)."""
    data = validate(text, filename)
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        pack, _created = Pack.objects.update_or_create(slug=data["slug"], defaults={
            "title_zh": data["title"]["zh"], "title_en": data["title"]["en"], "city": data["city"],
            "seed_file": data["seed_file"], "version": str(data["version"]), "file_hash": digest,
            "start": data["start"]})
        keep = []
        for position, item in enumerate(data["indicators"]):
            keep.append(_save_indicator(pack, item, position).pk)
        pack.indicators.filter(shipped=True).exclude(pk__in=keep).delete()
    return pack


def _save_indicator(pack, item, position) -> Indicator:
    definition = {"metric": item["metric"]} if "metric" in item else {"query": item["query"]}
    for key in ("note", "scale"):
        if item.get(key) is not None:
            definition[key] = item[key]
    indicator, _created = Indicator.objects.update_or_create(pack=pack, code=item["code"], defaults={
        "name_zh": item["name"]["zh"], "name_en": item["name"]["en"], "unit": item["unit"],
        "direction": item.get("direction", Indicator.Direction.AT_LEAST), "definition": _jsonable(definition),
        "source_sentence": item["source"]["sentence"].strip(), "shipped": True, "position": position})
    indicator.targets.all().delete()
    Target.objects.bulk_create([Target(indicator=indicator, value=t["value"], deadline=t["deadline"])
                                for t in item["targets"]])
    return indicator


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_file(path: Path) -> Pack:
    return load_text(Path(path).read_text(encoding="utf-8"), Path(path).name)


def shipped_files() -> list[Path]:
    return sorted(PACK_DIR.glob("*.yaml"))


def load_shipped() -> list[Pack]:
    return [load_file(path) for path in shipped_files()]


def indicator_yaml(data: dict, targets) -> str:
    """A one-indicator pack for a UI-added indicator: validated exactly like the shipped files."""
    item = {"code": data["code"], "name": {"zh": data["name_zh"], "en": data["name_en"]}, "unit": data["unit"],
            "direction": data.get("direction", "at_least"),
            "source": {"file": "-", "sentence": data.get("source_sentence") or "-"},
            **data["definition"], "targets": [{"value": float(v), "deadline": d} for v, d in targets]}
    pack = {"slug": "ui", "version": 1, "city": "-", "title": {"zh": "-", "en": "-"}, "seed_file": "-",
            "start": date(2000, 1, 1), "indicators": [item]}
    return yaml.safe_dump(pack, allow_unicode=True, sort_keys=False)
