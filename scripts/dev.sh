#!/usr/bin/env bash
# webaccel's one entry point for building, the demo and the tests. The README's two commands
# (`make demo`, `make test`) and CI's `.ci/run` come here. It installs what it needs itself:
# a local virtual environment (.venv) with pinned Python packages, the extension built in it,
# and, for the Redis-backed tests, redis-server through apt-get when it is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PYO3_PYTHON="${PYO3_PYTHON:-}"

log() { printf '\n==> %s\n' "$*"; }

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: '$1' is required (on this machine kind it comes preinstalled)" >&2; exit 1; }
}

venv() {
  need_cmd python3
  need_cmd cargo
  if [ ! -x "$PY" ]; then
    log "creating virtual environment in .venv"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha"
  local want
  want="$(sha256sum requirements-dev.txt | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing Python dependencies (requirements-dev.txt)"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$PY" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    echo "$want" > "$stamp"
  fi
  export PYO3_PYTHON="$PY"
}

build() {
  venv
  log "building the extension (release profile) into .venv"
  # An editable install: the package in webaccel/ is imported from the source tree, with the
  # compiled webaccel/_core*.so placed next to it.
  # A failed build stops here: the import check below would pass on an extension left over
  # from an earlier build.
  local rc=0
  "$VENV/bin/maturin" develop --release --quiet 2>&1 | { grep -vE '^\s*$' || true; } || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "the extension did not build (maturin exit status $rc)" >&2
    exit "$rc"
  fi
  "$PY" -c "import webaccel, webaccel._core; print('webaccel', webaccel.__version__, 'built')"
}

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  log "installing redis-server (apt-get)"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  # Debian's package may start a system service; the tests start their own servers.
  $sudo service redis-server stop >/dev/null 2>&1 || true
}

demo_help() {
  local base="$1"
  cat <<TXT
Try it (users alice and bob, password "correct horse battery staple"):
  curl -s $base/ping
  # log in: argon2 verifies the password, the answer carries a bearer JWT
  TOKEN=\$(curl -s -X POST $base/login -H 'content-type: application/json' \\
      -d '{"username": "alice", "password": "correct horse battery staple"}' \\
      | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  # the list: bearer JWT, per-user rate limit, page envelope and an RFC 8288 Link header
  curl -si "$base/items?page=2&page_size=5" -H "Authorization: Bearer \$TOKEN"
  # validated JSON POST, cached detail (ETag, 304 on If-None-Match), upload
  curl -s -X POST $base/items -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
      -d '{"name": "Oak Tray", "price": 24.5, "tags": ["kitchen"]}'
  curl -si $base/items/7
  curl -s -F file=@README.md $base/upload
  open $base/docs for the OpenAPI UI
TXT
}

cmd_demo() {
  build
  local host="${HOST:-127.0.0.1}" port="${PORT:-8000}"
  log "demo: the FastAPI app on webaccel, examples/e2e/fastapi_webaccel.py, on http://$host:$port (Ctrl-C stops it)"
  demo_help "http://$host:$port"
  exec "$VENV/bin/uvicorn" --app-dir examples e2e.fastapi_webaccel:app --host "$host" --port "$port"
}

# Every fuzz/fuzz_*.py target, briefly, one after the other, sharing a time budget (FUZZ_SECONDS,
# default 180 s for all of them, plus each target's start-up: the step stays under ~4 minutes on
# 2 cores; `scripts/dev.sh fuzz` runs only this step). Corpora: target
# fuzz_<name>.py writes new inputs into fuzz/corpus_<name>/ (git-ignored) and reads its committed
# seeds from fuzz/seeds/<name>/ when that exists; fuzz_json_loads.py keeps its own arrangement
# (fuzz/corpus, seeds at the top of fuzz/seeds). fuzz/<name>.dict is passed when it exists.
fuzz_all() {
  local targets=(fuzz/fuzz_*.py)
  local budget=$(( ${FUZZ_SECONDS:-180} / ${#targets[@]} ))
  [ "$budget" -ge 5 ] || budget=5
  mkdir -p fuzz/artifacts
  local target name dirs
  for target in "${targets[@]}"; do
    name="$(basename "$target" .py)"
    name="${name#fuzz_}"
    if [ "$name" = json_loads ]; then
      dirs=(fuzz/corpus fuzz/seeds)
    else
      dirs=("fuzz/corpus_$name")
      [ -d "fuzz/seeds/$name" ] && dirs+=("fuzz/seeds/$name")
      # (fuzz_jwt.py's seeds live in fuzz/seeds_jwt, replayed by tests/test_auth_fuzz_seeds.py.)
      [ -d "fuzz/seeds_$name" ] && dirs+=("fuzz/seeds_$name")
    fi
    mkdir -p "${dirs[0]}"
    local extra=()
    [ -f "fuzz/$name.dict" ] && extra+=("-dict=fuzz/$name.dict")
    # Under CI the run is reproducible: a fixed seed, so a red run can be replayed as it was.
    [ -n "${CI:-}" ] && extra+=("-seed=${FUZZ_SEED:-20261122}")
    log "fuzzing $name for ${budget}s ($target)"
    "$PY" "$target" -runs="${FUZZ_RUNS:-200000}" -max_len=4096 -max_total_time="$budget" \
      -timeout=10 -artifact_prefix="fuzz/artifacts/$name-" "${extra[@]}" "${dirs[@]}"
  done
}

cmd_test() {
  venv
  if grep -rqs "pytest.mark.redis" tests; then ensure_redis; fi
  log "cargo test"
  cargo test --quiet
  build
  fuzz_all
  # pytest last, so that its summary closes the run.
  log "pytest"
  "$PY" -m pytest -q
}

cmd_bench() {
  build
  "$PY" bench/run.py "$@"
}

# The documentation site (mkdocs, mkdocs.yml at the root) into site/. --strict turns every
# warning (a broken link or anchor, a page missing from the nav) into a failure.
cmd_docs() {
  venv
  log "building the documentation site into site/ (mkdocs build --strict)"
  "$VENV/bin/mkdocs" build --strict -d site "$@"
}

cmd_loadbench() {
  build
  "$PY" -m bench.load "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  build) shift; build ;;
  fuzz) shift; venv; fuzz_all ;;
  bench) shift; cmd_bench "$@" ;;
  loadbench) shift; cmd_loadbench "$@" ;;
  docs) shift; cmd_docs "$@" ;;
  *) echo "usage: scripts/dev.sh {demo|test|build|bench|loadbench|fuzz|docs}" >&2; exit 2 ;;
esac
