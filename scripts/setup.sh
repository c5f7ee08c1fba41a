#!/usr/bin/env bash
# Installs everything maskgate needs on a Debian/Ubuntu machine: system packages, Node
# dependencies (without onnxruntime's CUDA download) and the trainer's Python environment.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
command -v mosquitto >/dev/null || need_apt+=(mosquitto)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)
# taskset pins the coded scan's helper threads (pipeline/thread-affinity.ts); Essential on Debian.
command -v taskset >/dev/null || need_apt+=(util-linux)
# For the console's browser tests: Debian's Chromium, driven by playwright-core (no browser download).
command -v chromium >/dev/null || need_apt+=(chromium)
# For the RTSP capture tests: GStreamer's RTSP server serves a local test stream.
# (Debian's python3-gi serves the system interpreter, which need not be the python3 on PATH.)
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' 2>/dev/null ||
  need_apt+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# onnxruntime-node would otherwise try to download CUDA binaries at install time.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing Node dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

if [ "${MASKGATE_SKIP_TRAINER:-0}" != "1" ]; then
  if [ ! -x .venv/bin/python ] || [ trainer/pyproject.toml -nt .venv/.installed ]; then
    echo "setup: installing the trainer's Python environment (PyTorch is large; pip caches it)"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -e 'trainer[dev]'
    touch .venv/.installed
  fi
fi
