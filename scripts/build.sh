#!/usr/bin/env bash
# `npm run build`: TypeScript -> dist/, the prebuilt workflow bundle, and the JSON Schemas of campaign files
# and report.json, each slow step announced (scripts/lib/progress.sh); a failing step prints its output.
set -uo pipefail
cd "$(dirname "$0")/.."
PROGRESS_PREFIX=build
# shellcheck source=lib/progress.sh
. scripts/lib/progress.sh
step "compiling TypeScript into dist/" "20-30 s" node_modules/.bin/tsc -p tsconfig.build.json || exit 1
step "bundling the workflow code" "5-10 s" node scripts/build-bundle.js || exit 1
node scripts/gen-schema.js || exit 1
