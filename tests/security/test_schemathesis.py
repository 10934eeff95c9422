"""schemathesis against the whole OpenAPI schema, on a live server, as a supervisor with a bearer token.

Positive and negative data, every check (server errors, undocumented status codes and content types,
response schemas, schema-violating requests accepted) and the stateful phase. Examples per
operation are bounded (YILIAN_SCHEMATHESIS_EXAMPLES, default 5); the run takes about two minutes
on a shared 2-core machine.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import RegionFactory, user_with_role
from tests.test_access_matrix import _district, _extras
from yilian.accounts.models import ApiToken, Membership
from yilian.network.models import Region

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("YILIAN_SCHEMATHESIS_EXAMPLES", "5")


@pytest.fixture
def supervisor_token(transactional_db):
    city = RegionFactory(name="测试市", level=Region.Level.CITY)
    for label in ("甲", "乙"):
        _extras(_district(city, label), label)
    supervisor = user_with_role(Membership.Role.SUPERVISOR, city)
    return ApiToken.issue(supervisor, "schemathesis")[1]


def test_the_api_holds_its_schema(live_server, supervisor_token, tmp_path):
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "run",
        f"{live_server.url}/api/openapi.json", "--header", f"Authorization: Bearer {supervisor_token}",
        "--checks", "all", "--max-examples", EXAMPLES, "--workers", "1", "--seed", "20261122",
        "--report", "junit", "--report-dir", str(tmp_path), "--generation-database", "none",
    ]
    # run in tmp_path: schemathesis keeps its example database in the working directory
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    generated = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert generated, summary
    print(f"schemathesis: {generated[1]} requests, {generated[2]} passed")  # counted in docs/security.md
