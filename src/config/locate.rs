//! Finds the configuration file: the documented lookup order, as a pure function of the environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The config file in the current folder (the checkout's, so `cargo run -- fetch` works there).
pub const LOCAL_CONFIG: &str = "config/feedmark.toml";
/// The system-wide config file (the one the Debian package installs).
pub const SYSTEM_CONFIG: &str = "/etc/feedmark/feedmark.toml";

/// The environment variables the lookup and `feedmark init` read.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `FEEDMARK_CONFIG`.
    pub feedmark_config: Option<OsString>,
    /// `XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<OsString>,
    /// `XDG_DATA_HOME`.
    pub xdg_data_home: Option<OsString>,
    /// `HOME`.
    pub home: Option<OsString>,
}

impl Env {
    /// The values of this process's environment.
    pub fn from_process() -> Env {
        Env {
            feedmark_config: std::env::var_os("FEEDMARK_CONFIG"),
            xdg_config_home: std::env::var_os("XDG_CONFIG_HOME"),
            xdg_data_home: std::env::var_os("XDG_DATA_HOME"),
            home: std::env::var_os("HOME"),
        }
    }

    /// The user's config file: `$XDG_CONFIG_HOME/feedmark/feedmark.toml`, by default
    /// `~/.config/feedmark/feedmark.toml`; `None` when neither variable is usable.
    pub fn user_config(&self) -> Option<PathBuf> {
        xdg_dir(self.xdg_config_home.as_ref(), self.home.as_ref(), ".config")
            .map(|d| d.join("feedmark").join("feedmark.toml"))
    }

    /// The user's data folder for feedmark: `$XDG_DATA_HOME/feedmark`, by default
    /// `~/.local/share/feedmark`; `None` when neither variable is usable.
    pub fn user_data(&self) -> Option<PathBuf> {
        xdg_dir(
            self.xdg_data_home.as_ref(),
            self.home.as_ref(),
            ".local/share",
        )
        .map(|d| d.join("feedmark"))
    }
}

/// An XDG base folder: the variable when it holds an absolute path (the specification says
/// to ignore a relative one), else `$HOME/fallback`.
fn xdg_dir(var: Option<&OsString>, home: Option<&OsString>, fallback: &str) -> Option<PathBuf> {
    let absolute = |v: &OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    var.and_then(absolute)
        .or_else(|| home.and_then(absolute).map(|h| h.join(fallback)))
}

/// The config file to use, looked up in this order:
/// 1. `explicit` (`--config`), 2. `FEEDMARK_CONFIG`, whether or not they exist (loading then
///    names the missing file); then the first that exists of 3. `config/feedmark.toml` in the
///    current folder, 4. the user's ([`Env::user_config`]), 5. `/etc/feedmark/feedmark.toml`.
///
/// When none exists, the error lists each place looked and suggests `feedmark init`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    locate_in(explicit, &Env::from_process(), Path::exists)
}

/// [`locate`] for commands that also work without a config (`extract`, `feeds test`):
/// `None` when no config file exists anywhere.
pub fn locate_optional(explicit: Option<&Path>) -> Option<PathBuf> {
    locate(explicit).ok().filter(|p| p.exists())
}

/// [`locate`] with the environment and the file-system test given, for tests.
pub fn locate_in(
    explicit: Option<&Path>,
    env: &Env,
    exists: impl Fn(&Path) -> bool,
) -> Result<PathBuf> {
    let given = explicit
        .map(Path::to_path_buf)
        .or_else(|| env.feedmark_config.as_ref().map(PathBuf::from))
        .filter(|p| !p.as_os_str().is_empty());
    if let Some(path) = given {
        return Ok(path);
    }
    let places = searched(env);
    if let Some(found) = places.iter().find(|p| exists(p)) {
        return Ok(found.clone());
    }
    Err(Error::Usage(not_found_message(&places, env)))
}

/// Steps 3 to 5 of the lookup, the ones that depend on a file existing.
fn searched(env: &Env) -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from(LOCAL_CONFIG)];
    places.extend(env.user_config());
    places.push(PathBuf::from(SYSTEM_CONFIG));
    places
}

fn not_found_message(places: &[PathBuf], env: &Env) -> String {
    let mut text = String::from("no config file found; looked for --config, FEEDMARK_CONFIG");
    for place in places {
        text.push_str(", ");
        text.push_str(&place.display().to_string());
        if place.is_relative() {
            text.push_str(" (in the current folder)");
        }
    }
    text.push_str(". Run `feedmark init` to write a starter config");
    if let Some(user) = env.user_config() {
        text.push_str(&format!(" at {}", user.display()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env {
            feedmark_config: Some("/env/feedmark.toml".into()),
            xdg_config_home: Some("/xdg".into()),
            xdg_data_home: None,
            home: Some("/home/u".into()),
        }
    }

    /// Where the lookup lands when exactly the files in `present` exist.
    fn found(explicit: Option<&str>, env: &Env, present: &[&str]) -> Result<PathBuf> {
        locate_in(explicit.map(Path::new), env, |p| {
            present.iter().any(|q| Path::new(q) == p)
        })
    }

    #[test]
    fn each_step_wins_over_the_later_ones() {
        let all = [LOCAL_CONFIG, "/xdg/feedmark/feedmark.toml", SYSTEM_CONFIG];
        let path = |p: Result<PathBuf>| p.unwrap().display().to_string();
        // 1. --config, even when it does not exist.
        assert_eq!(path(found(Some("/cli.toml"), &env(), &all)), "/cli.toml");
        // 2. FEEDMARK_CONFIG, even when it does not exist.
        assert_eq!(path(found(None, &env(), &all)), "/env/feedmark.toml");
        let no_var = Env {
            feedmark_config: None,
            ..env()
        };
        // 3. The current folder's config/feedmark.toml.
        assert_eq!(path(found(None, &no_var, &all)), LOCAL_CONFIG);
        // 4. $XDG_CONFIG_HOME/feedmark/feedmark.toml.
        assert_eq!(
            path(found(None, &no_var, &all[1..])),
            "/xdg/feedmark/feedmark.toml"
        );
        // 5. /etc/feedmark/feedmark.toml.
        assert_eq!(path(found(None, &no_var, &all[2..])), SYSTEM_CONFIG);
    }

    #[test]
    fn the_user_config_defaults_to_home() {
        for xdg in [None, Some(""), Some("relative/dir")] {
            let e = Env {
                xdg_config_home: xdg.map(OsString::from),
                ..env()
            };
            assert_eq!(
                e.user_config().unwrap(),
                Path::new("/home/u/.config/feedmark/feedmark.toml"),
                "{xdg:?}"
            );
            assert_eq!(
                e.user_data().unwrap(),
                Path::new("/home/u/.local/share/feedmark")
            );
        }
        let none = Env::default();
        assert_eq!(none.user_config(), None);
        assert_eq!(none.user_data(), None);
    }

    #[test]
    fn an_empty_feedmark_config_is_unset() {
        let e = Env {
            feedmark_config: Some(OsString::new()),
            ..env()
        };
        assert_eq!(
            found(None, &e, &[SYSTEM_CONFIG]).unwrap(),
            Path::new(SYSTEM_CONFIG)
        );
    }

    #[test]
    fn nothing_found_lists_each_place_and_suggests_init() {
        let e = Env {
            feedmark_config: None,
            ..env()
        };
        let err = found(None, &e, &[]).unwrap_err().to_string();
        for part in [
            "--config",
            "FEEDMARK_CONFIG",
            "config/feedmark.toml (in the current folder)",
            "/xdg/feedmark/feedmark.toml",
            SYSTEM_CONFIG,
            "Run `feedmark init` to write a starter config at /xdg/feedmark/feedmark.toml",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
    }
}
