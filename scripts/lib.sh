# shellcheck shell=bash
# Helpers shared by the scripts in this directory. Source it, do not run it:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Callers must set LOG_PREFIX (used in messages) before sourcing or calling.

# Messages go to stderr so stdout stays usable for results (e.g. an endpoint).
log() { printf '%s: %s\n' "${LOG_PREFIX:-dyntui}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${LOG_PREFIX:-dyntui}" "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root: directly when we are root, else through sudo
# (non-interactively when there is no terminal to ask for a password on).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif have sudo; then
        if [[ -t 0 ]]; then
            sudo "$@"
        else
            sudo -n "$@"
        fi
    else
        die "need root to run '$*', but this is not root and sudo is not installed; run it as root or install the missing software by hand"
    fi
}

_APT_UPDATED=0

# apt_install PACKAGE... : install Debian/Ubuntu packages, running
# `apt-get update` once per script run first (fresh machines have no lists).
apt_install() {
    have apt-get || die "cannot install '$*': apt-get not found (not a Debian/Ubuntu system?); install it with your package manager and retry"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
    if [[ $_APT_UPDATED -eq 0 ]]; then
        log "running apt-get update"
        as_root "${apt[@]}" update -qq >&2 \
            || die "'apt-get update' failed (network? apt sources? root/sudo?); fix it, then retry"
        _APT_UPDATED=1
    fi
    log "installing with apt-get: $*"
    as_root "${apt[@]}" install -y -qq --no-install-recommends "$@" >&2 \
        || die "'apt-get install $*' failed; install it by hand (as root: apt-get update && apt-get install -y $*), then retry"
}

# apt_has PACKAGE : does apt know an installable candidate for PACKAGE?
apt_has() {
    local cand
    cand=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    [[ -n $cand && $cand != "(none)" ]]
}

# ensure_cmd COMMAND PACKAGE : install PACKAGE with apt when COMMAND is missing.
ensure_cmd() {
    have "$1" && return 0
    apt_install "$2"
    have "$1" || die "installed '$2' but '$1' is still not on PATH"
}

# ensure_cargo : make sure cargo is usable (rustup puts it in ~/.cargo/bin,
# which a fresh non-login shell may not have on PATH).
ensure_cargo() {
    if ! have cargo && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
        PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
        export PATH
    fi
    have cargo || die "cargo not found; install Rust with rustup (curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y), open a new shell, then retry"
    # Crates such as aws-lc-sys compile C code and every Rust binary needs a
    # linker: on a bare machine there is no C compiler.
    have cc || apt_install build-essential
}

# port_is_free PORT : nothing listens on PORT (checked on all interfaces, as
# DynamoDB Local binds all of them).
port_is_free() {
    local port=$1
    if have python3; then
        python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        continue  # no IPv6 on this machine
    try:
        s.bind((addr, port))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
sys.exit(0)
PY
    else
        # Fallback: free if nothing accepts a connection on loopback.
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# find_free_port START : print the first free port at or above START.
find_free_port() {
    local port=$1 last=$(($1 + 200))
    while ((port <= last)); do
        if port_is_free "$port"; then
            printf '%s\n' "$port"
            return 0
        fi
        port=$((port + 1))
    done
    die "no free TCP port in $1..$last; set DYNTUI_TEST_PORT to a free port"
}
