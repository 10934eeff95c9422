"""The Simplified Chinese catalogue is complete, compiled and in step with the source.

Chinese is the default language, so an untranslated string shows up in English on a screen that
health-commission staff read in Chinese. When ``test_catalogue_covers_every_source_string`` fails,
update the catalogue and translate the new entries:

    .venv/bin/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=tests \\
        --ignore=bench --ignore=build -e html,py,txt
    (edit yilian/locale/zh_Hans/LC_MESSAGES/django.po)
    .venv/bin/python manage.py compilemessages -l zh_Hans --ignore=.venv
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "yilian"
LOCALE = "zh_Hans"
PO_PATH = PACKAGE / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

MAKEMESSAGES_OPTIONS = [
    "-l",
    LOCALE,
    "--ignore=.venv",
    "--ignore=var",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=build",
    "-e",
    "html,py,txt",
]

# %(name)s / %(count)d / %s / %d (but not a literal %%), and {{ name }} as blocktranslate writes it.
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|\{\{\s*[\w.|:\"']+\s*\}\}"
)


def _placeholders(text: str) -> set[str]:
    text = text.replace("%%", "")
    return {re.sub(r"\s+", "", p) for p in PLACEHOLDER.findall(text)}


def _entries(po):
    return [e for e in po if not e.obsolete]


def _key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _label(key: tuple[str, str]) -> str:
    context, msgid = key
    return f"[{context}] {msgid!r}" if context else repr(msgid)


@pytest.fixture(scope="module")
def po():
    assert PO_PATH.exists(), f"{PO_PATH.relative_to(ROOT)} is missing; run makemessages (see this module's docstring)"
    return polib.pofile(str(PO_PATH))


def test_header_declares_chinese_plural_forms(po):
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert po.metadata.get("Content-Type", "").lower().endswith("charset=utf-8")


def test_every_entry_is_translated_and_not_fuzzy(po):
    entries = _entries(po)
    assert entries, "the catalogue has no entries"
    untranslated, fuzzy, extra_forms = [], [], []
    for e in entries:
        if "fuzzy" in e.flags:
            fuzzy.append(_label(_key(e)))
        if e.msgid_plural:
            if not e.msgstr_plural.get(0, "").strip():
                untranslated.append(_label(_key(e)))
            if set(e.msgstr_plural) != {0}:
                extra_forms.append(_label(_key(e)))
        elif not e.msgstr.strip():
            untranslated.append(_label(_key(e)))
    assert not untranslated, f"{len(untranslated)} untranslated entries:\n" + "\n".join(untranslated)
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (check the translation, then drop the flag):\n" + "\n".join(fuzzy)
    assert not extra_forms, "Chinese has one plural form; keep only msgstr[0] in:\n" + "\n".join(extra_forms)


def test_translations_keep_the_placeholders(po):
    wrong = []
    for e in _entries(po):
        if e.msgid_plural:
            # With nplurals=1, msgstr[0] stands for every number, so it is checked against both source forms.
            expected = _placeholders(e.msgid) | _placeholders(e.msgid_plural)
            translations = [e.msgstr_plural[k] for k in sorted(e.msgstr_plural)]
        else:
            expected = _placeholders(e.msgid)
            translations = [e.msgstr]
        for text in translations:
            found = _placeholders(text)
            if text and found != expected:
                wrong.append(f"{_label(_key(e))}: expected {sorted(expected)}, found {sorted(found)} in {text!r}")
    assert not wrong, "placeholders differ between source and translation:\n" + "\n".join(wrong)


def _compiled_pairs(catalogue) -> set[tuple]:
    pairs = set()
    for e in catalogue:
        if e.obsolete or not e.msgid:  # the header travels as metadata
            continue
        if e.msgid_plural:
            forms = tuple(sorted((int(k), v) for k, v in e.msgstr_plural.items()))
            pairs.add((e.msgctxt or "", e.msgid, e.msgid_plural, forms))
        else:
            pairs.add((e.msgctxt or "", e.msgid, None, e.msgstr))
    return pairs


def test_compiled_catalogue_matches_the_po_file(po, tmp_path):
    assert MO_PATH.exists(), f"{MO_PATH.relative_to(ROOT)} is missing; run compilemessages"
    fresh = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh))  # polib compiles translated, non-fuzzy entries, as msgfmt does
    expected = _compiled_pairs(polib.mofile(str(fresh)))
    committed = _compiled_pairs(polib.mofile(str(MO_PATH)))
    stale = sorted(repr(p[1]) for p in expected - committed)
    extra = sorted(repr(p[1]) for p in committed - expected)
    assert not stale and not extra, (
        "django.mo is out of date with django.po; run "
        "`.venv/bin/python manage.py compilemessages -l zh_Hans --ignore=.venv`.\n"
        f"Missing or different in the .mo: {stale}\nOnly in the .mo: {extra}"
    )


def test_catalogue_covers_every_source_string(po, tmp_path):
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "yilian"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yilian.settings",
        "PYTHONPATH": str(tmp_path),
        "YILIAN_DATA_DIR": str(tmp_path / "var"),
    }
    env.pop("YILIAN_ENV", None)  # production settings would demand a real secret key
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", *MAKEMESSAGES_OPTIONS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted_path = copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
    assert extracted_path.exists(), f"makemessages wrote no catalogue:\n{result.stdout}\n{result.stderr}"

    extracted = {_key(e): e for e in _entries(polib.pofile(str(extracted_path)))}
    committed = {_key(e) for e in _entries(po)}
    missing = sorted(set(extracted) - committed)
    lines = []
    for key in missing:
        where = ", ".join(f"{path}:{line}" if line else path for path, line in extracted[key].occurrences)
        lines.append(f"  {_label(key)}  ({where})")
    assert not missing, (
        f"{len(missing)} source string(s) are not in {PO_PATH.relative_to(ROOT)}; "
        "run makemessages, translate them and compilemessages (see tests/test_translations.py):\n" + "\n".join(lines)
    )
