"""Malformed and hostile files for every upload endpoint (built in memory, small on disk)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import openpyxl

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb(unpacked_mb: int = 64) -> bytes:
    """A valid workbook whose sheet holds about a million identical rows: ``unpacked_mb`` MB of XML
    in well under 1 MB of zip (about 1000:1). Unguarded, every importer would read every row."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    rows = row * (unpacked_mb * 1024 * 1024 // len(row))
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<sheetData>" + rows + b"</sheetData></worksheet>")
    return _replace_member(workbook([["名称"]]), "xl/worksheets/sheet1.xml", sheet)


def billion_laughs_xlsx() -> bytes:
    """A workbook whose sheet XML declares exponentially expanding entities."""
    good = workbook([["名称"], ["x"]])
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">{entities}]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>')
    return _replace_member(good, "xl/worksheets/sheet1.xml", sheet.encode())


def _replace_member(archive_bytes: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == name else source.read(item.filename))
    return buffer.getvalue()


def huge_png() -> bytes:
    """A valid PNG header declaring 100 000 × 100 000 pixels (a decompression bomb for image readers)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return PNG_HEADER + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


PDF_WITH_JS = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 3 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n3 0 obj<</S/JavaScript/JS(app.alert\\(1\\))>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def excel_corpus() -> dict[str, bytes]:
    """name → content, each uploaded as an .xlsx file."""
    wrong_columns = workbook([["<script>alert(1)</script>", "' OR 1=1 --"], ["x", "y"]])
    return {
        "empty": b"",
        "random-bytes": bytes(range(256)) * 8,
        "truncated": workbook([["名称", "类型"], ["甲", "乙"]])[:700],
        "zip-bomb": zip_bomb(),
        "billion-laughs": billion_laughs_xlsx(),
        "png-zip-polyglot": huge_png() + wrong_columns,
        "pdf-with-javascript": PDF_WITH_JS,
        "huge-png": huge_png(),
        "html": b"<html><script>alert(1)</script></html>",
        "csv": "名称,类型\n=cmd|' /C calc'!A0,x\n".encode(),
        "wrong-columns": wrong_columns,
    }


def attachment_corpus() -> dict[str, tuple[str, bytes]]:
    """name → (file name, content) for referral attachments (PDF, JPEG or PNG accepted)."""
    return {
        "empty-pdf": ("empty.pdf", b""),
        "exe": ("tool.exe", b"MZ\x90\x00" + b"\0" * 100),
        "html-as-pdf": ("report.pdf", b"<html><script>alert(1)</script></html>"),
        "svg-as-png": ("image.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        "zip-as-pdf": ("scan.pdf", zip_bomb(1)),
        "truncated-png": ("ecg.png", PNG_HEADER[:5]),
        "double-extension": ("ecg.pdf.exe", b"%PDF-1.4\n"),
        "no-extension": ("ecg", b"%PDF-1.4\n"),
        "zip-bomb-as-pdf": ("bomb.pdf", zip_bomb()),
        # These begin like the type they claim and may be kept: attachments are stored, never served
        # inline nor decoded by Yilian (recorded as accepted-safe in docs/security.md).
        "png-zip-polyglot": ("ecg.png", huge_png() + zip_bomb(1)),
        "pdf-with-javascript": ("lab.pdf", PDF_WITH_JS),
        "huge-png": ("xray.png", huge_png()),
    }


# Files that start like the type they claim; the referral service may keep them (see above).
ACCEPTED_SAFE_ATTACHMENTS = {"png-zip-polyglot", "pdf-with-javascript", "huge-png"}
