//! Writes the archive from SQLite alone (no network): a folder of files, or one `.tar.gz`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::output::{remove_leftovers, remove_leftovers_flat, sync_files, write_atomic_unsynced};
use crate::render::file_for;
use crate::store::{ArticleFilter, Store, StoredArticle};

/// Where the archive goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A folder: one file per article at its template path; unchanged files are not touched.
    Dir(PathBuf),
    /// A gzip-compressed tar file holding the same tree.
    Archive(PathBuf),
}

/// What an export did, for its closing line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummary {
    /// Articles selected and rendered.
    pub articles: u64,
    /// Files (re)written: for an archive, 1 when the archive file changed.
    pub written: u64,
    /// Files that already held exactly these bytes.
    pub unchanged: u64,
    /// True for a `.tar.gz` export.
    pub archive: bool,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.archive {
            let state = if self.written > 0 {
                "written"
            } else {
                "unchanged"
            };
            write!(f, "exported articles: {}; archive {state}", self.articles)?;
        } else {
            write!(
                f,
                "exported articles: {}; files written: {}; unchanged: {}",
                self.articles, self.written, self.unchanged
            )?;
        }
        if self.written == 0 {
            f.write_str("; nothing changed")?;
        }
        Ok(())
    }
}

/// Writes every article `filter` selects to `target`, oldest first, calling `tick` after each.
pub fn export(
    store: &Store,
    config: &Config,
    filter: &ArticleFilter,
    target: &Target,
    tick: &mut dyn FnMut(),
) -> Result<ExportSummary> {
    match target {
        Target::Dir(dir) => to_dir(store, config, filter, dir, tick),
        Target::Archive(file) => to_archive(store, config, filter, file, tick),
    }
}

/// Renders each article and checks that no two land on the same path.
fn walk(
    store: &Store,
    config: &Config,
    filter: &ArticleFilter,
    mut each: impl FnMut(&StoredArticle, PathBuf, String) -> Result<()>,
) -> Result<u64> {
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut count = 0;
    store.each_article(filter, |a| {
        let (path, contents) = file_for(&a.article, &a.feed_name, config)?;
        if !seen.insert(path.clone()) {
            return Err(Error::Article {
                name: a.article.file_name.clone(),
                message: format!(
                    "another article already goes to `{}`: add {{name}} or the date to path_template `{}`",
                    path.display(),
                    config.path_template
                ),
            });
        }
        count += 1;
        each(&a, path, contents)
    })?;
    Ok(count)
}

fn to_dir(
    store: &Store,
    config: &Config,
    filter: &ArticleFilter,
    dir: &Path,
    tick: &mut dyn FnMut(),
) -> Result<ExportSummary> {
    warn_removed(remove_leftovers(dir));
    let mut summary = ExportSummary::default();
    summary.articles = walk(store, config, filter, |_, path, contents| {
        if write_atomic_unsynced(dir, &path, &contents)? {
            summary.written += 1;
        } else {
            summary.unchanged += 1;
        }
        tick();
        Ok(())
    })?;
    // One flush for the whole export instead of one per file (a crash before it may leave
    // some files empty; export again rewrites exactly those, as their bytes differ).
    if summary.written > 0 {
        sync_files(dir)?;
    }
    Ok(summary)
}

fn to_archive(
    store: &Store,
    config: &Config,
    filter: &ArticleFilter,
    file: &Path,
    tick: &mut dyn FnMut(),
) -> Result<ExportSummary> {
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    // A killed archive export leaves its temporary file here, not in any output folder.
    // Cleaning comes before this run's own temporary file exists: it would count as a leftover.
    warn_removed(remove_leftovers_flat(parent));
    let tmp = crate::output::temp_file_in(parent).map_err(|e| Error::io(parent, e))?;
    let io = |e| Error::io(file, e);
    let gz = flate2::GzBuilder::new().write(tmp.as_file(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut dirs: HashSet<PathBuf> = HashSet::new();
    let articles = walk(store, config, filter, |a, path, contents| {
        for dir in path
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if !dir.as_os_str().is_empty() && dirs.insert(dir.to_path_buf()) {
                let mut h = header(tar::EntryType::Directory, 0o755, 0, 0);
                tar.append_data(&mut h, dir, std::io::empty()).map_err(io)?;
            }
        }
        // The file's time is the article's own (deterministic): its last change, else its date.
        let mtime = a.article.modified_at.unwrap_or(a.article.published_at);
        let mut h = header(tar::EntryType::Regular, 0o644, contents.len() as u64, mtime);
        tar.append_data(&mut h, &path, contents.as_bytes())
            .map_err(io)?;
        tick();
        Ok(())
    })?;
    let gz = tar.into_inner().map_err(io)?;
    let mut out = gz.finish().map_err(io)?;
    out.flush().and_then(|()| out.sync_all()).map_err(io)?;
    let mut summary = ExportSummary {
        articles,
        archive: true,
        ..ExportSummary::default()
    };
    if same_bytes(tmp.path(), file).unwrap_or(false) {
        summary.unchanged = 1;
    } else {
        tmp.persist(file).map_err(|e| Error::io(file, e.error))?;
        summary.written = 1;
    }
    Ok(summary)
}

fn warn_removed(removed: usize) {
    if removed > 0 {
        tracing::warn!("removed {removed} temporary files left by an interrupted run");
    }
}

/// A tar header with no owner names and fixed ids, so archives depend only on their content.
fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: i64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(u64::try_from(mtime).unwrap_or(0));
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// True when the two files hold the same bytes (false when `b` does not exist).
fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (fa, fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (BufReader::new(fa), BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// Parses a `--since`/`--until` bound as Unix seconds (UTC): `YYYY-MM-DD` (the day's first
/// second, or with `end_of_day` its last), `YYYY-MM-DD HH:MM:SS`, or RFC 3339 with a zone.
pub fn parse_bound(s: &str, end_of_day: bool) -> std::result::Result<i64, String> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let time = if end_of_day {
            d.and_hms_opt(23, 59, 59)
        } else {
            d.and_hms_opt(0, 0, 0)
        };
        return time
            .map(|t| t.and_utc().timestamp())
            .ok_or_else(|| format!("`{s}`: not a valid date"));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc().timestamp());
        }
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .map_err(|_| format!("`{s}`: use YYYY-MM-DD, `YYYY-MM-DD HH:MM:SS` (UTC) or RFC 3339"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(parse_bound("2025-02-14", false), Ok(1_739_491_200));
        assert_eq!(parse_bound("2025-02-14", true), Ok(1_739_491_200 + 86_399));
        assert_eq!(parse_bound("2025-02-14 00:31:02", true), Ok(1_739_493_062));
        assert_eq!(
            parse_bound("2025-02-14T01:31:02+01:00", false),
            Ok(1_739_493_062)
        );
        assert!(
            parse_bound("14/02/2025", false)
                .unwrap_err()
                .contains("14/02/2025")
        );
    }

    #[test]
    fn summary_says_when_nothing_changed() {
        let s = ExportSummary {
            articles: 3,
            unchanged: 3,
            ..ExportSummary::default()
        };
        assert_eq!(
            s.to_string(),
            "exported articles: 3; files written: 0; unchanged: 3; nothing changed"
        );
    }
}
