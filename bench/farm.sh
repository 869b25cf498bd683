# shellcheck shell=bash
# Shared by bench/run, bench/ab and bench/daemon (sourced, not run): the loopback feed farm
# they measure against, and the parts of feedmark's config that point at it.
# Needs FEEDS ITEMS LATENCY_MS CONCURRENCY PORT OUT BASE set by the caller.

# start_farm: starts examples/feed_farm (log in $OUT/farm.log) and waits until it answers
# (it makes its gzipped pages first: ~15 s for 20,000); sets FARM and a trap that stops it.
# Exits 1 with the farm's own message when it does not come up (a port in use, say).
start_farm() {
  target/release/examples/feed_farm --port "$PORT" --feeds "$FEEDS" --items "$ITEMS" \
    --latency-ms "$LATENCY_MS" --new-per-round 1 > "$OUT/farm.log" 2>&1 &
  FARM=$!
  trap 'kill $FARM 2>/dev/null || true' EXIT
  for _ in $(seq 1200); do
    curl -sf "$BASE/stats" > /dev/null && return 0
    kill -0 "$FARM" 2>/dev/null || break
    sleep 0.1
  done
  echo "$0: the feed farm is not answering on $BASE:" >&2
  cat "$OUT/farm.log" >&2
  exit 1
}

# farm_config: the [http] section (loopback allowed, CONCURRENCY in flight, no per-host
# delay: every feed is on 127.0.0.1) and one [[feeds]] entry per farm feed.
farm_config() {
  printf '[http]\nallow_private_networks = true\n'
  printf 'concurrency = %s\nper_host_concurrency = %s\nper_host_delay_ms = 0\n\n' "$CONCURRENCY" "$CONCURRENCY"
  for ((i = 0; i < FEEDS; i++)); do
    printf '[[feeds]]\nname = "f%s"\nurl = "%s/feed/%s.xml"\n' "$i" "$BASE" "$i"
  done
}

# json TEXT KEY: a number from the farm's /stats answer.
json() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" <<< "$1"; }

# time_field FILE TEXT: a value from a `/usr/bin/time -v` report ("User time (seconds)", …).
time_field() { sed -n "s/.*$2: //p" "$1"; }

# new_articles FILE: the new articles a `feedmark fetch` reported in its summary line.
new_articles() { grep -oE 'new articles:? [0-9]+' "$1" | grep -oE '[0-9]+$' || echo 0; }
