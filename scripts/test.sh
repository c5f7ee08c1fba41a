#!/usr/bin/env bash
# Runs the whole test suite: type-check, linters, the TypeScript tests (vitest) and the trainer's tests
# (pytest), then prints one closing line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
mkdir -p var/test-reports

status=0
npx tsc -p tsconfig.json --noEmit || status=1
npx tsc -p test/tsconfig.json --noEmit || status=1
# Linters: typescript-eslint, and dependency-cruiser's room layers and cycles (.dependency-cruiser.cjs).
npm run --silent lint || status=1
npx vitest run --reporter=default --reporter=json --outputFile.json=var/test-reports/vitest.json || status=1

if [ "${MASKGATE_SKIP_TRAINER:-0}" != "1" ]; then
  # ruff (config in trainer/pyproject.toml): any finding fails the run.
  (cd trainer && ../.venv/bin/ruff check --no-fix .) || status=1
  (cd trainer && ../.venv/bin/python -m pytest -q --junitxml=../var/test-reports/pytest.xml)
  code=$?
  # pytest exits 5 when it collected no tests: that is a failure here, not a pass.
  [ $code -eq 0 ] || status=1
fi

node scripts/test-summary.mjs var/test-reports || status=1
exit $status
