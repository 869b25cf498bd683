//! Several workers on one database: membership, feed leases and item claims.
//!
//! A worker is alive while it refreshes its `workers` row (every third of its lease); one
//! not seen for `lease_secs` (SIGKILL, power loss) is dead, and its leases and claims are
//! free for the taking. All times are the database server's, so worker clocks may differ.

use std::sync::{Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::Pg;
use crate::error::{Error, Result};

/// SQL: the server's clock in Unix seconds.
const NOW: &str = "EXTRACT(EPOCH FROM now())::bigint";

/// SQL, for a worker id in column `$col`: that worker is alive.
pub(super) fn alive(col: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM workers lw WHERE lw.id = {col} AND lw.stopped_at IS NULL
                 AND lw.last_seen_at >= {NOW} - lw.lease_secs)"
    )
}

/// A worker as `status` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Worker {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub started_at: i64,
    pub last_seen_at: i64,
    /// When it stopped cleanly; `None` while running (or since it died).
    pub stopped_at: Option<i64>,
    /// Whether it was seen within its lease.
    pub alive: bool,
    /// The feeds it holds a lease on now, by name.
    pub leases: Vec<String>,
}

/// What [`Pg::lease_feeds`] answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Leased {
    /// Feeds leased to this process now.
    pub granted: Vec<String>,
    /// Feeds another live worker holds, or that were polled already for this round (their
    /// next poll is later). The others asked for were free but over the limit.
    pub busy: Vec<String>,
}

/// This process as a worker: registered on its first lease or claim.
#[derive(Default)]
pub(super) struct Membership(Mutex<Option<Registered>>);

struct Registered {
    id: String,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<JoinHandle<()>>,
}

impl Membership {
    /// The worker id, once registered.
    pub(super) fn id(&self) -> Option<String> {
        self.0.lock().ok()?.as_ref().map(|r| r.id.clone())
    }
}

impl Pg {
    /// This worker's id, registering it (and starting its heartbeat) on first use.
    fn worker_id(&self, lease_secs: u64) -> Result<String> {
        let mut slot = self
            .worker
            .0
            .lock()
            .map_err(|_| Error::Usage("database: worker state poisoned".into()))?;
        if let Some(r) = slot.as_ref() {
            return Ok(r.id.clone());
        }
        let host = host_name();
        let pid = i64::from(std::process::id());
        let lease = lease_secs.max(1) as i64;
        // Host and pid name the process; the start time tells a reused pid apart.
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let id = format!("{host}/{pid}@{started}");
        let new = id.clone();
        self.run(move |s| {
            s.side.execute(
                &format!(
                    "INSERT INTO workers (id, host, pid, lease_secs, started_at, last_seen_at)
                     VALUES ($1, $2, $3, $4, {NOW}, {NOW})"
                ),
                &[&new, &host, &pid, &lease],
            )?;
            Ok(())
        })?;
        let (stop, stopped) = mpsc::channel();
        let heartbeat = heartbeat(&self.url, id.clone(), lease, stopped)?;
        tracing::info!(worker = %id, lease_secs = lease, "joined the workers of this database");
        *slot = Some(Registered {
            id: id.clone(),
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        });
        Ok(id)
    }

    /// See [`crate::store::Store::lease_feeds`]: leases up to `limit` of `feeds` (name, URL)
    /// that are due at `due_by` (any, when `None`) and not leased by a live worker, the
    /// longest overdue first. Feeds not stored yet are created first, so that a fresh
    /// database can be shared out.
    pub fn lease_feeds(
        &self,
        feeds: &[(&str, &str)],
        due_by: Option<i64>,
        at: i64,
        lease_secs: u64,
        limit: Option<usize>,
    ) -> Result<Leased> {
        let worker = self.worker_id(lease_secs)?;
        let names: Vec<String> = feeds.iter().map(|f| f.0.to_string()).collect();
        let urls: Vec<String> = feeds.iter().map(|f| f.1.to_string()).collect();
        let limit = limit.map(|n| n as i64);
        self.run(move |s| {
            s.side.execute(
                "INSERT INTO feeds (name, url, config_url, created_at)
                 SELECT n, u, u, $3 FROM unnest($1::text[], $2::text[]) AS t(n, u)
                 ON CONFLICT (name) DO NOTHING",
                &[&names, &urls, &at],
            )?;
            let rows = s.side.query(
                &format!(
                    "UPDATE feeds f SET lease_worker = $1, leased_at = {NOW}
                     WHERE f.id IN (
                         SELECT g.id FROM feeds g
                         WHERE g.name = ANY($2)
                           AND ($3::bigint IS NULL OR g.next_poll_at IS NULL OR g.next_poll_at <= $3)
                           AND (g.lease_worker IS NULL OR g.lease_worker = $1
                                OR NOT {})
                         ORDER BY g.next_poll_at NULLS FIRST, g.id
                         LIMIT $4
                         FOR UPDATE SKIP LOCKED)
                     RETURNING f.name",
                    alive("g.lease_worker")
                ),
                &[&worker, &names, &due_by, &limit],
            )?;
            let granted: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            let busy = s.side.query(
                &format!(
                    "SELECT g.name FROM feeds g
                     WHERE g.name = ANY($2) AND NOT g.name = ANY($3)
                       AND (($4::bigint IS NOT NULL AND g.next_poll_at > $4)
                            OR (g.lease_worker <> $1 AND {}))",
                    alive("g.lease_worker")
                ),
                &[&worker, &names, &granted, &due_by],
            )?;
            Ok(Leased {
                granted,
                busy: busy.iter().map(|r| r.get(0)).collect(),
            })
        })
    }

    /// See [`crate::store::Store::release_leases`].
    pub fn release_leases(&self, names: &[String]) -> Result<()> {
        let Some(worker) = self.worker.id() else {
            return Ok(());
        };
        let names = names.to_vec();
        self.run(move |s| {
            s.side.execute(
                "UPDATE feeds SET lease_worker = NULL, leased_at = NULL
                 WHERE lease_worker = $1 AND name = ANY($2)",
                &[&worker, &names],
            )?;
            Ok(())
        })
    }

    /// See [`crate::store::Store::claim`]: all of `keys` for this worker, or none taken.
    pub fn claim(&self, keys: &[&str], lease_secs: u64) -> Result<bool> {
        let worker = self.worker_id(lease_secs)?;
        let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        keys.sort();
        keys.dedup();
        self.run(move |s| {
            let won = s.side.query(
                &format!(
                    "INSERT INTO claims (key, worker, claimed_at)
                     SELECT k, $2, {NOW} FROM unnest($1::text[]) k
                     ON CONFLICT (key) DO UPDATE
                         SET worker = excluded.worker, claimed_at = excluded.claimed_at
                         WHERE claims.worker = excluded.worker OR NOT {}
                     RETURNING key",
                    alive("claims.worker")
                ),
                &[&keys, &worker],
            )?;
            Ok(won.len() == keys.len())
        })
    }

    /// See [`crate::store::Store::workers`].
    pub fn workers(&self) -> Result<Vec<Worker>> {
        self.run(|s| {
            let rows = s.main.query(
                &format!(
                    "SELECT w.id, w.host, w.pid, w.started_at, w.last_seen_at, w.stopped_at,
                            {},
                            COALESCE((SELECT array_agg(f.name ORDER BY f.name COLLATE \"C\")
                                      FROM feeds f WHERE f.lease_worker = w.id), '{{}}')
                     FROM workers w ORDER BY w.started_at, w.id COLLATE \"C\"",
                    alive("w.id")
                ),
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| Worker {
                    id: r.get(0),
                    host: r.get(1),
                    pid: r.get(2),
                    started_at: r.get(3),
                    last_seen_at: r.get(4),
                    stopped_at: r.get(5),
                    alive: r.get(6),
                    leases: r.get(7),
                })
                .collect())
        })
    }
}

/// This machine's name, for the workers list (uname(2): /proc/sys may be hidden from a
/// hardened service).
fn host_name() -> String {
    #[cfg(target_os = "linux")]
    {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    }
    #[cfg(not(target_os = "linux"))]
    {
        tracing::warn!("host name unknown here; workers list this one as `localhost`");
        "localhost".into()
    }
}

/// Drops `worker`'s claims on items that are now stored (found by key or URL).
pub(super) fn drop_stored_claims(c: &mut Client, worker: &str) -> Result<()> {
    c.execute(
        "DELETE FROM claims c WHERE c.worker = $1 AND (
             EXISTS (SELECT 1 FROM article_keys k WHERE k.key = c.key)
             OR EXISTS (SELECT 1 FROM article_urls u WHERE u.url = c.key))",
        &[&worker],
    )?;
    Ok(())
}

/// Keeps `id` alive from a thread (and connection) of its own until `stop` says otherwise
/// or is dropped; then marks it stopped and frees its leases and claims.
fn heartbeat(
    url: &str,
    id: String,
    lease_secs: i64,
    stop: mpsc::Receiver<()>,
) -> Result<JoinHandle<()>> {
    let every = Duration::from_millis((lease_secs as u64 * 1000 / 3).max(100));
    let url = url.to_string();
    std::thread::Builder::new()
        .name("feedmark-heartbeat".into())
        .spawn(move || {
            // Connected here, not by the caller: a thread inside a tokio runtime cannot
            // (see session.rs).
            let mut client = match Client::connect(&url, NoTls) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(worker = %id, "heartbeat cannot connect: {}; other workers take this one's feeds after {lease_secs}s", crate::error::Error::from(e));
                    return;
                }
            };
            while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
                let beat = client.execute(
                    &format!("UPDATE workers SET last_seen_at = {NOW} WHERE id = $1"),
                    &[&id],
                );
                if let Err(e) = beat {
                    tracing::warn!(worker = %id, "heartbeat failed: {e}; other workers take this one's feeds if it lasts {lease_secs}s");
                }
            }
            let bye = client.batch_execute("BEGIN").and_then(|()| {
                client.execute(
                    &format!("UPDATE workers SET stopped_at = {NOW}, last_seen_at = {NOW} WHERE id = $1"),
                    &[&id],
                )?;
                client.execute(
                    "UPDATE feeds SET lease_worker = NULL, leased_at = NULL WHERE lease_worker = $1",
                    &[&id],
                )?;
                client.execute("DELETE FROM claims WHERE worker = $1", &[&id])?;
                client.batch_execute("COMMIT")
            });
            if let Err(e) = bye {
                tracing::warn!(worker = %id, "could not sign off: {e}; its leases expire in {lease_secs}s");
            }
        })
        .map_err(|e| Error::io("heartbeat thread", e))
}

impl Drop for Membership {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(r) = slot.as_mut()
        {
            r.stop.take();
            if let Some(t) = r.heartbeat.take() {
                let _ = t.join();
            }
        }
    }
}
