#!/usr/bin/env bash
# check-package.sh -- prove the CLI installs and runs from its npm tarball, as a user gets it:
# `npm pack`, install the tarball into an empty folder with the registry out of reach (the
# bundle carries every runtime dependency, so the install must need nothing else), then run
# `npx dual-backend-coverage --version` and a real verdict on the shipped example reports.
#
#   scripts/check-package.sh            exit 0 when every check passes, 1 otherwise
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL  $*" >&2; exit 1; }

version=$(node -p 'require("./package.json").version')
npm pack --silent --pack-destination "$TMP" >"$TMP/pack.out"
tarball=$TMP/$(tail -n 1 "$TMP/pack.out")
[[ -f $tarball ]] || fail "npm pack wrote no tarball"
echo "PASS  npm pack: $(basename "$tarball") ($(du -k "$tarball" | cut -f1) KiB)"

# What the tarball holds: the CLI bundle and the documents, nothing else (no src/, no tests/).
tar -tzf "$tarball" | sed 's#^package/##' | sort >"$TMP/files"
expected=$'CHANGELOG.md\nLICENSE\nREADME.md\ndist/cli.js\npackage.json'
if [[ $(cat "$TMP/files") != "$expected" ]]; then
  diff <(echo "$expected") "$TMP/files" >&2 || true
  fail "the tarball's files differ from package.json's \`files\` intent"
fi
echo "PASS  tarball holds: $(paste -sd' ' "$TMP/files")"
node -e '
  const p = require(process.argv[1])
  const bad = []
  if (p.private) bad.push("private: true")
  if (Object.keys(p.dependencies ?? {}).length) bad.push("runtime dependencies: " + Object.keys(p.dependencies).join(", "))
  if (p.bin?.["dual-backend-coverage"] !== "dist/cli.js") bad.push("bin dual-backend-coverage is not dist/cli.js")
  if (bad.length) { console.error(bad.join("; ")); process.exit(1) }
' "$ROOT/package.json" || fail "package.json is not publishable"
echo "PASS  package.json: public, no runtime dependencies, bin dual-backend-coverage"

# Install with no registry: --offline and an unreachable registry, an empty cache.
mkdir -p "$TMP/user"
cd "$TMP/user"
echo '{"name":"user-project","version":"0.0.0","private":true}' >package.json
npm install --offline --no-audit --no-fund --cache "$TMP/cache" --registry http://127.0.0.1:9/ "$tarball" >"$TMP/install.out" 2>&1 ||
  { cat "$TMP/install.out" >&2; fail "offline install of the tarball"; }
installed=$(find node_modules -mindepth 1 -maxdepth 1 ! -name '.*' -printf '%f\n' | sort | paste -sd' ')
[[ $installed == dual-backend-coverage ]] || fail "the install pulled more than the CLI: $installed"
echo "PASS  offline install into an empty folder: node_modules holds only dual-backend-coverage"

out=$(npx --offline --no-install dual-backend-coverage --version)
[[ $out == "dual-backend-coverage $version" ]] || fail "npx dual-backend-coverage --version printed: $out"
echo "PASS  npx dual-backend-coverage --version: $out"

# A real verdict, from the installed package, on the example reports (copied, not the clone's).
cp -r "$ROOT/examples/reports" "$TMP/user/reports"
sed 's#examples/reports/#reports/#g' "$ROOT/examples/reports/dual-backend.yml" >"$TMP/user/dual-backend.yml"
rc=0
npx --offline --no-install dual-backend-coverage --config dual-backend.yml --format json --output verdict.json 2>"$TMP/verdict.err" || rc=$?
[[ $rc -eq 1 ]] || { cat "$TMP/verdict.err" >&2; fail "the example verdict exited $rc, expected 1 (its gaps are on purpose)"; }
node -e '
  const v = require(process.argv[1])
  const kinds = v.gaps.map((g) => g.kind).sort().join(",")
  if (v.conclusion !== "failure" || kinds !== "errored,failed,skipped,skipped") { console.error(v.conclusion, kinds); process.exit(1) }
' "$TMP/user/verdict.json" || fail "the example verdict is not the expected failure"
echo "PASS  a real verdict from the installed CLI: $(head -n 1 "$TMP/verdict.err")"
# The secret planted in the example report never reaches the output.
grep -q 's3cr3t-planted' "$TMP/user/reports/postgres/junit.xml" || fail "the example report lost its planted password"
! grep -q 's3cr3t-planted' "$TMP/user/verdict.json" "$TMP/verdict.err" || fail "the verdict holds the planted password"
echo "PASS  the password planted in the example report is masked in the verdict"
echo "check-package: all passed"
