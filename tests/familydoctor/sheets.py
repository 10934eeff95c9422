"""Build resident workbooks for the import tests and the import benchmark."""

import io
from datetime import date, timedelta

import openpyxl

from tests.familydoctor.factories import make_id

HEADERS = ["姓名", "身份证号", "联系电话", "住址", "社区", "户主身份证号", "重点人群"]


def workbook(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def generated_rows(count: int, community: str = "", start: date = date(1940, 1, 1)):
    """``count`` distinct residents in households of three (the first of each three is the head)."""
    rows = []
    for n in range(count):
        number = make_id(start + timedelta(days=n // 1000), sequence=n % 1000)
        head = number if n % 3 == 0 else rows[n - n % 3][1]
        tags = ["高血压", "糖尿病", "", "残疾人", "低收入", ""][n % 6]
        rows.append((f"居民{n}", number, f"139{n:08d}", f"幸福路{n // 3}号", community, head, tags))
    return rows
