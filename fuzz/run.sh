#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 120 s each; FUZZ_SECS to change).
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Seeds come from the
# shared feed corpus and the test fixtures; findings land in fuzz/artifacts/<target>/.
# Without nightly: `FEEDMARK_FUZZ_SECS=120 cargo test --release --test fuzz_stable -- --nocapture`.
set -euo pipefail
cd "$(dirname "$0")"
secs="${FUZZ_SECS:-120}"
corpus_src="../../shared/feeds/corpus"
mkdir -p corpus/feed_parse corpus/extract_markdown corpus/front_matter
if [ -d "$corpus_src" ]; then
    find "$corpus_src" -type f \( -name '*.xml' -o -name '*.rss' -o -name '*.atom' -o -name '*.json' \) \
        -size -64k -exec cp -n {} corpus/feed_parse/ \; 2>/dev/null || true
fi
cp -n ../tests/fixtures/thehill/*.html corpus/extract_markdown/ 2>/dev/null || true
cp -n ../tests/fixtures/thehill/*.xml corpus/feed_parse/ 2>/dev/null || true
printf 'A "title": with\n--- yaml\x01text <b>\x01{{< x >}} <!--more-->' > corpus/front_matter/seed
# Build once; `run` must get the same -O, or cargo-fuzz rebuilds everything with other flags
# (the first build takes most of an hour on two busy cores: aws-lc, SQLite, html5ever).
cargo +nightly fuzz build -O
status=0
for target in feed_parse extract_markdown front_matter; do
    echo "== $target: ${secs}s"
    if ! cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=20; then
        echo "!! $target found a problem; see fuzz/artifacts/$target/"
        status=1
    fi
done
exit $status
