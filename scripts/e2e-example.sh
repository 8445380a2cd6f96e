#!/usr/bin/env bash
# e2e-example.sh -- end-to-end check of dual-backend-coverage on a REAL PostgreSQL.
#
#   scripts/e2e-example.sh
#
# 1. installs examples/storage's dependencies if missing (npm ci);
# 2. under scripts/with-postgres.sh, runs the example's ONE suite with
#    STORAGE_BACKEND=sqlite and STORAGE_BACKEND=postgres (JUnit into .tmp/e2e/);
# 3. runs the gate (dist/cli.js and the bundled action dist/index.js) on those reports
#    and expects success;
# 4. proves the gate bites: (a) the postgres job without DATABASE_URL (its tests skip) and
#    (b) the postgres job with EXAMPLE_INJECT_SQLITE_ONLY=1 (one test fails) must both make
#    the gate fail with the right gaps, and the generated PostgreSQL password must not appear
#    in anything the gate wrote;
# 5. prints PASS/FAIL per step and exits non-zero on any failure.
#
# Environment: E2E_SUITES_ONLY=1 skips the gate steps (for working on the example alone).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
EX=examples/storage
OUT=.tmp/e2e
CFG=$EX/dual-backend.yml
FAILS=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILS=$((FAILS + 1)); }
skip() { printf 'SKIP  %s\n' "$*"; }
info() { printf '      %s\n' "$*"; }
show_tail() { [[ -f $1 ]] && tail -n "${2:-25}" "$1" | sed 's/^/      | /'; }

# =========================================================================================
# Inner part: runs under with-postgres.sh, with DATABASE_URL, PGPASSWORD, ... exported.
# =========================================================================================
inner() {
  [[ -n ${DATABASE_URL:-} && -n ${PGPASSWORD:-} ]] || { fail "with-postgres.sh did not export DATABASE_URL/PGPASSWORD"; return 1; }
  local secret=$PGPASSWORD
  local vitest=$ROOT/$EX/node_modules/.bin/vitest

  # run_suite LABEL DIR EXPECTED_RC [-u VAR]... [VAR=value]...   (env(1) arguments)
  run_suite() {
    local label=$1 dir=$2 expect=$3
    shift 3
    mkdir -p "$dir"
    local t0 rc ms
    t0=$(now_ms)
    (cd "$EX" && env "$@" "$vitest" run --reporter=default --reporter=junit \
      --outputFile.junit="$ROOT/$dir/junit.xml") >"$dir/vitest.log" 2>&1
    rc=$?
    ms=$(($(now_ms) - t0))
    if [[ $rc -eq $expect && -s $dir/junit.xml ]]; then
      pass "suite $label: vitest exit $rc as expected (${ms} ms) -> $dir/junit.xml"
    else
      fail "suite $label: vitest exit $rc, expected $expect (${ms} ms)"
      show_tail "$dir/vitest.log"
    fi
  }

  # junit_counts FILE -> "tests failures skipped"
  junit_counts() {
    node -e '
      const x = require("fs").readFileSync(process.argv[1], "utf8")
      const n = (re) => (x.match(re) || []).length
      console.log(n(/<testcase\b/g), n(/<failure\b/g) + n(/<error\b/g), n(/<skipped\b/g))
    ' "$1"
  }
  check_counts() { # LABEL FILE "tests failures skipped"
    local got
    got=$(junit_counts "$2" 2>/dev/null)
    if [[ $got == "$3" ]]; then pass "report $1: tests/failures/skipped = $got"; else fail "report $1: tests/failures/skipped = '$got', expected '$3'"; fi
  }

  echo "== step 2: the suite on both backends (PostgreSQL on port $PGPORT) =="
  run_suite "sqlite" "$OUT/ok/sqlite" 0 -u DATABASE_URL -u EXAMPLE_INJECT_SQLITE_ONLY -u REQUIRE_DATABASE_URL STORAGE_BACKEND=sqlite
  run_suite "postgres" "$OUT/ok/postgres" 0 -u EXAMPLE_INJECT_SQLITE_ONLY -u REQUIRE_DATABASE_URL STORAGE_BACKEND=postgres
  local ntests
  ntests=$(junit_counts "$OUT/ok/sqlite/junit.xml" 2>/dev/null | cut -d' ' -f1)
  [[ ${ntests:-0} -ge 10 ]] || { fail "the sqlite report has only '${ntests:-0}' tests"; ntests=0; }
  check_counts "ok/sqlite" "$OUT/ok/sqlite/junit.xml" "$ntests 0 0"
  check_counts "ok/postgres" "$OUT/ok/postgres/junit.xml" "$ntests 0 0"

  echo "== step 4 (suites): the two broken PostgreSQL jobs =="
  # (a) the classic silent skip: no DATABASE_URL, the postgres tests skip, vitest exits 0.
  run_suite "postgres without DATABASE_URL (skips)" "$OUT/skip/postgres" 0 \
    -u DATABASE_URL -u EXAMPLE_INJECT_SQLITE_ONLY -u REQUIRE_DATABASE_URL STORAGE_BACKEND=postgres
  check_counts "skip/postgres" "$OUT/skip/postgres/junit.xml" "$ntests 0 $ntests"
  # (b) a SQLite-only statement reaches PostgreSQL: exactly one test fails.
  run_suite "postgres with EXAMPLE_INJECT_SQLITE_ONLY=1" "$OUT/inject/postgres" 1 \
    -u REQUIRE_DATABASE_URL STORAGE_BACKEND=postgres EXAMPLE_INJECT_SQLITE_ONLY=1
  check_counts "inject/postgres" "$OUT/inject/postgres/junit.xml" "$ntests 1 0"
  if grep -qF -- "$secret" "$OUT/inject/postgres/junit.xml"; then
    pass "raw JUnit of case b contains the PostgreSQL password (so redaction is really tested)"
  else
    fail "raw JUnit of case b does not contain the PostgreSQL password: the redaction check would prove nothing"
  fi
  # The recommended fail-closed mode: a missing DATABASE_URL is an error, not a skip.
  mkdir -p "$OUT/required/postgres"
  if (cd "$EX" && env -u DATABASE_URL STORAGE_BACKEND=postgres REQUIRE_DATABASE_URL=1 "$vitest" run) \
    >"$OUT/required/postgres/vitest.log" 2>&1; then
    fail "REQUIRE_DATABASE_URL=1 without DATABASE_URL: vitest exited 0 (expected a hard error)"
  else
    pass "REQUIRE_DATABASE_URL=1 without DATABASE_URL: vitest fails instead of skipping"
  fi

  if [[ ${E2E_SUITES_ONLY:-} == 1 ]]; then
    skip "gate steps 3 and 4 (E2E_SUITES_ONLY=1)"
    return "$((FAILS > 0))"
  fi
  if [[ ! -f dist/cli.js || ! -f dist/index.js ]]; then
    fail "dist/cli.js and dist/index.js are needed for the gate steps: run 'npm run build' first"
    return 1
  fi

  # ---------------------------------------------------------------------------------------
  # verdict_check MODE JSON -- checks the gate's JSON verdict.
  #   success: conclusion success, no gaps, both backends with every test passed
  #   skipped: every test has a `skipped` gap on postgres, and no other gap
  #   failed:  exactly one gap: the upsert test, `failed`, on postgres
  verdict_check() {
    node - "$1" "$2" "$ntests" <<'JS'
const fs = require('fs')
const [mode, file, ntestsArg] = process.argv.slice(2)
const ntests = Number(ntestsArg)
const problems = []
let v
try { v = JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { console.log(`cannot read JSON verdict ${file}: ${e.message}`); process.exit(1) }
const gaps = Array.isArray(v.gaps) ? v.gaps : (problems.push('no gaps array'), [])
const by = (b) => (Array.isArray(v.backends) ? v.backends : []).find((x) => x.name === b)
const summary = gaps.map((g) => `${g.backend}/${g.kind}: ${g.test}`).slice(0, 5).join('; ')
if (Array.isArray(v.errors) && v.errors.length) problems.push(`errors: ${JSON.stringify(v.errors).slice(0, 300)}`)
if (mode === 'success') {
  if (v.conclusion !== 'success') problems.push(`conclusion ${v.conclusion}`)
  if (gaps.length) problems.push(`${gaps.length} gaps: ${summary}`)
  for (const b of ['sqlite', 'postgres']) {
    const s = by(b)
    if (!s) problems.push(`no backend ${b}`)
    else if (s.tests !== ntests || s.passed !== ntests) problems.push(`${b}: tests=${s.tests} passed=${s.passed}, expected ${ntests}`)
  }
  if (v.tests !== ntests) problems.push(`tests=${v.tests}, expected ${ntests}`)
} else if (mode === 'skipped') {
  if (v.conclusion !== 'failure') problems.push(`conclusion ${v.conclusion}`)
  const skipped = gaps.filter((g) => g.backend === 'postgres' && g.kind === 'skipped')
  const other = gaps.filter((g) => !(g.backend === 'postgres' && g.kind === 'skipped'))
  const names = new Set(skipped.map((g) => g.test))
  if (names.size !== ntests) problems.push(`${names.size} distinct tests with a postgres/skipped gap, expected ${ntests}`)
  if (other.length) problems.push(`unexpected gaps: ${other.map((g) => `${g.backend}/${g.kind}: ${g.test}`).join('; ')}`)
} else if (mode === 'failed') {
  if (v.conclusion !== 'failure') problems.push(`conclusion ${v.conclusion}`)
  const ok = gaps.length === 1 && gaps[0].backend === 'postgres' && gaps[0].kind === 'failed' &&
    /inserts a new sku, then updates it in place on conflict/.test(String(gaps[0].test))
  if (!ok) problems.push(`expected exactly one postgres/failed gap on the upsert test, got ${gaps.length}: ${summary}`)
  else if (gaps[0].message !== undefined && !/syntax error/i.test(gaps[0].message)) problems.push(`the gap's message does not carry the driver's error: ${gaps[0].message}`)
} else problems.push(`unknown mode ${mode}`)
if (problems.length) { console.log(problems.join('\n')); process.exit(1) }
console.log(`conclusion=${v.conclusion}, tests=${v.tests}, gaps=${gaps.length}${summary ? ` (${summary}${gaps.length > 5 ? '; ...' : ''})` : ''}`)
JS
  }

  # github_output FILE KEY -- one output from a GITHUB_OUTPUT file (name=value or heredoc form).
  github_output() {
    node -e '
      const lines = require("fs").readFileSync(process.argv[1], "utf8").split(/\r?\n/)
      const out = {}
      for (let i = 0; i < lines.length; i++) {
        const h = /^([^=<]+)<<(.+)$/.exec(lines[i])
        if (h) { const v = []; while (++i < lines.length && lines[i] !== h[2]) v.push(lines[i]); out[h[1]] = v.join("\n") }
        else { const k = lines[i].indexOf("="); if (k > 0) out[lines[i].slice(0, k)] = lines[i].slice(k + 1) }
      }
      if (out[process.argv[2]] === undefined) process.exit(1)
      process.stdout.write(out[process.argv[2]])
    ' "$1" "$2"
  }

  # no_secret LABEL FILE... -- the password must not be in anything the gate wrote.
  no_secret() {
    local label=$1 f hits=()
    shift
    for f in "$@"; do [[ -f $f ]] && grep -qF -- "$secret" "$f" && hits+=("$f"); done
    if [[ ${#hits[@]} -eq 0 ]]; then pass "$label: the PostgreSQL password appears in none of the $# files the gate wrote"
    else fail "$label: the PostgreSQL password LEAKED into: ${hits[*]}"; fi
  }

  # gate CASE SQLITE_DIR POSTGRES_DIR EXPECTED_RC MODE
  gate() {
    local name=$1 sq="$2/**/*.xml" pg="$3/**/*.xml" expect=$4 mode=$5
    local d=$OUT/gate/$name t0 rc ms
    rm -rf "$d"
    mkdir -p "$d/runner_temp"

    # --- the CLI ---
    t0=$(now_ms)
    node dist/cli.js --config "$CFG" --backend "sqlite=$sq" --backend "postgres=$pg" \
      --format json --output "$d/cli.json" >"$d/cli.stdout" 2>"$d/cli.stderr"
    rc=$?
    ms=$(($(now_ms) - t0))
    if [[ $rc -eq $expect ]]; then pass "gate[$name] CLI: exit $rc as expected (${ms} ms)"
    else fail "gate[$name] CLI: exit $rc, expected $expect (${ms} ms)"; show_tail "$d/cli.stderr" 10; show_tail "$d/cli.stdout" 10; fi
    local msg
    if msg=$(verdict_check "$mode" "$d/cli.json" 2>&1); then pass "gate[$name] CLI verdict: $msg"
    else fail "gate[$name] CLI verdict:"; printf '%s\n' "$msg" | sed 's/^/      | /'; fi
    # A human-readable copy for the log (not checked).
    node dist/cli.js --config "$CFG" --backend "sqlite=$sq" --backend "postgres=$pg" --format text \
      >"$d/cli-text.stdout" 2>"$d/cli-text.stderr"

    # --- the bundled action, run as the runner does ---
    local sha=0123456789abcdef0123456789abcdef01234567
    printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"full_name":"example/storage","name":"storage","owner":{"login":"example"}},"head_commit":{"id":"%s","message":"e2e"},"sender":{"login":"e2e"}}\n' \
      "$sha" "$sha" "$sha" >"$d/event.json"
    : >"$d/github_output"
    : >"$d/step_summary"
    t0=$(now_ms)
    env INPUT_CONFIG="$CFG" \
      INPUT_BACKENDS="$(printf 'sqlite: %s\npostgres: %s' "$sq" "$pg")" \
      INPUT_PUBLISH=none INPUT_TOKEN= \
      GITHUB_ACTIONS=true CI=true \
      GITHUB_OUTPUT="$ROOT/$d/github_output" GITHUB_STEP_SUMMARY="$ROOT/$d/step_summary" \
      GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$ROOT/$d/event.json" \
      GITHUB_SHA=$sha GITHUB_REF=refs/heads/main GITHUB_REPOSITORY=example/storage \
      GITHUB_REPOSITORY_OWNER=example GITHUB_WORKSPACE="$ROOT" GITHUB_RUN_ID=1 GITHUB_RUN_ATTEMPT=1 \
      GITHUB_JOB=storage-gate GITHUB_WORKFLOW=e2e GITHUB_ACTOR=e2e \
      GITHUB_SERVER_URL=https://github.com GITHUB_API_URL=https://api.github.com \
      RUNNER_TEMP="$ROOT/$d/runner_temp" RUNNER_OS=Linux \
      node dist/index.js >"$d/action.stdout" 2>"$d/action.stderr"
    rc=$?
    ms=$(($(now_ms) - t0))
    if [[ $rc -eq $expect ]]; then pass "gate[$name] action: exit $rc as expected (${ms} ms)"
    else fail "gate[$name] action: exit $rc, expected $expect (${ms} ms)"; show_tail "$d/action.stdout" 15; show_tail "$d/action.stderr" 10; fi
    local want=success
    [[ $mode == success ]] || want=failure
    local conclusion
    conclusion=$(github_output "$d/github_output" conclusion 2>/dev/null)
    if [[ $conclusion == "$want" ]]; then pass "gate[$name] action: GITHUB_OUTPUT has conclusion=$conclusion"
    else fail "gate[$name] action: GITHUB_OUTPUT conclusion='${conclusion}', expected $want"; show_tail "$d/github_output" 10; fi
    local json
    json=$(github_output "$d/github_output" json 2>/dev/null)
    local files=("$d"/cli.json "$d"/cli.stdout "$d"/cli.stderr "$d"/cli-text.stdout "$d"/cli-text.stderr
      "$d"/action.stdout "$d"/action.stderr "$d"/github_output "$d"/step_summary)
    if [[ -n $json ]]; then
      [[ $json == /* ]] || json=$ROOT/$json
      if msg=$(verdict_check "$mode" "$json" 2>&1); then pass "gate[$name] action verdict (json output): $msg"
      else fail "gate[$name] action verdict ($json):"; printf '%s\n' "$msg" | sed 's/^/      | /'; fi
      files+=("$json")
    else
      fail "gate[$name] action: GITHUB_OUTPUT has no 'json' output"
    fi
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d/runner_temp" -type f -print0)
    no_secret "gate[$name]" "${files[@]}"
  }

  echo "== step 3: the gate on the good reports must pass =="
  gate ok "$OUT/ok/sqlite" "$OUT/ok/postgres" 0 success
  echo "== step 4a: the postgres job ran without DATABASE_URL (silent skip) =="
  gate skip "$OUT/ok/sqlite" "$OUT/skip/postgres" 1 skipped
  echo "== step 4b: a SQLite-only statement fails one test on PostgreSQL =="
  gate inject "$OUT/ok/sqlite" "$OUT/inject/postgres" 1 failed

  # Not part of the contract, reported only: in a real workflow the gate usually runs in a
  # later job where DATABASE_URL is not set, so only URL-shaped redaction could help there.
  local d=$OUT/gate/inject-no-env
  mkdir -p "$d"
  env -u DATABASE_URL -u PGPASSWORD node dist/cli.js --config "$CFG" \
    --backend "sqlite=$OUT/ok/sqlite/**/*.xml" --backend "postgres=$OUT/inject/postgres/**/*.xml" \
    --format json --output "$d/cli.json" >"$d/cli.stdout" 2>"$d/cli.stderr"
  if grep -qF -- "$secret" "$d"/cli.*; then
    info "note: with DATABASE_URL/PGPASSWORD absent from the gate's environment, the password in a"
    info "      postgres:// URL is NOT redacted ($d) -- only redact-env values are"
  else
    info "note: the password is redacted even without DATABASE_URL in the gate's environment"
  fi

  return "$((FAILS > 0))"
}

if [[ ${1:-} == __inner ]]; then
  inner
  exit $?
fi

# =========================================================================================
# Outer part
# =========================================================================================
T_START=$(now_ms)
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== step 1: dependencies of $EX =="
t0=$(now_ms)
if [[ -x $EX/node_modules/.bin/vitest && -d $EX/node_modules/pg && -d $EX/node_modules/better-sqlite3 ]]; then
  pass "dependencies already installed"
else
  if npm ci --prefix "$EX" --no-audit --no-fund >"$OUT/npm-ci.log" 2>&1; then
    pass "npm ci --prefix $EX ($(($(now_ms) - t0)) ms)"
  else
    fail "npm ci --prefix $EX"
    show_tail "$OUT/npm-ci.log" 30
    exit 1
  fi
fi
# The native addon must match this Node's ABI (e.g. installed under Node 20, run under 24).
if ! (cd "$EX" && node -e 'new (require("better-sqlite3"))(":memory:").close()') >"$OUT/addon.log" 2>&1; then
  info "better-sqlite3 does not load under $(node -v): rebuilding it"
  if npm rebuild better-sqlite3 --prefix "$EX" >>"$OUT/addon.log" 2>&1 &&
    (cd "$EX" && node -e 'new (require("better-sqlite3"))(":memory:").close()') >>"$OUT/addon.log" 2>&1; then
    pass "better-sqlite3 rebuilt for $(node -v)"
  else
    fail "better-sqlite3 does not load under $(node -v)"
    show_tail "$OUT/addon.log" 20
    exit 1
  fi
fi

echo "== starting a throwaway PostgreSQL =="
"$ROOT/scripts/with-postgres.sh" bash "$ROOT/scripts/e2e-example.sh" __inner
rc=$?
[[ $rc -eq 0 ]] || FAILS=$((FAILS + 1))

echo "== done in $(($(now_ms) - T_START)) ms =="
if [[ $FAILS -eq 0 ]]; then
  echo "E2E RESULT: PASS"
  exit 0
fi
echo "E2E RESULT: FAIL (see the FAIL lines above; artifacts in $OUT/)"
exit 1
