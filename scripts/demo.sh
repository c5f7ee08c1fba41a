#!/usr/bin/env bash
# Sets maskgate up (system packages, Node dependencies, build) and runs the demo on embedded
# defaults: embedded MQTT broker, bundled sample faces and model, a local SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
MASKGATE_SKIP_TRAINER=1 scripts/setup.sh
exec node dist/daemon/cli.js demo "$@"
