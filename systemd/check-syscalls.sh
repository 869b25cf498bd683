#!/usr/bin/env bash
# Runs `feedmark run` under strace as an unprivileged user (nobody) against a local feed, with
# a SIGHUP reload and a SIGTERM stop, and lists every system call it made that the units'
# SystemCallFilter (@system-service minus @privileged and @resources) would deny.
# Needs strace, python3, setpriv (util-linux) and systemd-analyze; run as root.
# Prints "denied: none" and exits 0 when the filter fits.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${FEEDMARK_BIN:-$root/target/debug/feedmark}"
work="$(mktemp -d)"; chmod 777 "$work"
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
printf '<rss version="2.0"><channel><title>t</title><ttl>60</ttl></channel></rss>\n' > "$work/feed.xml"
port=$((18000 + RANDOM % 1000))
(cd "$work" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) & server=$!
cat > "$work/c.toml" <<TOML
database = "feedmark.db"
output_dir = "posts"
[http]
allow_private_networks = true
[[feeds]]
name = "local"
url = "http://127.0.0.1:$port/feed.xml"
[[feeds]]
name = "missing"
url = "http://127.0.0.1:$port/missing.xml"
TOML
sleep 0.5
strace -f -qq -o "$work/trace" setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$bin" --config "$work/c.toml" run 2> "$work/log" & tracer=$!
sleep 3
pid="$(pgrep -f "^$bin --config $work/c.toml run")"
kill -HUP "$pid"; sleep 1; kill -TERM "$pid"; wait "$tracer" || true
grep -q "feedmark run: stopped" "$work/log" || { cat "$work/log" >&2; exit 1; }
python3 - "$work/trace" <<'PY'
import re, subprocess, sys
listing = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
groups, cur = {}, None
for line in listing.splitlines():
    if line.startswith("@"):
        cur = line.strip(); groups[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].append(line.strip())
def expand(g, seen=None):
    seen = seen if seen is not None else set(); out = set()
    for x in groups.get(g, []):
        if x.startswith("@"):
            if x not in seen:
                seen.add(x); out |= expand(x, seen)
        else:
            out.add(x)
    return out
allowed = expand("@system-service") - expand("@privileged") - expand("@resources")
# Only calls made after setpriv exec'd feedmark count.
used, started = set(), set()
for line in open(sys.argv[1]):
    m = re.match(r"(\d+)\s+([a-z_0-9]+)\(", line)
    if not m:
        continue
    pid, name = m.groups()
    if name == "execve" and "feedmark" in line:
        started.add(pid); continue
    if started:
        used.add(name)
denied = sorted(used - allowed)
print(f"system calls used: {len(used)}; denied: {', '.join(denied) or 'none'}")
sys.exit(1 if denied else 0)
PY
