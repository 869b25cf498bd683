//! The PostgreSQL connections, driven from a thread of their own.
//!
//! The `postgres` crate is synchronous on the outside but runs tokio-postgres on a private
//! current-thread runtime, and `Runtime::block_on` panics on a thread that is already inside
//! a tokio runtime. The store is called from sync code, from `block_in_place`, and straight
//! from async code (daemon start-up, status), so the connections live on one plain thread
//! and every call is a job sent to it: the caller's thread never enters a runtime.

use std::sync::mpsc;
use std::thread::JoinHandle;

use postgres::{Client, NoTls};

use crate::error::{Error, Result};

/// The connections of one store, as a job sees them.
pub(super) struct Session {
    /// Batches, reads and most writes.
    pub(super) main: Client,
    /// Autocommit only: leases and claims must be seen by other workers at once, whatever
    /// batch `main` has open.
    pub(super) side: Client,
    /// Whether `main` has a batch (`BEGIN`) open.
    pub(super) in_batch: bool,
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// A handle on the session's thread.
pub(super) struct Conn {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Conn {
    /// Connects twice to `url` on a new thread; fails when the server cannot be reached.
    pub(super) fn connect(url: &str) -> Result<Conn> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, started) = mpsc::sync_channel::<Result<()>>(1);
        let url = url.to_string();
        let thread = std::thread::Builder::new()
            .name("feedmark-postgres".into())
            .spawn(move || {
                let session = Client::connect(&url, NoTls)
                    .and_then(|main| Ok((main, Client::connect(&url, NoTls)?)));
                let mut session = match session {
                    Ok((main, side)) => {
                        let _ = ready.send(Ok(()));
                        Session {
                            main,
                            side,
                            in_batch: false,
                        }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e.into()));
                        return;
                    }
                };
                for job in inbox {
                    job(&mut session);
                }
            })
            .map_err(|e| Error::io("postgres connection thread", e))?;
        started.recv().map_err(|_| gone())??;
        Ok(Conn {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the session's thread and waits for its answer.
    pub(super) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |s| {
            let _ = reply.send(f(s));
        });
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; its clients close with it.
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The session's thread ended (a job panicked): nothing more can be asked of it.
fn gone() -> Error {
    Error::Usage("database: the PostgreSQL connection thread stopped".into())
}
