#!/usr/bin/env bash
# validate-workflows.sh -- validate action.yml and every .github/workflows/*.yml (and .yaml)
# with the real validator, npm @action-validator/cli (a devDependency), plus two checks of
# our own on every job that runs this action.
#
#   scripts/validate-workflows.sh [FILE...]      (default: action.yml and all workflows)
#
# Without arguments it also loads .github/dual-backend.yml and examples/storage/dual-backend.yml
# with the gate itself (dist/cli.js, when built) to check they are valid configs.
#
# Exit 0 when every file is valid, 1 on any error, 2 when the validator is not installed.
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

if [[ $# -gt 0 ]]; then
  files=("$@")
else
  shopt -s nullglob
  files=(action.yml .github/workflows/*.yml .github/workflows/*.yaml)
  shopt -u nullglob
fi
[[ ${#files[@]} -gt 0 ]] || { echo "FAIL  nothing to validate" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0

for f in "${files[@]}"; do
  if [[ ! -f $f ]]; then
    echo "FAIL  $f: no such file"
    FAILS=$((FAILS + 1))
    continue
  fi
  if "$AV" "$f" >"$TMP/out" 2>&1; then
    echo "PASS  $f"
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
  echo "FAIL  $f"
  sed 's/^/      | /' "$TMP/out"
  FAILS=$((FAILS + 1))
done

# Our own rules for every job that runs this action (`uses: ./`, or this repository's
# action by name): the check name must differ from every job id and job name of the workflow
# (else branch protection cannot tell the job's own check run from the gate's), and a job
# that `needs` the backend jobs must run `if: always()` (a skipped gate posts nothing, and a
# skipped job counts as passing).
wf=()
for f in "${files[@]}"; do [[ -f $f && $f == .github/workflows/* ]] && wf+=("$f"); done
if [[ ${#wf[@]} -gt 0 ]]; then
  if node - "${wf[@]}" >"$TMP/rules" 2>&1 <<'JS'; then
const fs = require('fs')
const yaml = require('js-yaml')
const DEFAULT_CHECK_NAME = 'dual-backend coverage'
const ours = (uses) => uses === './' || /(^|\/)dual-backend-coverage(@|\/|$)/.test(uses)
let bad = 0
for (const file of process.argv.slice(2)) {
  let doc
  try { doc = yaml.load(fs.readFileSync(file, 'utf8')) } catch (e) { console.log(`FAIL  ${file}: ${e.message.split('\n')[0]}`); bad++; continue }
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
if [[ $# -eq 0 ]]; then
  for cfg in .github/dual-backend.yml examples/storage/dual-backend.yml; do
    [[ -f $cfg ]] || continue
    if [[ ! -f dist/cli.js ]]; then echo "SKIP  $cfg (dist/cli.js not built)"; continue; fi
    rc=0
    node dist/cli.js --config "$cfg" --format json --output "$TMP/verdict.json" >"$TMP/cfg.out" 2>&1 || rc=$?
    if [[ $rc -eq 2 ]] && grep -q "$cfg" "$TMP/cfg.out"; then
      echo "FAIL  $cfg"
      sed 's/^/      | /' "$TMP/cfg.out"
      FAILS=$((FAILS + 1))
    else
      echo "PASS  $cfg (a valid gate config)"
    fi
  done
fi

if [[ $FAILS -eq 0 ]]; then
  echo "validate-workflows: all valid (${#files[@]} action/workflow file(s), gate-job rules, gate configs)"
  exit 0
fi
echo "validate-workflows: $FAILS problem(s)"
exit 1
