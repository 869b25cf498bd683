#!/usr/bin/env bash
# Checks the Debian package's systemd drop-ins with `systemd-analyze verify`: the units from
# systemd/ plus the drop-ins from packaging/deb/, with /usr/bin/feedmark pointed at a built
# binary (target/debug/feedmark or $FEEDMARK_BIN). The units' own ExecStart
# (/usr/local/bin/feedmark) must be fully replaced, so verify sees only the drop-in's.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${FEEDMARK_BIN:-$root/target/debug/feedmark}"
[ -x "$bin" ] || { echo "verify.sh: no binary at $bin (run cargo build first)" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze missing (apt-get install systemd)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A path that cannot exist: if the drop-in failed to reset ExecStart, verify complains.
for unit in feedmark.service feedmark-fetch.service feedmark-fetch.timer; do
    sed "s|/usr/local/bin/feedmark|/nonexistent/feedmark|g" "$root/systemd/$unit" > "$tmp/$unit"
done
mkdir -p "$tmp/feedmark.service.d" "$tmp/feedmark-fetch.service.d"
sed "s|/usr/bin/feedmark|$bin|g" "$root/packaging/deb/usr-bin.conf" > "$tmp/feedmark.service.d/usr-bin.conf"
sed "s|/usr/bin/feedmark|$bin|g" "$root/packaging/deb/usr-bin-fetch.conf" > "$tmp/feedmark-fetch.service.d/usr-bin.conf"
out="$(cd "$tmp" && systemd-analyze verify feedmark.service feedmark-fetch.service feedmark-fetch.timer 2>&1)" || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then echo "$out" >&2; exit 1; fi
echo "systemd-analyze verify: ok (units with the Debian package's /usr/bin drop-ins)"
