#!/usr/bin/env bash
# Regenerates the real JUnit XML fixtures under tests/fixtures/dialects/ by running
# each tiny suite in tests/fixtures/dialects/suites/ twice: TEST_BACKEND=sqlite and
# TEST_BACKEND=postgres. The postgres runs fail on purpose (planted failure/error),
# so runner exit codes are ignored; only a missing report is an error.
#
# Usage: scripts/regenerate-fixtures.sh [runner...]
#   runners: pytest js go rust php java cpp collectors   (default: all)
#   collectors: the runners' own list commands (tests/fixtures/collectors/); uses what the others install.
#   nextest is hand-built (cargo-nextest cannot be installed offline) and is not regenerated.
# Env: NO_INSTALL=1 to never apt-get/npm-install missing tools (just skip that runner).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIX="$ROOT/tests/fixtures/dialects"
SUITES="$FIX/suites"
BACKENDS=(sqlite postgres)
FAILED=()
APT_UPDATED=0

log() { printf '\n== %s\n' "$*"; }
skip() { printf 'SKIP %s\n' "$*"; }

apt_install() { # apt_install PKG... ; returns non-zero if not possible
  [ "${NO_INSTALL:-0}" = 1 ] && return 1
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  if [ "$(id -u)" != 0 ]; then command -v sudo >/dev/null 2>&1 && sudo="sudo" || return 1; fi
  if [ "$APT_UPDATED" = 0 ]; then $sudo apt-get update -qq >/dev/null && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

need() { # need CMD APT_PKG...
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "'$cmd' not found; trying apt-get install $*"
  apt_install "$@" && command -v "$cmd" >/dev/null 2>&1
}

check() { # check FILE: the runner must have written a non-empty report
  if [ -s "$1" ]; then echo "wrote ${1#"$ROOT"/}"; else echo "ERROR: no report at $1"; FAILED+=("$1"); fi
}

run_pytest() {
  log "pytest ($(python3 -m pytest --version 2>&1 | head -1))"
  if ! python3 -m pytest --version >/dev/null 2>&1; then
    apt_install python3-pytest || { skip "pytest: not installed"; return; }
  fi
  mkdir -p "$FIX/pytest" "$FIX/pytest-xunit1" "$FIX/pytest-param"
  cd "$SUITES/pytest" || return
  for b in "${BACKENDS[@]}"; do
    TEST_BACKEND=$b python3 -m pytest -p no:cacheprovider -q -o junit_logging=system-out \
      --junitxml="$FIX/pytest/$b.xml" test_storage.py >/dev/null
    check "$FIX/pytest/$b.xml"
    TEST_BACKEND=$b python3 -m pytest -p no:cacheprovider -q -o junit_family=xunit1 -o junit_logging=system-out \
      --junitxml="$FIX/pytest-xunit1/$b.xml" test_storage.py >/dev/null
    check "$FIX/pytest-xunit1/$b.xml"
  done
  cd "$SUITES/pytest-param" || return
  python3 -m pytest -p no:cacheprovider -q -o junit_logging=system-out \
    --junitxml="$FIX/pytest-param/combined.xml" test_storage_param.py >/dev/null
  check "$FIX/pytest-param/combined.xml"
}

run_js() {
  log "js: jest + jest-junit, vitest, mocha + mocha-junit-reporter, node --test ($(node --version))"
  command -v npm >/dev/null 2>&1 || { skip "js: node/npm not installed"; return; }
  cd "$SUITES/js" || return
  if [ ! -d node_modules ]; then
    [ "${NO_INSTALL:-0}" = 1 ] && { skip "js: node_modules missing and NO_INSTALL=1"; return; }
    npm ci --no-audit --no-fund >/dev/null || { skip "js: npm ci failed"; return; }
  fi
  mkdir -p "$FIX/jest" "$FIX/vitest" "$FIX/mocha" "$FIX/mocha-hook-failure" "$FIX/node-test"
  local bin="$SUITES/js/node_modules/.bin"
  for b in "${BACKENDS[@]}"; do
    # jest-junit defaults, plus console output (testsuite-level <system-out>).
    TEST_BACKEND=$b JEST_JUNIT_OUTPUT_FILE="$FIX/jest/$b.xml" JEST_JUNIT_INCLUDE_CONSOLE_OUTPUT=true \
      "$bin/jest" --ci --rootDir jest --reporters=default --reporters=jest-junit >/dev/null 2>&1
    check "$FIX/jest/$b.xml"

    # Run from the suite dir with a local config so the repo's vitest.config.ts is not used.
    (cd vitest && TEST_BACKEND=$b "$bin/vitest" run --config vitest.config.mjs \
      --reporter=default --reporter=junit --outputFile.junit="$FIX/vitest/$b.xml" >/dev/null 2>&1)
    check "$FIX/vitest/$b.xml"

    for d in mocha mocha-hook-failure; do
      TEST_BACKEND=$b "$bin/mocha" --reporter mocha-junit-reporter \
        --reporter-options "mochaFile=$FIX/$d/$b.xml,outputs=true" "$d/storage.spec.cjs" >/dev/null 2>&1
      check "$FIX/$d/$b.xml"
    done

    TEST_BACKEND=$b node --test --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=junit --test-reporter-destination="$FIX/node-test/$b.xml" \
      node-test/storage.test.mjs >/dev/null 2>&1
    check "$FIX/node-test/$b.xml"
  done
}

run_go() {
  log "gotestsum"
  need go golang-go || { skip "gotestsum: go not installed"; return; }
  need gotestsum gotestsum || { skip "gotestsum: not installed"; return; }
  echo "$(go version); gotestsum $(dpkg-query -W -f='${Version}' gotestsum 2>/dev/null || gotestsum --version)"
  mkdir -p "$FIX/gotestsum" "$FIX/gotestsum-rerun"
  cd "$SUITES/go" || return
  export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
  for b in "${BACKENDS[@]}"; do
    # -tags $b: sqlite_only_test.go has //go:build !postgres (pragma test absent on postgres).
    TEST_BACKEND=$b gotestsum --format standard-verbose --junitfile "$FIX/gotestsum/$b.xml" \
      -- -tags "$b" -count=1 ./... >/dev/null 2>&1
    check "$FIX/gotestsum/$b.xml"
  done
  local marker; marker="$(mktemp -u /tmp/dbc-go-flaky.XXXXXX)"
  TEST_BACKEND=postgres FLAKY_MARKER="$marker" gotestsum --format standard-verbose \
    --junitfile "$FIX/gotestsum-rerun/postgres.xml" --rerun-fails=2 --packages ./... \
    -- -tags postgres -count=1 >/dev/null 2>&1
  rm -f "$marker"
  check "$FIX/gotestsum-rerun/postgres.xml"
}

run_rust() {
  log "rust libtest junit ($(cargo --version 2>/dev/null))"
  command -v cargo >/dev/null 2>&1 || { skip "rust: cargo not installed"; return; }
  mkdir -p "$FIX/rust-libtest"
  cd "$SUITES/rust" || return
  for b in "${BACKENDS[@]}"; do
    # One XML document per test binary (lib unit tests, then tests/storage_conformance.rs),
    # concatenated on stdout. --no-fail-fast so a failing binary does not stop the next one.
    TEST_BACKEND=$b RUST_BACKTRACE=0 RUSTC_BOOTSTRAP=1 cargo test --offline --no-fail-fast -q \
      -- -Z unstable-options --format junit --show-output > "$FIX/rust-libtest/$b.xml" 2>/dev/null
    check "$FIX/rust-libtest/$b.xml"
  done
}

run_php() {
  log "phpunit"
  need php php-cli php-xml || { skip "phpunit: php not installed"; return; }
  need phpunit phpunit || { skip "phpunit: not installed"; return; }
  phpunit --version | head -1
  mkdir -p "$FIX/phpunit"
  cd "$SUITES/php" || return
  for b in "${BACKENDS[@]}"; do
    TEST_BACKEND=$b phpunit --log-junit "$FIX/phpunit/$b.xml" >/dev/null 2>&1
    check "$FIX/phpunit/$b.xml"
  done
}

run_java() {
  log "maven surefire (offline, Debian's maven-repo)"
  need mvn maven || { skip "surefire: maven not installed"; return; }
  if [ ! -d /usr/share/maven-repo/org/apache/maven/plugins/maven-surefire-plugin/2.22.3 ] \
     || [ ! -d /usr/share/maven-repo/junit/junit/4.13.2 ]; then
    apt_install maven-debian-helper libsurefire-java junit4 || { skip "surefire: Debian maven repo packages missing"; return; }
  fi
  local mvn=(mvn -B -o -q -s /etc/maven/settings-debian.xml)
  cd "$SUITES/java" || return
  for b in "${BACKENDS[@]}"; do
    rm -rf target/surefire-reports "$FIX/surefire/$b"
    mkdir -p "$FIX/surefire/$b"
    # The pom's "postgres" profile (activated by env.TEST_BACKEND=postgres) excludes SqliteOnlyTest.
    TEST_BACKEND=$b "${mvn[@]}" test >/dev/null 2>&1
    cp target/surefire-reports/TEST-*.xml "$FIX/surefire/$b/" 2>/dev/null
    check "$FIX/surefire/$b/TEST-com.example.StorageTest.xml"
  done
  mkdir -p "$FIX/surefire-flaky"
  rm -rf target/surefire-reports
  local marker; marker="$(mktemp -u /tmp/dbc-java-flaky.XXXXXX)"
  TEST_BACKEND=postgres FLAKY_MARKER="$marker" "${mvn[@]}" -Dsurefire.rerunFailingTestsCount=2 \
    -Dtest=FlakyReconnectTest test >/dev/null 2>&1
  rm -f "$marker"
  cp target/surefire-reports/TEST-com.example.FlakyReconnectTest.xml "$FIX/surefire-flaky/postgres.xml" 2>/dev/null
  check "$FIX/surefire-flaky/postgres.xml"
}

run_cpp() {
  log "googletest, Catch2 v2, ctest --output-junit (Debian libgtest-dev, catch2, cmake)"
  need cmake cmake || { skip "cpp: cmake not installed"; return; }
  if [ ! -e /usr/lib/x86_64-linux-gnu/libgtest.a ] || [ ! -e /usr/include/catch2/catch.hpp ]; then
    apt_install libgtest-dev catch2 g++ || { skip "cpp: libgtest-dev/catch2 missing"; return; }
  fi
  mkdir -p "$FIX/googletest" "$FIX/catch2" "$FIX/ctest"
  for b in "${BACKENDS[@]}"; do
    local build; build="$(mktemp -d /tmp/dbc-cpp-$b.XXXXXX)"
    # The CMakeLists registers pragma_foreign_keys as a ctest test for sqlite only.
    TEST_BACKEND=$b cmake -S "$SUITES/cpp" -B "$build" >/dev/null && cmake --build "$build" -j2 >/dev/null || { FAILED+=("cpp build $b"); continue; }
    local filter='*' tags='[storage]'
    # Not defined for postgres: pragma_foreign_keys (both), json_column (Catch2 v2 has no SKIP()).
    if [ "$b" = postgres ]; then filter='-*pragma*'; tags='[storage]~[json]~[pragma]'; fi
    TEST_BACKEND=$b "$build/storage_gtest" --gtest_filter="$filter" --gtest_output="xml:$FIX/googletest/$b.xml" >/dev/null 2>&1
    check "$FIX/googletest/$b.xml"
    TEST_BACKEND=$b "$build/storage_catch2" "$tags" -r junit -o "$FIX/catch2/$b.xml" >/dev/null 2>&1
    check "$FIX/catch2/$b.xml"
    (cd "$build" && TEST_BACKEND=$b ctest --output-junit "$FIX/ctest/$b.xml" >/dev/null 2>&1)
    check "$FIX/ctest/$b.xml"
    rm -rf "$build"
  done
}

# The runners' own collection commands on the same suites ("expected tests from the collector"),
# into tests/fixtures/collectors/<runner>/. Each list mirrors the JUnit run of that backend (same
# env, tags and filters), so tests/core/collected.test.ts can match it against that report.
# Not listable here: node --test (no list mode in Node 20), jest (--listTests prints file names
# only: kept as jest/list-tests.txt, which parseCollected must refuse), surefire (no list goal).
run_collectors() {
  local OUT="$ROOT/tests/fixtures/collectors"
  log "collectors: --collect-only / list modes"
  mkdir -p "$OUT"/{pytest,pytest-param,vitest,mocha,jest,go,cargo,googletest,catch2,ctest,phpunit}
  local b
  if python3 -m pytest --version >/dev/null 2>&1; then
    python3 -m pytest --version
    for b in "${BACKENDS[@]}"; do
      (cd "$SUITES/pytest" && TEST_BACKEND=$b python3 -m pytest -p no:cacheprovider --collect-only -q test_storage.py > "$OUT/pytest/$b.txt")
      check "$OUT/pytest/$b.txt"
    done
    (cd "$SUITES/pytest-param" && python3 -m pytest -p no:cacheprovider --collect-only -q test_storage_param.py > "$OUT/pytest-param/combined.txt")
    check "$OUT/pytest-param/combined.txt"
  else skip "collectors: pytest not installed"; fi

  local bin="$SUITES/js/node_modules/.bin"
  if [ -x "$bin/vitest" ]; then
    "$bin/vitest" --version; echo "mocha $("$bin/mocha" --version); jest $("$bin/jest" --version)"
    for b in "${BACKENDS[@]}"; do
      (cd "$SUITES/js/vitest" && TEST_BACKEND=$b "$bin/vitest" list --config vitest.config.mjs > "$OUT/vitest/$b.txt" 2>/dev/null)
      check "$OUT/vitest/$b.txt"
      (cd "$SUITES/js/vitest" && TEST_BACKEND=$b "$bin/vitest" list --config vitest.config.mjs --json > "$OUT/vitest/$b.json" 2>/dev/null)
      check "$OUT/vitest/$b.json"
      # --dry-run: every hook and test body is skipped; the json reporter still lists each test.
      (cd "$SUITES/js" && TEST_BACKEND=$b "$bin/mocha" --dry-run --reporter json mocha/storage.spec.cjs > "$OUT/mocha/$b.json" 2>/dev/null)
      check "$OUT/mocha/$b.json"
    done
    (cd "$SUITES/js" && "$bin/jest" --rootDir jest --listTests > "$OUT/jest/list-tests.txt" 2>/dev/null)
    check "$OUT/jest/list-tests.txt"
  else skip "collectors: js node_modules missing (run scripts/regenerate-fixtures.sh js first)"; fi

  if need go golang-go; then
    go version
    for b in "${BACKENDS[@]}"; do
      (cd "$SUITES/go" && TEST_BACKEND=$b GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go test -tags "$b" -list . ./... > "$OUT/go/$b.txt" 2>/dev/null)
      check "$OUT/go/$b.txt"
    done
    (cd "$SUITES/go" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go test -tags sqlite -list . -json ./... > "$OUT/go/sqlite.jsonl" 2>/dev/null)
    check "$OUT/go/sqlite.jsonl"
  else skip "collectors: go not installed"; fi

  if command -v cargo >/dev/null 2>&1; then
    cargo --version
    for b in "${BACKENDS[@]}"; do
      # stdout only: the list and libtest's "N tests, 0 benchmarks" per binary.
      (cd "$SUITES/rust" && TEST_BACKEND=$b cargo test --offline -q -- --list > "$OUT/cargo/$b.txt" 2>/dev/null)
      check "$OUT/cargo/$b.txt"
    done
    # With cargo's stderr: the "Running <target>" headers name each test binary's source file.
    (cd "$SUITES/rust" && TEST_BACKEND=sqlite cargo test --offline -- --list > "$OUT/cargo/sqlite-with-stderr.txt" 2>&1)
    check "$OUT/cargo/sqlite-with-stderr.txt"
  else skip "collectors: cargo not installed"; fi

  if command -v cmake >/dev/null 2>&1 && [ -e /usr/include/catch2/catch.hpp ] && [ -e /usr/lib/x86_64-linux-gnu/libgtest.a ]; then
    echo "googletest $(dpkg-query -W -f='${Version}' libgtest-dev); catch2 $(dpkg-query -W -f='${Version}' catch2); $(ctest --version | head -1)"
    for b in "${BACKENDS[@]}"; do
      local build; build="$(mktemp -d /tmp/dbc-cpp-list-$b.XXXXXX)"
      TEST_BACKEND=$b cmake -S "$SUITES/cpp" -B "$build" >/dev/null && cmake --build "$build" -j2 >/dev/null || { FAILED+=("cpp build $b"); continue; }
      # Same filters as run_cpp's JUnit runs.
      local filter='*' tags='[storage]'
      if [ "$b" = postgres ]; then filter='-*pragma*'; tags='[storage]~[json]~[pragma]'; fi
      "$build/storage_gtest" --gtest_filter="$filter" --gtest_list_tests > "$OUT/googletest/$b.txt" 2>/dev/null
      check "$OUT/googletest/$b.txt"
      "$build/storage_catch2" "$tags" --list-test-names-only > "$OUT/catch2/$b.txt" 2>/dev/null
      check "$OUT/catch2/$b.txt"
      [ "$b" = sqlite ] && { "$build/storage_catch2" "$tags" --list-tests > "$OUT/catch2/sqlite-list-tests.txt" 2>/dev/null; check "$OUT/catch2/sqlite-list-tests.txt"; }
      (cd "$build" && ctest -N > "$OUT/ctest/$b.txt" 2>/dev/null)
      check "$OUT/ctest/$b.txt"
      [ "$b" = sqlite ] && { (cd "$build" && ctest --show-only=json-v1 > "$OUT/ctest/sqlite.json" 2>/dev/null); check "$OUT/ctest/sqlite.json"; }
      rm -rf "$build"
    done
  else skip "collectors: cmake/libgtest-dev/catch2 missing (run scripts/regenerate-fixtures.sh cpp first)"; fi

  if command -v phpunit >/dev/null 2>&1; then
    phpunit --version | head -1
    for b in "${BACKENDS[@]}"; do
      (cd "$SUITES/php" && TEST_BACKEND=$b phpunit --list-tests > "$OUT/phpunit/$b.txt" 2>/dev/null)
      check "$OUT/phpunit/$b.txt"
    done
  else skip "collectors: phpunit not installed"; fi
}

RUNNERS=("$@")
[ ${#RUNNERS[@]} -eq 0 ] && RUNNERS=(pytest js go rust php java cpp collectors)
for r in "${RUNNERS[@]}"; do
  case "$r" in
    pytest|js|go|rust|php|java|cpp|collectors) "run_$r" ;;
    nextest) skip "nextest: fixture is hand-built (see tests/fixtures/dialects/README.md)" ;;
    *) echo "unknown runner: $r"; exit 2 ;;
  esac
done

echo
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "FAILED to produce: ${FAILED[*]}"
  exit 1
fi
echo "fixtures regenerated"
