# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh: packages, builds and the private servers.
# Everything lives under var/ in the checkout and listens on 127.0.0.1 only.

CHELETE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CHELETE_ROOT

# Debian bookworm packages the build, the servers and the tests need.
CHELETE_DEBIAN_PACKAGES=(
    build-essential cmake ninja-build pkg-config ccache git ca-certificates procps iproute2
    libpistache-dev libpqxx-dev libhiredis-dev libssl-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
    libyaml-cpp-dev libpcre2-dev libcurl4-openssl-dev libargon2-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
    postgresql-15 postgresql-client-15 redis-server
    curl wrk openssl chromium fonts-dejavu-core
)
# Node.js and npm may come from elsewhere than Debian (machines often carry a newer Node); only
# when the commands are missing are Debian's packages installed.
CHELETE_COMMAND_PACKAGES=("node:nodejs" "npm:npm")

log() { printf '\033[1;34m[chelete]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[chelete]\033[0m %s\n' "$*" >&2; exit 1; }

# Installs whatever Debian packages are missing (needs root or sudo the first time).
ensure_packages() {
    local missing=()
    local p
    for p in "${CHELETE_DEBIAN_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
    local entry
    for entry in "${CHELETE_COMMAND_PACKAGES[@]}"; do
        command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "missing packages (${missing[*]}) and no sudo to install them"
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts a system Redis on 6379 after install; we run our own under var/, so stop it.
    if command -v service >/dev/null && pgrep -x redis-server -u redis >/dev/null 2>&1; then
        "${sudo[@]}" service redis-server stop >/dev/null 2>&1 || true
    fi
}

# Pinned npm tools (package-lock.json), installed into node_modules/ when missing or stale.
ensure_npm_tools() {
    local stamp="$CHELETE_ROOT/node_modules/.chelete-lock.sha256"
    local want
    want=$(sha256sum "$CHELETE_ROOT/package-lock.json" | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    # The pinned @redocly/cli needs Node.js 20.19 or newer (its "engines"); npm ci would only warn
    # and the lint would fail later with a less helpful message.
    local node_version
    node_version=$(node --version 2>/dev/null | tr -d v)
    if ! printf '%s\n' 20.19.0 "$node_version" | sort -V -C; then
        die "Node.js ${node_version:-missing} is too old: the pinned npm tools need 20.19 or newer"
    fi
    log "installing pinned npm tools (npm ci)"
    # playwright-core drives Debian's chromium (the console's browser test): it never downloads
    # a browser, and the variable says so to any Playwright package that might.
    (cd "$CHELETE_ROOT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
        die "npm ci failed"
    echo "$want" >"$stamp"
}

pg_bindir() { "$(command -v pg_config || echo /usr/lib/postgresql/15/bin/pg_config)" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin; }

# PostgreSQL refuses to run as root: the server runs as the Debian `postgres` account.
as_pg_user() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# pg_start <datadir> <port> [extra postgres -c settings...]
pg_start() {
    local dir port=$2
    dir=$(realpath -m "$1")
    shift 2
    local bin
    bin=$(pg_bindir)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$dir"
        chmod 700 "$dir"
    fi
    if [[ ! -f "$dir/PG_VERSION" ]]; then
        log "initialising PostgreSQL in $dir"
        as_pg_user "$bin/initdb" -D "$dir" --data-checksums -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if as_pg_user "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        log "PostgreSQL already running on port $port"
        return 0
    fi
    local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=400"
    opts+=" -c shared_buffers=256MB -c log_min_messages=warning"
    local extra
    for extra in "$@"; do
        opts+=" -c $extra"
    done
    as_pg_user "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
        { tail -20 "$dir/server.log" >&2; die "PostgreSQL did not start (log: $dir/server.log)"; }
    local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q -X)
    "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'chelete'" | grep -q 1 ||
        "${psql[@]}" -c "CREATE ROLE chelete LOGIN" >/dev/null
    "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'chelete'" | grep -q 1 ||
        "${psql[@]}" -c "CREATE DATABASE chelete OWNER chelete" >/dev/null
}

pg_stop() {
    local dir
    dir=$(realpath -m "$1")
    [[ -f "$dir/PG_VERSION" ]] || return 0
    as_pg_user "$(pg_bindir)/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# redis_start <dir> <port> persist|volatile
redis_start() {
    local dir port=$2 mode=${3:-persist}
    dir=$(realpath -m "$1")
    mkdir -p "$dir"
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
        log "Redis already running on port $port"
        return 0
    fi
    local persistence=(--appendonly yes --appendfsync everysec --save "")
    if [[ $mode == volatile ]]; then
        persistence=(--appendonly no --save "")
    fi
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
        --logfile "$dir/redis.log" --protected-mode yes "${persistence[@]}" >/dev/null
    local i
    for i in $(seq 1 100); do
        redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "Redis did not start (log: $dir/redis.log)"
}

redis_stop() {
    local dir port=$2
    dir=$(realpath -m "$1")
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    if [[ -f "$dir/redis.pid" ]]; then
        local pid
        pid=$(cat "$dir/redis.pid")
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$dir/redis.pid"
    fi
}

# cmake_configure <build dir> <build type> [extra cmake args...]: Ninja, ccache when present.
cmake_configure() {
    local dir=$1 type=$2
    shift 2
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    cmake -S "$CHELETE_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" "$@" >/dev/null ||
        die "cmake configure failed for $dir"
}

# cmake_build <build dir> <build type> [extra cmake args...]: configures and builds everything.
cmake_build() {
    local dir=$1
    cmake_configure "$@"
    cmake --build "$dir" -j "$(nproc)" || die "build failed in $dir"
}

# sanitize_build <build dir> <seconds per fuzz target>: the clang-14 ASan+UBSan tree with the
# libFuzzer targets (scripts/test.sh and scripts/fuzz.sh), and the sanitizers' options.
sanitize_build() {
    cmake_build "$1" Debug -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
        -DCHELETE_SANITIZE=address,undefined -DCHELETE_BUILD_FUZZERS=ON -DCHELETE_BUILD_BENCH=OFF \
        -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
        -DCHELETE_FUZZ_SECONDS="$2"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
}

# pg_crash <datadir>: stops PostgreSQL at once (`-m immediate`: no checkpoint, every backend
# killed), as a power cut would; the next pg_start runs crash recovery. The chaos test uses it.
pg_crash() {
    local dir
    dir=$(realpath -m "$1")
    as_pg_user "$(pg_bindir)/pg_ctl" -D "$dir" -m immediate -w -t 60 stop >/dev/null
}
