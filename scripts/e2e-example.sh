#!/usr/bin/env bash
# e2e-example.sh -- end-to-end check of dual-backend-coverage on a REAL PostgreSQL.
#
#   scripts/e2e-example.sh
#
# 1. installs examples/storage's dependencies if missing (npm ci);
# 2. under scripts/with-postgres.sh, runs the example's ONE suite with
#    STORAGE_BACKEND=sqlite and STORAGE_BACKEND=postgres (JUnit into .tmp/e2e/);
# 3. runs the gate (dist/cli.js and the bundled action dist/index.js) on those reports
#    and expects success, with each backend's `evidence:` (the canary test's server version)
#    found in its own reports;
# 4. proves the gate bites: (a) the postgres job without DATABASE_URL in the dangerous
#    "skip" mode (STORAGE_SKIP_WITHOUT_DATABASE_URL=1: its tests skip, vitest exits 0),
#    (b) the postgres job with EXAMPLE_INJECT_SQLITE_ONLY=1 (one test fails; its failure
#    message carries the connection URL, password included, on purpose), (c) the
#    recommended fail-closed mode (CI=true, no DATABASE_URL: the file fails to load) and
#    (d) the postgres job without DATABASE_URL in the dangerous "fallback" mode
#    (STORAGE_FALLBACK_TO_SQLITE=1: every test runs on SQLite and passes, vitest exits 0 --
#    only the canary's "SQLite 3.x" tells) must each make the gate (CLI and action) fail with
#    the right gaps, read from the JSON verdict; the generated PostgreSQL password must not
#    appear in anything the gate wrote, whether or not DATABASE_URL is in the gate's
#    environment;
# 5. runs the action with this repository's own .github/dual-backend.yml on the artifact
#    layout of .github/workflows/ci.yml's gate job, as a merge queue (merge_group) run;
# 6. runs the fork pull request recipe (workflow_run: the action downloads CI's artifacts and
#    posts the check) against a local stand-in for the GitHub API (scripts/e2e-workflow-run.mjs);
# 7. prints PASS/FAIL per step and exits non-zero on any failure.
#
# The suites run with CI=true, as on a CI runner. Everything lands in .tmp/e2e/.
# Environment: E2E_SUITES_ONLY=1 skips the gate steps (for working on the example alone).
# Needs dist/ (npm run build); as root it runs PostgreSQL as the `postgres` OS user.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
EX=examples/storage
OUT=.tmp/e2e
CFG=$EX/dual-backend.yml
FAILS=0
# Time bounds (seconds): nothing here can hang.
INSTALL_TIMEOUT=${E2E_INSTALL_TIMEOUT:-300}
RUN_TIMEOUT=${E2E_RUN_TIMEOUT:-170}
SUITE_TIMEOUT=60
GATE_TIMEOUT=60

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
    (cd "$EX" && timeout -k 5 "$SUITE_TIMEOUT" env "$@" "$vitest" run --reporter=default --reporter=junit \
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
  # check_canary LABEL FILE REGEX -- the canary test's "database server: ..." line, which
  # vitest's JUnit reporter keeps in the testcase's <system-out>, must match REGEX (ERE).
  check_canary() {
    local got
    got=$(grep -o 'database server: [^<]*' "$2" 2>/dev/null | head -n 1)
    if [[ -n $got && $got =~ $3 ]]; then pass "report $1: the canary's <system-out> says '${got:0:60}'"
    else fail "report $1: the canary's <system-out> says '${got:-nothing}', expected a match of /$3/"; fi
  }

  echo "== step 2: the suite on both backends (PostgreSQL on port $PGPORT) =="
  # Every run starts from the same environment: none of the example's switches, CI=true
  # (env(1) wants its -u options before the assignments).
  local clean=(-u EXAMPLE_INJECT_SQLITE_ONLY -u REQUIRE_DATABASE_URL -u STORAGE_SKIP_WITHOUT_DATABASE_URL -u STORAGE_FALLBACK_TO_SQLITE)
  run_suite "sqlite" "$OUT/ok/sqlite" 0 "${clean[@]}" -u DATABASE_URL CI=true STORAGE_BACKEND=sqlite
  run_suite "postgres" "$OUT/ok/postgres" 0 "${clean[@]}" CI=true STORAGE_BACKEND=postgres
  local ntests
  ntests=$(junit_counts "$OUT/ok/sqlite/junit.xml" 2>/dev/null | cut -d' ' -f1)
  [[ ${ntests:-0} -ge 10 ]] || { fail "the sqlite report has only '${ntests:-0}' tests"; ntests=0; }
  check_counts "ok/sqlite" "$OUT/ok/sqlite/junit.xml" "$ntests 0 0"
  check_counts "ok/postgres" "$OUT/ok/postgres/junit.xml" "$ntests 0 0"
  check_canary "ok/sqlite" "$OUT/ok/sqlite/junit.xml" '^database server: SQLite 3\.'
  check_canary "ok/postgres" "$OUT/ok/postgres/junit.xml" '^database server: PostgreSQL 1[4-9]\.'

  echo "== step 4 (suites): the broken PostgreSQL jobs, and fail-closed =="
  # (a) the classic silent skip: no DATABASE_URL and the dangerous skip switch on: every
  # postgres test skips and vitest exits 0 -- a green job that tested nothing.
  run_suite "postgres without DATABASE_URL, STORAGE_SKIP_WITHOUT_DATABASE_URL=1 (skips)" "$OUT/skip/postgres" 0 \
    "${clean[@]}" -u DATABASE_URL CI=true STORAGE_BACKEND=postgres STORAGE_SKIP_WITHOUT_DATABASE_URL=1
  check_counts "skip/postgres" "$OUT/skip/postgres/junit.xml" "$ntests 0 $ntests"
  # (b) a SQLite-only statement reaches PostgreSQL: exactly one test fails.
  run_suite "postgres with EXAMPLE_INJECT_SQLITE_ONLY=1" "$OUT/inject/postgres" 1 \
    "${clean[@]}" CI=true STORAGE_BACKEND=postgres EXAMPLE_INJECT_SQLITE_ONLY=1
  check_counts "inject/postgres" "$OUT/inject/postgres/junit.xml" "$ntests 1 0"
  # The planted secret: the store's error message embeds DATABASE_URL, password included.
  if grep -qF -- "$secret" "$OUT/inject/postgres/junit.xml"; then
    pass "raw JUnit of case b contains the PostgreSQL password in its failure message (planted: the redaction check is real)"
  else
    fail "raw JUnit of case b does not contain the PostgreSQL password: the redaction check would prove nothing"
  fi
  # (c) the default in CI, fail closed: no DATABASE_URL and no skip switch is a hard error.
  run_suite "postgres without DATABASE_URL, CI=true (fails closed)" "$OUT/closed/postgres" 1 \
    "${clean[@]}" -u DATABASE_URL CI=true STORAGE_BACKEND=postgres
  if grep -q 'DATABASE_URL is not set (CI=true)' "$OUT/closed/postgres/junit.xml" 2>/dev/null; then
    pass "report closed/postgres: the file-level failure names the missing DATABASE_URL"
  else
    fail "report closed/postgres: no failure naming the missing DATABASE_URL"
  fi
  # Outside CI (a developer's laptop) the same run skips, as documented.
  run_suite "postgres without DATABASE_URL, CI unset (local: skips)" "$OUT/local/postgres" 0 \
    "${clean[@]}" -u DATABASE_URL -u CI STORAGE_BACKEND=postgres
  check_counts "local/postgres" "$OUT/local/postgres/junit.xml" "$ntests 0 $ntests"
  # (d) the storage factory falls back to SQLite when DATABASE_URL is missing: every test
  # runs, on SQLite, and passes; vitest exits 0 and the report is complete -- a false green
  # that only the canary's output gives away.
  run_suite "postgres without DATABASE_URL, STORAGE_FALLBACK_TO_SQLITE=1 (runs on SQLite)" "$OUT/fallback/postgres" 0 \
    "${clean[@]}" -u DATABASE_URL CI=true STORAGE_BACKEND=postgres STORAGE_FALLBACK_TO_SQLITE=1
  check_counts "fallback/postgres" "$OUT/fallback/postgres/junit.xml" "$ntests 0 0"
  check_canary "fallback/postgres" "$OUT/fallback/postgres/junit.xml" '^database server: SQLite 3\.'

  if [[ ${E2E_SUITES_ONLY:-} == 1 ]]; then
    skip "gate steps 3 and 4 (E2E_SUITES_ONLY=1)"
    return "$((FAILS > 0))"
  fi
  if [[ ! -f dist/cli.js || ! -f dist/index.js ]]; then
    fail "dist/cli.js and dist/index.js are needed for the gate steps: run 'npm run build' first"
    return 1
  fi

  # ---------------------------------------------------------------------------------------
  # The expected test ids, from the good SQLite report: "<classname> › <name>", the id the
  # gate gives a vitest test (file › describe > ... > test).
  node -e '
    const x = require("fs").readFileSync(process.argv[1], "utf8")
    const dec = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "\x27").replace(/&amp;/g, "&")
    const ids = [...x.matchAll(/<testcase\s+classname="([^"]*)"\s+name="([^"]*)"/g)].map((m) => `${dec(m[1])} › ${dec(m[2])}`)
    process.stdout.write(JSON.stringify(ids.sort()))
  ' "$OUT/ok/sqlite/junit.xml" >"$OUT/expected-ids.json"

  # verdict_check MODE JSON -- checks the gate's JSON verdict (kinds, backends and test ids).
  #   success:  conclusion success, no gaps, both backends with every test passed and their
  #             own evidence found (backends[].evidence.found), no foreign evidence
  #   skipped:  exactly one gap per expected test: `skipped` on postgres, plus one `unproven`
  #             on postgres (nothing ran there, so nothing proves PostgreSQL); nothing else
  #   failed:   exactly one gap: the upsert test, `failed` on postgres, message redacted
  #   closed:   every expected test `missing` on postgres, at least one postgres gap about the
  #             whole backend or the test file that failed to load, nothing else
  #   fallback: exactly one gap: `unproven` on postgres, whose reason names the SQLite version
  #             found there ("they show sqlite instead"); every postgres test passed
  verdict_check() {
    node - "$1" "$2" "$OUT/expected-ids.json" <<'JS'
const fs = require('fs')
const [mode, file, idsFile] = process.argv.slice(2)
const expected = JSON.parse(fs.readFileSync(idsFile, 'utf8'))
const ntests = expected.length
const UPSERT = 'test/store.test.ts › Store > upsert > inserts a new sku, then updates it in place on conflict'
const FILE = 'test/store.test.ts'
const EVIDENCE = { sqlite: /SQLite 3\./, postgres: /PostgreSQL 1[4-9]\./ }
const problems = []
const notes = []
let v
try { v = JSON.parse(fs.readFileSync(file, 'utf8')) } catch (e) { console.log(`cannot read JSON verdict ${file}: ${e.message}`); process.exit(1) }
const gaps = Array.isArray(v.gaps) ? v.gaps : (problems.push('no gaps array'), [])
const by = (b) => (Array.isArray(v.backends) ? v.backends : []).find((x) => x.name === b)
const fmt = (g) => `${g.backend}/${g.kind}: ${g.test}`
const summary = gaps.map(fmt).slice(0, 3).join('; ')
const sameSet = (label, got, want) => {
  const a = [...new Set(got)].sort(), b = [...want].sort()
  if (a.length !== got.length) problems.push(`${label}: duplicate test ids`)
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    const extra = a.filter((x) => !b.includes(x)), lack = b.filter((x) => !a.includes(x))
    problems.push(`${label}: test ids differ (unexpected: ${JSON.stringify(extra)}; not found: ${JSON.stringify(lack)})`)
  }
}
if (Array.isArray(v.errors) && v.errors.length) problems.push(`errors: ${JSON.stringify(v.errors).slice(0, 300)}`)
if (ntests < 10) problems.push(`only ${ntests} expected test ids`)
const want = mode === 'success' ? 'success' : 'failure'
if (v.conclusion !== want) problems.push(`conclusion ${v.conclusion}, expected ${want}`)
if (mode === 'success') {
  if (gaps.length) problems.push(`${gaps.length} gaps: ${summary}`)
  for (const b of ['sqlite', 'postgres']) {
    const s = by(b)
    if (!s) problems.push(`no backend ${b}`)
    else if (s.tests !== ntests || s.passed !== ntests) problems.push(`${b}: tests=${s.tests} passed=${s.passed}, expected ${ntests}`)
  }
  if (v.tests !== ntests) problems.push(`tests=${v.tests}, expected ${ntests}`)
  for (const b of ['sqlite', 'postgres']) {
    const e = by(b)?.evidence
    if (!EVIDENCE[b].test(e?.found ?? '')) problems.push(`${b}: evidence.found=${JSON.stringify(e?.found)}, expected a match of ${EVIDENCE[b]}`)
    else notes.push(`${b} evidence "${e.found.slice(0, 48)}"`)
    if (Object.keys(e?.foreign ?? {}).length) problems.push(`${b}: foreign evidence ${JSON.stringify(e.foreign)}`)
  }
} else if (mode === 'skipped') {
  const skipped = gaps.filter((g) => g.backend === 'postgres' && g.kind === 'skipped')
  const unproven = gaps.filter((g) => g.backend === 'postgres' && g.kind === 'unproven')
  const other = gaps.filter((g) => !skipped.includes(g) && !unproven.includes(g))
  sameSet('postgres/skipped gaps', skipped.map((g) => g.test), expected)
  if (unproven.length !== 1) problems.push(`${unproven.length} postgres/unproven gaps, expected 1 (no postgres test ran)`)
  if (other.length) problems.push(`unexpected gaps: ${other.map(fmt).join('; ')}`)
  if (by('postgres')?.skipped !== ntests) problems.push(`postgres summary: skipped=${by('postgres')?.skipped}, expected ${ntests}`)
} else if (mode === 'failed') {
  const g = gaps[0]
  if (gaps.length !== 1 || g.backend !== 'postgres' || g.kind !== 'failed' || g.test !== UPSERT) {
    problems.push(`expected exactly one gap, postgres/failed: ${UPSERT}; got ${gaps.length}: ${summary}`)
  } else {
    if (!/syntax error at or near "OR"/.test(g.message ?? '')) problems.push(`the gap's message does not carry the driver's error: ${g.message}`)
    if (!/\*\*\*/.test(g.message ?? '')) problems.push(`the gap's message shows no redaction mark (***): ${g.message}`)
    if (g.others?.sqlite !== 'passed') problems.push(`others.sqlite=${g.others?.sqlite}, expected passed`)
  }
  // The other tests did run on PostgreSQL, and the canary says so.
  if (!EVIDENCE.postgres.test(by('postgres')?.evidence?.found ?? '')) problems.push(`postgres: evidence.found=${JSON.stringify(by('postgres')?.evidence?.found)}, expected a match of ${EVIDENCE.postgres}`)
} else if (mode === 'closed') {
  // Essential: every test missing on postgres. Tolerated besides: gaps about the whole backend
  // ('*': too-few) or the file-level load failure (failed on postgres, missing on sqlite).
  const missing = gaps.filter((g) => g.backend === 'postgres' && g.kind === 'missing' && g.test !== FILE)
  const aside = gaps.filter((g) => !missing.includes(g) && (g.test === '*' || g.test === FILE))
  const other = gaps.filter((g) => !missing.includes(g) && !aside.includes(g))
  sameSet('postgres/missing gaps', missing.map((g) => g.test), expected)
  if (!aside.some((g) => g.backend === 'postgres')) problems.push('no postgres gap about the whole backend or the failed test file')
  if (other.length) problems.push(`unexpected gaps: ${other.map(fmt).join('; ')}`)
} else if (mode === 'fallback') {
  // The false green: a complete, all-passed postgres report, from a job that ran on SQLite.
  const g = gaps[0]
  if (gaps.length !== 1 || g.backend !== 'postgres' || g.kind !== 'unproven') {
    problems.push(`expected exactly one gap, postgres/unproven; got ${gaps.length}: ${summary}`)
  } else {
    const reason = String(g.reason ?? '')
    if (!reason.includes('they show sqlite instead')) problems.push(`the gap's reason does not say "they show sqlite instead": ${reason}`)
    if (!reason.includes('SQLite 3.')) problems.push(`the gap's reason does not name the SQLite version found: ${reason}`)
    const shown = /they show sqlite instead \("[^"]*"\)/.exec(reason)
    notes.push(`postgres/unproven: ...${shown ? shown[0] : reason.slice(0, 120)}`)
  }
  const pg = by('postgres'), sq = by('sqlite')
  if (!pg || pg.tests !== ntests || pg.passed !== ntests) problems.push(`postgres: tests=${pg?.tests} passed=${pg?.passed}, expected ${ntests} (every test passed: the false green)`)
  if (pg?.evidence?.found !== undefined) problems.push(`postgres: evidence.found=${JSON.stringify(pg.evidence.found)}, expected none`)
  if (!EVIDENCE.sqlite.test(pg?.evidence?.foreign?.sqlite ?? '')) problems.push(`postgres: evidence.foreign.sqlite=${JSON.stringify(pg?.evidence?.foreign?.sqlite)}, expected a match of ${EVIDENCE.sqlite}`)
  if (!EVIDENCE.sqlite.test(sq?.evidence?.found ?? '')) problems.push(`sqlite: evidence.found=${JSON.stringify(sq?.evidence?.found)}, expected a match of ${EVIDENCE.sqlite}`)
} else problems.push(`unknown mode ${mode}`)
if (problems.length) { console.log(problems.join('\n')); process.exit(1) }
const kinds = {}
for (const g of gaps) kinds[`${g.backend}/${g.kind}`] = (kinds[`${g.backend}/${g.kind}`] ?? 0) + 1
console.log(`conclusion=${v.conclusion}, tests=${v.tests}, gaps=${gaps.length}${gaps.length ? ` ${JSON.stringify(kinds)}` : ''}, test ids as expected${notes.length ? `; ${notes.join('; ')}` : ''}`)
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
  # `::add-mask::<value>` lines on the action's stdout are the one exception: they are
  # commands to the runner (which then masks the value in the log) and never displayed.
  no_secret() {
    local label=$1 f hits=() masks=0
    shift
    for f in "$@"; do
      [[ -f $f ]] || continue
      masks=$((masks + $(grep -F -- "$secret" "$f" | grep -c '^::add-mask::')))
      grep -v '^::add-mask::' "$f" | grep -qF -- "$secret" && hits+=("$f")
    done
    local note=
    [[ $masks -gt 0 ]] && note=" (outside $masks ::add-mask:: runner commands)"
    if [[ ${#hits[@]} -eq 0 ]]; then
      pass "$label: the PostgreSQL password appears in none of the $# files the gate wrote$note"
    else
      fail "$label: the PostgreSQL password LEAKED into: ${hits[*]}"
      for f in "${hits[@]}"; do grep -v '^::add-mask::' "$f" | grep -nF -- "$secret" | head -3 | sed "s/$secret/<PASSWORD>/g; s|^|      | $f:|"; done
    fi
  }

  # gate CASE SQLITE_DIR POSTGRES_DIR EXPECTED_RC MODE [no-env]
  # Runs the CLI and the bundled action on the two report folders and checks both verdicts.
  # With no-env, DATABASE_URL and PGPASSWORD are removed from the gate's environment, as in
  # a real workflow where the gate is a separate job: only pattern redaction can help then.
  gate() {
    local name=$1 sq="$2/**/*.xml" pg="$3/**/*.xml" expect=$4 mode=$5 strip=()
    [[ ${6:-} == no-env ]] && strip=(-u DATABASE_URL -u PGPASSWORD -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE)
    local d=$OUT/gate/$name t0 rc ms msg
    rm -rf "$d"
    mkdir -p "$d/runner_temp"

    # --- the CLI ---
    t0=$(now_ms)
    timeout -k 5 "$GATE_TIMEOUT" env "${strip[@]}" node dist/cli.js --config "$CFG" --backend "sqlite=$sq" --backend "postgres=$pg" \
      --format json --output "$d/cli.json" >"$d/cli.stdout" 2>"$d/cli.stderr"
    rc=$?
    ms=$(($(now_ms) - t0))
    if [[ $rc -eq $expect ]]; then pass "gate[$name] CLI: exit $rc as expected (${ms} ms)"
    else fail "gate[$name] CLI: exit $rc, expected $expect (${ms} ms)"; show_tail "$d/cli.stderr" 10; show_tail "$d/cli.stdout" 10; fi
    if msg=$(verdict_check "$mode" "$d/cli.json" 2>&1); then pass "gate[$name] CLI verdict: $msg"
    else fail "gate[$name] CLI verdict:"; printf '%s\n' "$msg" | sed 's/^/      | /'; fi
    # Human-readable copies (text and Markdown); not checked, but searched for the password.
    timeout -k 5 "$GATE_TIMEOUT" env "${strip[@]}" node dist/cli.js --config "$CFG" --backend "sqlite=$sq" --backend "postgres=$pg" --format text \
      >"$d/cli-text.stdout" 2>"$d/cli-text.stderr"
    timeout -k 5 "$GATE_TIMEOUT" env "${strip[@]}" node dist/cli.js --config "$CFG" --backend "sqlite=$sq" --backend "postgres=$pg" --format markdown \
      >"$d/cli-markdown.stdout" 2>"$d/cli-markdown.stderr"

    # --- the bundled action, run as the runner does (publish: none, so no GitHub needed) ---
    local sha=0123456789abcdef0123456789abcdef01234567
    printf '{"ref":"refs/heads/main","before":"%s","after":"%s","repository":{"full_name":"example/storage","name":"storage","owner":{"login":"example"}},"head_commit":{"id":"%s","message":"e2e"},"sender":{"login":"e2e"}}\n' \
      "0000000000000000000000000000000000000000" "$sha" "$sha" >"$d/event.json"
    : >"$d/github_output"
    : >"$d/step_summary"
    t0=$(now_ms)
    timeout -k 5 "$GATE_TIMEOUT" env "${strip[@]}" INPUT_CONFIG="$CFG" \
      INPUT_BACKENDS="$(printf 'sqlite: %s\npostgres: %s' "$sq" "$pg")" \
      INPUT_CHECK-NAME="dual-backend coverage" INPUT_PUBLISH=none INPUT_TOKEN= INPUT_MAX-ANNOTATIONS=50 \
      INPUT_NEEDS='{"sqlite":{"result":"success","outputs":{}},"postgres":{"result":"success","outputs":{}}}' \
      GITHUB_ACTIONS=true CI=true \
      GITHUB_OUTPUT="$ROOT/$d/github_output" GITHUB_STEP_SUMMARY="$ROOT/$d/step_summary" \
      GITHUB_EVENT_NAME=push GITHUB_EVENT_PATH="$ROOT/$d/event.json" \
      GITHUB_SHA=$sha GITHUB_REF=refs/heads/main GITHUB_REPOSITORY=example/storage \
      GITHUB_REPOSITORY_OWNER=example GITHUB_WORKSPACE="$ROOT" GITHUB_RUN_ID=1 GITHUB_RUN_ATTEMPT=1 \
      GITHUB_JOB=gate GITHUB_WORKFLOW=e2e GITHUB_ACTOR=e2e \
      GITHUB_SERVER_URL=https://github.com GITHUB_API_URL=https://api.github.com \
      RUNNER_TEMP="$ROOT/$d/runner_temp" RUNNER_OS=Linux \
      node dist/index.js >"$d/action.stdout" 2>"$d/action.stderr"
    rc=$?
    ms=$(($(now_ms) - t0))
    if [[ $rc -eq $expect ]]; then pass "gate[$name] action: exit $rc as expected (${ms} ms)"
    else fail "gate[$name] action: exit $rc, expected $expect (${ms} ms)"; show_tail "$d/action.stdout" 15; show_tail "$d/action.stderr" 10; fi
    local want=success conclusion json
    [[ $mode == success ]] || want=failure
    conclusion=$(github_output "$d/github_output" conclusion 2>/dev/null)
    if [[ $conclusion == "$want" ]]; then pass "gate[$name] action: GITHUB_OUTPUT has conclusion=$conclusion"
    else fail "gate[$name] action: GITHUB_OUTPUT conclusion='${conclusion}', expected $want"; show_tail "$d/github_output" 10; fi
    if [[ $want == failure ]]; then
      if grep -q '^::error::' "$d/action.stdout"; then pass "gate[$name] action: the step is failed (::error:: on stdout)"
      else fail "gate[$name] action: no ::error:: command: the step would not be marked failed"; fi
    fi
    if [[ -s $d/step_summary ]]; then pass "gate[$name] action: job summary written ($(wc -c <"$d/step_summary") bytes)"
    else fail "gate[$name] action: GITHUB_STEP_SUMMARY is empty"; fi
    json=$(github_output "$d/github_output" json 2>/dev/null)
    local files=("$d"/cli.json "$d"/cli.stdout "$d"/cli.stderr "$d"/cli-text.stdout "$d"/cli-text.stderr
      "$d"/cli-markdown.stdout "$d"/cli-markdown.stderr "$d"/action.stdout "$d"/action.stderr "$d"/github_output "$d"/step_summary)
    if [[ -n $json ]]; then
      [[ $json == /* ]] || json=$ROOT/$json
      if msg=$(verdict_check "$mode" "$json" 2>&1); then pass "gate[$name] action verdict (json output): $msg"
      else fail "gate[$name] action verdict ($json):"; printf '%s\n' "$msg" | sed 's/^/      | /'; fi
      files+=("$json")
    else
      fail "gate[$name] action: GITHUB_OUTPUT has no 'json' output"
    fi
    while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$d/runner_temp" -type f ! -name "$(basename "${json:-none}")" -print0)
    no_secret "gate[$name]" "${files[@]}"
  }

  echo "== step 3: the gate on the good reports must pass =="
  gate ok "$OUT/ok/sqlite" "$OUT/ok/postgres" 0 success
  echo "== step 4a: the postgres job ran without DATABASE_URL in skip mode (silent skip) =="
  gate skip "$OUT/ok/sqlite" "$OUT/skip/postgres" 1 skipped
  echo "== step 4b: a SQLite-only statement fails one test on PostgreSQL (password planted in its message) =="
  gate inject "$OUT/ok/sqlite" "$OUT/inject/postgres" 1 failed
  # The gate usually runs in a later job, where DATABASE_URL is not set at all.
  gate inject-no-env "$OUT/ok/sqlite" "$OUT/inject/postgres" 1 failed no-env
  echo "== step 4c: fail closed: the postgres job without DATABASE_URL in CI (file fails to load) =="
  gate closed "$OUT/ok/sqlite" "$OUT/closed/postgres" 1 closed
  echo "== step 4d: the postgres job fell back to SQLite (every test passed, on the wrong server) =="
  gate fallback "$OUT/ok/sqlite" "$OUT/fallback/postgres" 1 fallback

  # ---------------------------------------------------------------------------------------
  # step 5: this repository's own gate (.github/dual-backend.yml), on the layout that
  # .github/workflows/ci.yml's gate job gets from actions/download-artifact (pattern junit-*,
  # path reports: one folder per artifact), in a merge queue run.
  dogfood() { # NAME EXPECTED_RC NEEDS_JSON [with-postgres-report]
    local name=$1 expect=$2 needs=$3 w=$OUT/dogfood/$1 rc
    rm -rf "$w"
    mkdir -p "$w/.github" "$w/reports/junit-sqlite" "$w/runner_temp"
    cp .github/dual-backend.yml "$w/.github/"
    cp "$OUT/ok/sqlite/junit.xml" "$w/reports/junit-sqlite/"
    if [[ ${4:-} == with-postgres-report ]]; then mkdir -p "$w/reports/junit-postgres" && cp "$OUT/ok/postgres/junit.xml" "$w/reports/junit-postgres/"; fi
    local head=1111111111111111111111111111111111111111
    printf '{"merge_group":{"head_sha":"%s","head_ref":"refs/heads/gh-readonly-queue/main/pr-4-%s","base_sha":"%s"},"repository":{"full_name":"example/storage","name":"storage","owner":{"login":"example"}}}\n' \
      "$head" "$head" 2222222222222222222222222222222222222222 >"$w/event.json"
    : >"$w/github_output"
    : >"$w/step_summary"
    (cd "$w" && timeout -k 5 "$GATE_TIMEOUT" env -u DATABASE_URL -u PGPASSWORD INPUT_PUBLISH=none INPUT_CHECK-NAME="dual-backend coverage" INPUT_NEEDS="$needs" \
      GITHUB_ACTIONS=true CI=true GITHUB_EVENT_NAME=merge_group GITHUB_EVENT_PATH="$PWD/event.json" \
      GITHUB_SHA=3333333333333333333333333333333333333333 GITHUB_REPOSITORY=example/storage GITHUB_WORKSPACE="$PWD" \
      GITHUB_RUN_ID=2 GITHUB_RUN_ATTEMPT=1 RUNNER_TEMP="$PWD/runner_temp" \
      GITHUB_OUTPUT="$PWD/github_output" GITHUB_STEP_SUMMARY="$PWD/step_summary" \
      node "$ROOT/dist/index.js") >"$w/action.stdout" 2>"$w/action.stderr"
    rc=$?
    if [[ $rc -eq $expect ]]; then pass "dogfood[$name]: action exit $rc as expected"
    else fail "dogfood[$name]: action exit $rc, expected $expect"; show_tail "$w/action.stdout" 10; show_tail "$w/action.stderr" 5; fi
    if grep -qF "Commit: $head (merge_group" "$w/action.stdout"; then pass "dogfood[$name]: the check would go on the merge queue's head commit"
    else fail "dogfood[$name]: the merge_group head commit was not chosen"; fi
  }
  echo "== step 5: this repository's gate config on the CI artifact layout, in a merge queue =="
  dogfood both 0 '{"sqlite":{"result":"success"},"postgres":{"result":"success"}}' with-postgres-report
  dogfood postgres-job-failed 1 '{"sqlite":{"result":"success"},"postgres":{"result":"failure"}}'
  local j
  j=$(github_output "$OUT/dogfood/postgres-job-failed/github_output" json 2>/dev/null)
  if [[ -n $j ]] && node -e '
      const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
      const g = v.gaps.filter((g) => g.backend === "postgres" && g.kind === "no-report")
      const b = v.backends.find((b) => b.name === "postgres")
      process.exit(v.conclusion === "failure" && g.length === 1 && v.gaps.length === 1 && b && b.jobResult === "failure" ? 0 : 1)
    ' "$j"; then
    pass "dogfood[postgres-job-failed]: one no-report gap on postgres, naming the job's result (failure)"
  else
    fail "dogfood[postgres-job-failed]: expected exactly one postgres/no-report gap with jobResult failure ($j)"
  fi

  # ---------------------------------------------------------------------------------------
  # step 6: the fork pull request recipe (.github/workflows/dual-backend-report.yml): the action
  # in a workflow_run job downloads CI's artifacts and posts the check, against a local stand-in
  # for the GitHub API. Artifact and check names are read from the workflows themselves.
  echo "== step 6: workflow_run (fork pull requests): artifacts from CI, check posted on the PR head =="
  local rc=0
  timeout -k 5 120 node scripts/e2e-workflow-run.mjs "$OUT" "$OUT/workflow-run" "$secret" >"$OUT/workflow-run.log" 2>&1 || rc=$?
  cat "$OUT/workflow-run.log"
  FAILS=$((FAILS + $(grep -c '^FAIL' "$OUT/workflow-run.log")))
  if [[ $rc -ne 0 ]] && ! grep -q '^FAIL' "$OUT/workflow-run.log"; then fail "scripts/e2e-workflow-run.mjs exited $rc"; fi


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
  # better-sqlite3 compiles from source when no prebuilt binary can be downloaded (~1 min).
  if JOBS=max timeout -k 10 "$INSTALL_TIMEOUT" npm ci --prefix "$EX" --no-audit --no-fund >"$OUT/npm-ci.log" 2>&1; then
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
T_RUN=$(now_ms)
# Bounded: with-postgres.sh turns the TERM into a clean stop of the command and the cluster.
timeout -k 15 "$RUN_TIMEOUT" "$ROOT/scripts/with-postgres.sh" bash "$ROOT/scripts/e2e-example.sh" __inner
rc=$?
[[ $rc -eq 124 ]] && fail "the suites and gate runs took longer than ${RUN_TIMEOUT}s: stopped"
[[ $rc -eq 0 ]] || FAILS=$((FAILS + 1))
RUN_MS=$(($(now_ms) - T_RUN))
if ((RUN_MS <= 180000)); then pass "time: ${RUN_MS} ms for PostgreSQL + suites + gate runs (budget 180000 ms; dependency install not counted)"
else fail "time: ${RUN_MS} ms for PostgreSQL + suites + gate runs, over the 180000 ms budget"; fi

echo "== done in $(($(now_ms) - T_START)) ms =="
if [[ $FAILS -eq 0 ]]; then
  echo "E2E RESULT: PASS"
  exit 0
fi
echo "E2E RESULT: FAIL (see the FAIL lines above; artifacts in $OUT/)"
exit 1
