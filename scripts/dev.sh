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
  "$VENV/bin/maturin" develop --release --quiet 2>&1 | grep -vE '^\s*$' || true
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

cmd_demo() {
  build
  local host="${HOST:-127.0.0.1}" port="${PORT:-8000}"
  log "demo: FastAPI app from examples/fastapi_app.py on http://$host:$port (Ctrl-C stops it)"
  cat <<TXT
Try it:
  curl http://$host:$port/
  curl http://$host:$port/items?limit=3
  curl -X POST http://$host:$port/echo -H 'content-type: application/json' -d '{"hello": "world"}'
  open http://$host:$port/docs for the OpenAPI UI
TXT
  exec "$VENV/bin/uvicorn" --app-dir examples fastapi_app:app --host "$host" --port "$port"
}

cmd_test() {
  venv
  if grep -rqs "pytest.mark.redis" tests; then ensure_redis; fi
  log "cargo test"
  cargo test --quiet
  build
  log "fuzzing json.loads briefly (atheris, differential against stdlib json)"
  "$PY" fuzz/fuzz_json_loads.py -runs="${FUZZ_RUNS:-200000}" -max_len=4096 -max_total_time=120 fuzz/corpus fuzz/seeds
  # pytest last, so that its summary closes the run.
  log "pytest"
  "$PY" -m pytest -q
}

cmd_bench() {
  build
  "$PY" bench/run.py "$@"
}

cmd_loadbench() {
  build
  "$PY" -m bench.load "$@"
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; cmd_test "$@" ;;
  build) shift; build ;;
  bench) shift; cmd_bench "$@" ;;
  loadbench) shift; cmd_loadbench "$@" ;;
  *) echo "usage: scripts/dev.sh {demo|test|build|bench|loadbench}" >&2; exit 2 ;;
esac
