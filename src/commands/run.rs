//! `feedmark run`: the daemon on the given runtime, until a signal stops it.

use std::path::PathBuf;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::error::Result;

/// How long an extraction still running on a blocking thread may hold up the exit.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// Starts the daemon on `config_path` (it takes the database lock) and runs it to the end.
pub fn run(runtime: tokio::runtime::Runtime, config_path: PathBuf) -> Result<()> {
    let result = runtime.block_on(async {
        let clock = crate::clock::from_env();
        let daemon = Daemon::start(config_path, clock)?;
        daemon.run().await
    });
    // Whatever still runs would be discarded anyway: do not wait for it.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    result
}
