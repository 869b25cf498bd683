#!/usr/bin/env bash
# Checks the unit files with `systemd-analyze verify` and prints the service's exposure
# score (`systemd-analyze security --offline`). Needs systemd-analyze (Debian: apt-get
# install systemd) and a built binary: the units' /usr/local/bin/feedmark is pointed at
# target/debug/feedmark (or $FEEDMARK_BIN) in a temporary copy, since verify checks that
# ExecStart= is executable. Exits non-zero on any verify complaint.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FEEDMARK_BIN:-$root/target/debug/feedmark}"
[ -x "$bin" ] || { echo "verify.sh: no binary at $bin (run cargo build first)" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze missing (apt-get install systemd)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for unit in feedmark.service feedmark-fetch.service feedmark-fetch.timer feedmark-export.service feedmark-export.timer; do
    sed "s|/usr/local/bin/feedmark|$bin|g" "$root/systemd/$unit" > "$tmp/$unit"
done
# verify prints problems and (on systemd ≥ 250) exits non-zero on them; treat any output as failure too.
out="$(cd "$tmp" && systemd-analyze verify feedmark.service feedmark-fetch.service feedmark-fetch.timer feedmark-export.service feedmark-export.timer 2>&1)" || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
echo "systemd-analyze verify: ok (feedmark.service, feedmark-fetch.service, feedmark-fetch.timer, feedmark-export.service, feedmark-export.timer)"
systemd-analyze security --offline=true --no-pager "$tmp/feedmark.service" | tail -n 1
