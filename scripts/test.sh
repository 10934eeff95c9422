#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failure (run through ./dev test).
#
#   ./dev test [PYTEST ARGS...]     extra arguments go to both pytest runs, e.g. -k smoke
#
# YILIAN_TEST_TIMEOUT   limit for each pytest run (default 20m)
set -euo pipefail

YILIAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$YILIAN_ROOT"
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
# shellcheck source=scripts/pg.sh
source scripts/pg.sh

PY="$VENV/bin/python"
PYTEST_TIMEOUT="${YILIAN_TEST_TIMEOUT:-20m}"
export PYTHONUNBUFFERED=1
export YILIAN_REQUIRE_BROWSER=1 # browser tests fail, not skip, when chromium is missing
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
unset DATABASE_URL YILIAN_ENV # the first run is on SQLite, in the development settings

STEP_NAMES=()
STEP_TIMES=()
STEP_NOTES=()
T0=$SECONDS
LAST_NOTE=""

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary() {
    local status=$1 i
    echo
    say "Summary ($(fmt_time $((SECONDS - T0))) in all)"
    for i in "${!STEP_NAMES[@]}"; do
        printf '  %s%-6s%s %-40s %7s  %s\n' "$C_GREEN" ok "$C_OFF" "${STEP_NAMES[$i]}" \
            "$(fmt_time "${STEP_TIMES[$i]}")" "${STEP_NOTES[$i]}"
    done
    if ((status == 0)); then
        printf '%sAll checks passed.%s\n' "$C_GREEN" "$C_OFF"
    fi
}

# step NAME CMD ARGS...: run one check; on failure print the summary and exit non-zero.
step() {
    local name=$1 t rc=0
    shift
    echo
    say "$name"
    t=$SECONDS
    LAST_NOTE=""
    "$@" || rc=$?
    if ((rc != 0)); then
        summary 1
        printf '  %s%-6s%s %-40s %7s  exit code %d%s\n' "$C_RED" FAILED "$C_OFF" "$name" \
            "$(fmt_time $((SECONDS - t)))" "$rc" "${LAST_NOTE:+ — $LAST_NOTE}"
        exit "$rc"
    fi
    STEP_NAMES+=("$name")
    STEP_TIMES+=($((SECONDS - t)))
    STEP_NOTES+=("$LAST_NOTE")
}

setup_all() {
    ensure_system_packages
    ensure_venv test
}

ruff_check() { "$VENV/bin/ruff" check .; }

# bandit: no high-severity finding in yilian/ (settings in pyproject.toml [tool.bandit]).
bandit_check() {
    "$VENV/bin/bandit" -c pyproject.toml -r yilian --severity-level high -q
    LAST_NOTE="$("$VENV/bin/bandit" -c pyproject.toml -r yilian -q -f json 2>/dev/null | "$PY" -c '
import json, sys
totals = json.load(sys.stdin)["metrics"]["_totals"]
print("high {} · medium {} · low {}".format(*(int(totals["SEVERITY." + s]) for s in ("HIGH", "MEDIUM", "LOW"))))
' || true)"
}

compile_messages() {
    if [[ -z "$(find yilian -path '*/locale/*' -name '*.po' -print -quit)" ]]; then
        LAST_NOTE="no .po files yet, skipped"
        echo "$LAST_NOTE"
        return 0
    fi
    "$PY" manage.py compilemessages --ignore=.venv --ignore=node_modules --ignore=var --ignore=build
}

deploy_check() {
    local key
    key="$("$PY" -c 'import secrets, string
alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
print("".join(secrets.choice(alphabet) for _ in range(60)))')"
    YILIAN_ENV=production YILIAN_SECRET_KEY="$key" "$PY" manage.py check --deploy --fail-level WARNING
}

# run_pytest LABEL ARGS...: pytest, with exit code 5 (no tests collected) counted as failure.
run_pytest() {
    local label=$1 rc=0 log
    shift
    mkdir -p "$ARTIFACTS/logs"
    log="$ARTIFACTS/logs/pytest-$label.log"
    timeout --foreground -k 30s "$PYTEST_TIMEOUT" "$PY" -m pytest -q --durations=5 \
        --junitxml="$ARTIFACTS/junit-$label.xml" "$@" 2>&1 | tee "$log" || rc=$?
    LAST_NOTE="$(grep -E '^=* ?[0-9]+ (passed|failed|error|skipped|deselected)|no tests ran' "$log" | tail -n 1 |
        sed -E 's/^=+ //; s/ =+$//')"
    case $rc in
    0) ;;
    5) LAST_NOTE="pytest collected no tests" ;;
    124 | 137) LAST_NOTE="pytest exceeded $PYTEST_TIMEOUT" ;;
    esac
    return "$rc"
}

pytest_postgres() {
    local rc=0
    pg_start || return 1
    run_pytest postgres "$@" || rc=$?
    LAST_NOTE="PostgreSQL $PG_VERSION: $LAST_NOTE"
    return "$rc"
}

trap pg_stop EXIT
trap 'exit 130' INT TERM
rm -rf "$ARTIFACTS/screenshots" # no screenshots left over from an earlier run

step "Setup: Debian packages and .venv" setup_all
step "ruff check ." ruff_check
step "bandit (no high-severity finding)" bandit_check
step "makemigrations --check --dry-run" "$PY" manage.py makemigrations --check --dry-run
step "manage.py check" "$PY" manage.py check
step "check --deploy (YILIAN_ENV=production)" deploy_check
step "compilemessages" compile_messages
step "pytest on SQLite" run_pytest sqlite "$@"
step "pytest on PostgreSQL" pytest_postgres "$@"
pg_stop
summary 0
