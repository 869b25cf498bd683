#!/bin/sh
# Builds the Debian package: release binary, then man pages and completions generated from
# it, then `cargo deb --no-build`. Needs cargo-deb (cargo install cargo-deb) and dpkg-dev.
set -eu
cd "$(dirname "$0")/../.."
cargo build --release --locked
bin=target/release/feedmark
rm -rf target/assets
mkdir -p target/assets/completions
"$bin" man --out target/assets/man >/dev/null
"$bin" completions bash > target/assets/completions/feedmark.bash
"$bin" completions zsh > target/assets/completions/_feedmark
"$bin" completions fish > target/assets/completions/feedmark.fish
cargo deb --no-build "$@"
