//! `feedmark reextract`: extraction again on stored articles, under the database lock.

use crate::config::Config;
use crate::error::Result;
use crate::lock::Writer;

use super::Output;

/// Re-extracts the stored articles (of `feed`, published at or after `since`) and says what
/// changed. It takes a [`Writer`]: it rewrites rows and files, so it must not run beside a
/// `fetch` or the daemon.
pub fn run(
    config: &Config,
    writer: &mut Writer,
    feed: Option<&str>,
    since: Option<i64>,
) -> Result<Output> {
    let summary = crate::reextract::run(config, writer.store(), feed, since)?;
    Ok(Output::done(format!("{summary}\n")))
}
