"""The project as a whole: the console command, production settings, migrations in step with models."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(args, tmp_path, **env):
    """Run a command in a fresh process at the repository root, with var/ kept out of the way."""
    # Not inherited: the environment of this test run (the browser tests allow async-unsafe calls).
    dropped = ("YILIAN_ENV", "YILIAN_SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environ = {k: v for k, v in os.environ.items() if k not in dropped}
    environ.update(YILIAN_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def manage(*args, tmp_path, **env):
    return run([sys.executable, "manage.py", *args], tmp_path, **env)


def production_env():
    return {"YILIAN_ENV": "production", "YILIAN_SECRET_KEY": secrets.token_urlsafe(45)}


def test_yilian_command_lists_its_subcommands(tmp_path):
    script = Path(sys.executable).with_name("yilian")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "yilian.cli"]
    result = run([*command, "help"], tmp_path)
    assert result.returncode == 0, result.stderr
    for subcommand in ("demo", "serve", "createsupervisor", "migrate"):
        assert subcommand in result.stdout


def test_deploy_check_is_clean_in_production(tmp_path):
    env = production_env()
    assert len(env["YILIAN_SECRET_KEY"]) >= 50
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_missing_secret_key(tmp_path):
    result = manage("check", tmp_path=tmp_path, YILIAN_ENV="production", YILIAN_SECRET_KEY="")
    assert result.returncode != 0
    assert "YILIAN_SECRET_KEY" in result.stderr


def test_migrations_match_the_models(tmp_path):
    result = manage("makemigrations", "--check", "--dry-run", tmp_path=tmp_path)
    assert result.returncode == 0, "models changed without a migration:\n" + result.stdout + result.stderr
