#!/usr/bin/env bash
# Runs IBR Desk under Xvfb and saves a screenshot of each screen.
#
#   scripts/screenshots.sh [OUT_DIR]        (default: docs/screenshots)
#
# Needs: xvfb-run, xdotool and ImageMagick's `import` (Debian: xvfb xauth
# xdotool imagemagick libgl1-mesa-dri libegl1 libxkbcommon-x11-0 libxcursor1
# libxrandr2 libxi6). Uses a fresh data directory and in-memory secrets, so
# it touches neither your data nor your keyring. The Checks screen is filled
# with sample checks against the built-in demo registry.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-docs/screenshots}
BIN=${IBR_DESK_BIN:-target/release/ibr-desk}
[ -x "$BIN" ] || cargo build --release
mkdir -p "$OUT"
DATA=$(mktemp -d)
export XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
export IBR_DESK_SECRET_STORE=memory
trap 'rm -rf "$DATA" "$XDG_RUNTIME_DIR"' EXIT

# shoot SCREEN FILE [EXTRA ARGS...]: open the window on SCREEN, wait, save it.
shoot() {
  local screen=$1 file=$2; shift 2
  xvfb-run -a -s '-screen 0 1280x800x24' sh -c "
    '$BIN' --data-dir '$DATA' --screen $screen $* >/dev/null 2>&1 & P=\$!
    sleep ${WAIT_SECS:-6}
    $EXTRA_ACTIONS
    import -window root '$OUT/$file'
    kill \$P; wait \$P 2>/dev/null || true"
  echo "saved $OUT/$file"
}

EXTRA_ACTIONS="" WAIT_SECS=10 shoot checks checks.png --sample-checks
# The detail of the first check (a click on its row).
EXTRA_ACTIONS='W=$(xdotool search --name "IBR Desk" | head -1); xdotool mousemove --window $W 400 185 click 1; sleep 2' \
  shoot checks check-detail.png
EXTRA_ACTIONS="" shoot new-check new-check.png
# The possible matches of the sample checks, as an officer sees the queue.
EXTRA_ACTIONS="" shoot review review.png
EXTRA_ACTIONS="" shoot import import.png
EXTRA_ACTIONS="" shoot sources data-sources.png
EXTRA_ACTIONS="" shoot senders trusted-senders.png
EXTRA_ACTIONS="" shoot settings settings.png
