#!/usr/bin/env bash
# sipelangi-net developer entry point.
#   ./dev.sh setup   install system packages, the virtualenv and the package (idempotent)
#   ./dev.sh demo    setup, then the main job on the embedded lab
#   ./dev.sh test    setup, then ruff, mypy and the whole test suite (the lab tier beside the others)
#   ./dev.sh packages  the Debian packages setup installs, one a line (no root needed)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=${SIPELANGI_VENV:-$ROOT/.venv}
# The one list of the programs the project runs and their packages (also read by
# `sipelangi-net doctor`, the lab's preflight and tests/unit/test_programs.py).
PROGRAM_LIST=sipelangi_net/programs.txt
# The browser tests drive Debian's chromium (on the list); Playwright must never fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

apt_packages() {  # the PACKAGE column of the program list, each package once
    local program package needed_for
    while read -r program package needed_for; do
        case "$program" in "" | "#"*) continue ;; esac
        printf '%s\n' "$package"
    done <"$PROGRAM_LIST" | LC_ALL=C sort -u
}
mapfile -t APT_PACKAGES < <(apt_packages)
if [ ${#APT_PACKAGES[@]} -eq 0 ]; then echo "dev.sh: no packages read from $PROGRAM_LIST" >&2; exit 2; fi

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "dev.sh: run as root (the lab creates network namespaces and starts FRR, Open vSwitch and sshd)" >&2
        exit 2
    fi
}

install_apt() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}"
    # Packages must not start their services: the lab starts its own daemons in namespaces.
    local prc=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$prc" ]; then printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; created=1; fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$created" = 1 ] && rm -f "$prc"
    return 0
}

install_venv() {
    local stamp="$VENV/.sipelangi-stamp" want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
    [ -x "$VENV/bin/python" ] || /usr/bin/python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip wheel
    "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[dev]"
    echo "$want" >"$stamp"
}

# The whole suite in two processes side by side: the lab tier (its tests mostly wait on devices and
# timers, in order, against the one lab) and the other tiers (CPU-bound, run under SCHED_IDLE: they
# take only the CPU the lab tier leaves, so its bandwidth tests measure the lab, not the load; at
# nice 10 a UDP test still lost 2.4 % of its packets beside them). The lab tier's output is
# kept in a file and shown after the other tiers'; the exit code is the worse of the two.
whole_suite() {
    local lab_log lab_pid rc=0 lab_rc=0
    lab_log=$(mktemp -t sipelangi-lab-tier.XXXXXX)
    pytest --durations=15 tests/lab >"$lab_log" 2>&1 &
    lab_pid=$!
    echo "dev.sh: the lab tier runs beside the others (pid $lab_pid, output: $lab_log)"
    chrt --idle 0 pytest --ignore=tests/lab || rc=$?
    wait "$lab_pid" || lab_rc=$?
    echo "=== lab tier (tests/lab) ==="
    cat "$lab_log"
    rm -f "$lab_log"
    [ "$rc" -ge "$lab_rc" ] && return "$rc"
    return "$lab_rc"
}

# doctor: every program of the list is there now (names what is not, with its package)
setup() { need_root; install_apt; install_venv; "$VENV/bin/sipelangi-net" doctor >/dev/null; }

case "${1:-}" in
    setup) setup ;;
    packages) printf '%s\n' "${APT_PACKAGES[@]}" ;;
    demo)
        setup
        export PATH="$VENV/bin:$PATH"
        scripts/demo.sh
        ;;
    test)
        setup
        export PATH="$VENV/bin:$PATH"
        ruff check sipelangi_net tests bench scripts
        ruff format --check sipelangi_net tests bench scripts
        mypy
        if [ $# -gt 1 ]; then pytest "${@:2}"; else whole_suite; fi
        ;;
    *)
        echo "usage: ./dev.sh setup|demo|test [pytest args]|packages" >&2
        exit 2
        ;;
esac
