"""The deployment files in deploy/ start Yilian the way the production command understands.

systemd and Docker do not run here; what can be checked here is that every command line they
hold is one `yilian production`/`yilian backup` accepts, and that the env example covers the
settings production refuses to start without.
"""

import configparser
import shlex
from pathlib import Path

import yaml
from django.core.management import load_command_class

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _parse(argv: list[str]):
    assert argv[0].endswith("yilian"), argv
    app = {"production": "yilian.ops", "backup": "yilian.ops", "restore": "yilian.ops"}[argv[1]]
    command = load_command_class(app, argv[1])
    return command.create_parser("yilian", argv[1]).parse_args(argv[2:])


def _units():
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.read(path)
        yield path.name, unit


def test_every_systemd_unit_runs_a_valid_yilian_command():
    seen = {}
    for name, unit in _units():
        argv = shlex.split(unit["Service"]["ExecStart"].replace("${YILIAN_BACKUP_DIR}", "/var/backups/yilian"))
        seen[name] = _parse(argv)
        assert unit["Service"]["EnvironmentFile"] == "/etc/yilian/yilian.env"
    assert seen["yilian-web.service"].role == "web" and seen["yilian-worker.service"].role == "worker"
    assert seen["yilian-backup.service"].keep == 14


def test_compose_services_run_valid_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    roles = {name: _parse(service["command"]).role for name, service in compose["services"].items()
             if service.get("command", [""])[0] == "yilian"}
    assert roles == {"web": "web", "worker": "worker"}
    for name in ("web", "worker"):
        env = compose["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and env["YILIAN_REDIS_URL"].startswith("redis://")


def test_env_example_sets_what_production_requires():
    keys = {line.split("=", 1)[0] for line in (DEPLOY / "yilian.env.example").read_text().splitlines()
            if line and not line.startswith("#")}
    assert {"YILIAN_ENV", "YILIAN_SECRET_KEY", "DATABASE_URL", "YILIAN_REDIS_URL", "YILIAN_ALLOWED_HOSTS"} <= keys


def test_production_refuses_to_start_without_its_parts():
    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("production", "--skip-prepare")
    message = str(refused.value)
    assert "YILIAN_ENV=production" in message and "YILIAN_REDIS_URL" in message
