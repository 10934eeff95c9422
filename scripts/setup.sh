#!/usr/bin/env bash
# Setup helpers for ./dev: the Debian packages the tests need and the project's virtualenv.
#
# Sourced by ./dev and scripts/test.sh; can also be run alone:
#   scripts/setup.sh          venv with the application only (pip install -e .)
#   scripts/setup.sh --test   Debian packages + venv with the test extras (pip install -e ".[test]")

YILIAN_ROOT="${YILIAN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
VENV="$YILIAN_ROOT/.venv"
PYTHON="${PYTHON:-python3}"
ARTIFACTS="$YILIAN_ROOT/test-artifacts"

# Debian packages for ./dev test: the browser for Playwright, a PostgreSQL server for the
# second test run, msgfmt for compilemessages and a CJK font for screenshots and PDFs.
SYSTEM_PACKAGES=(chromium postgresql redis-server gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils)

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    C_BOLD=$'\e[1m' C_RED=$'\e[31m' C_GREEN=$'\e[32m' C_YELLOW=$'\e[33m' C_OFF=$'\e[0m'
else
    C_BOLD="" C_RED="" C_GREEN="" C_YELLOW="" C_OFF=""
fi

say() { printf '%s==>%s %s\n' "$C_BOLD" "$C_OFF" "$*"; }
warn() { printf '%swarning:%s %s\n' "$C_YELLOW" "$C_OFF" "$*" >&2; }
die() {
    printf '%serror:%s %s\n' "$C_RED" "$C_OFF" "$*" >&2
    exit 1
}

# Prints the packages of SYSTEM_PACKAGES that are not installed.
missing_system_packages() {
    local pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            echo "$pkg"
        fi
    done
}

# Installs the missing Debian packages (apt-get, non-interactive). Quick when nothing is missing.
ensure_system_packages() {
    command -v dpkg-query >/dev/null || die "this needs a Debian-based system (dpkg/apt-get not found)"
    local missing
    mapfile -t missing < <(missing_system_packages)
    if ((${#missing[@]} == 0)); then
        say "Debian packages present: ${SYSTEM_PACKAGES[*]}"
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null ||
            die "not root and no sudo: install these packages first: apt-get install ${missing[*]}"
        if [[ -t 0 ]]; then sudo=(sudo); else sudo=(sudo -n); fi
    fi
    mkdir -p "$ARTIFACTS/logs"
    local log="$ARTIFACTS/logs/apt.log"
    say "Installing Debian packages: ${missing[*]} (log: ${log#"$YILIAN_ROOT"/})"
    local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
        -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    if ! { "${apt[@]}" update && "${apt[@]}" install "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
        tail -n 30 "$log" >&2
        die "apt-get failed (full log: $log)"
    fi
    mapfile -t missing < <(missing_system_packages)
    ((${#missing[@]} == 0)) || die "still missing after apt-get: ${missing[*]} (see $log)"
}

_install_stamp() { # $1 = extras ("" or "test")
    echo "$VENV/.yilian-installed${1:+-$1}"
}

_project_hash() {
    cat "$YILIAN_ROOT/pyproject.toml" <("$VENV/bin/python" -c 'import sys; print(sys.version)') |
        sha256sum | cut -d' ' -f1
}

# Creates .venv if needed and installs the project in editable mode, with the given extras.
# Reinstalls only when pyproject.toml (or the Python) has changed since the last install.
ensure_venv() { # $1 = extras: "" (application only) or "test"
    local extras="${1:-}"
    if [[ -x "$VENV/bin/python" ]] && ! "$VENV/bin/python" -c "" 2>/dev/null; then
        warn "$VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.11 or newer"
        "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
            die "Yilian needs Python >= 3.11; $PYTHON is $("$PYTHON" -V 2>&1). Set PYTHON=/path/to/python3.11"
        say "Creating virtualenv .venv ($("$PYTHON" -V 2>&1))"
        "$PYTHON" -m venv "$VENV" ||
            die "could not create $VENV (on Debian: apt-get install python3-venv)"
    fi
    local hash stamp
    hash="$(_project_hash)"
    stamp="$(_install_stamp "$extras")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
        return 0
    fi
    # The test extras include the application, so they also satisfy a plain install.
    if [[ -z "$extras" && -f "$(_install_stamp test)" && "$(cat "$(_install_stamp test)")" == "$hash" ]]; then
        return 0
    fi
    local target="."
    [[ -n "$extras" ]] && target=".[$extras]"
    say "Installing Yilian into .venv: pip install -e \"$target\""
    # pip's status, not grep's; the filter drops pip's notes about configured local indexes that
    # this machine does not have.
    (
        set -o pipefail
        cd "$YILIAN_ROOT" &&
            PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
                PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install -q -e "$target" 2>&1 |
            { grep -v "^WARNING: Location '.*' is ignored" || true; }
    ) || die "pip install -e \"$target\" failed"
    echo "$hash" >"$stamp"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    case "${1:-}" in
    --test)
        ensure_system_packages
        ensure_venv test
        ;;
    "") ensure_venv "" ;;
    *) die "usage: scripts/setup.sh [--test]" ;;
    esac
fi
