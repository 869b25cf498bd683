//! `feedmark init`: writes a commented starter config where the lookup will find it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::config::locate::Env;
use crate::error::{Error, Result};

use super::Output;

/// Writes the starter config to `explicit` (`--config`) or the user's config file, with the
/// database and output under the user's data folder; an existing file is left untouched
/// and refused. The output says where it wrote and what to run next.
pub fn run(explicit: Option<&Path>) -> Result<Output> {
    write_starter(explicit, &Env::from_process())
}

/// [`run`] with the environment given, for tests.
pub fn write_starter(explicit: Option<&Path>, env: &Env) -> Result<Output> {
    let target = match explicit {
        Some(path) => path.to_path_buf(),
        None => env.user_config().ok_or_else(|| {
            Error::Usage("neither XDG_CONFIG_HOME nor HOME is set: give --config PATH".into())
        })?,
    };
    let data = env.user_data().ok_or_else(|| {
        Error::Usage("neither XDG_DATA_HOME nor HOME is set: cannot place the database".into())
    })?;
    let text = starter(&data)?;
    create_new(&target, &text)?;
    // The next command must find this file: name it unless the lookup will.
    let feedmark = match explicit {
        Some(path) => format!("feedmark --config {}", path.display()),
        None => "feedmark".to_string(),
    };
    Ok(Output::done(format!(
        "wrote {}\ndatabase and articles will go under {}\n\
         next: `{feedmark} fetch` polls the example feed (The Hill, defense);\n      \
         `{feedmark} feeds add URL` adds yours, `{feedmark} feeds remove thehill` drops it\n",
        target.display(),
        data.display()
    )))
}

/// Creates `path` (and its folder) holding `text`; fails, changing nothing, when it exists.
fn create_new(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // create_new: an existing file (or one made meanwhile) is never truncated.
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Usage(format!(
                "{} already exists; init never overwrites a config: edit it, or move it \
                 away and run init again",
                path.display()
            )));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// The starter config, its database and output folder under `data` (absolute paths, so
/// that they do not depend on where the config file lives).
pub fn starter(data: &Path) -> Result<String> {
    let quoted = |p: PathBuf| -> Result<String> {
        let s = p.to_str().ok_or_else(|| {
            Error::Usage(format!(
                "{} is not valid UTF-8: set XDG_DATA_HOME",
                p.display()
            ))
        })?;
        Ok(toml_edit::Value::from(s).to_string())
    };
    Ok(STARTER
        .replace("@DATABASE@", &quoted(data.join("feedmark.db"))?)
        .replace("@OUTPUT_DIR@", &quoted(data.join("content").join("posts"))?))
}

/// The starter config; `@DATABASE@` and `@OUTPUT_DIR@` become quoted absolute paths.
const STARTER: &str = r#"# feedmark configuration, written by `feedmark init`.
# These are the essentials; config/example.toml in feedmark's source documents every key
# with its default. Unknown keys are an error that names the key and its line.

# SQLite database: articles, feeds' state and downloaded pages.
database = @DATABASE@

# Folder that receives one Markdown file per article (point a Hugo site's content/posts here,
# or copy it there with `feedmark export --out`).
output_dir = @OUTPUT_DIR@

# Where each article's file goes under output_dir.
path_template = "{feed}/{yyyy}/{mm}/{slug}.md"

[http]
# Refuse feeds and pages on loopback, private or link-local addresses (also after redirects).
# Set to true only to poll a server on this machine or your network.
allow_private_networks = false

# The `feedmark run` daemon.
[daemon]
# Schedule of feeds without their own `schedule`: a 5-field cron line or @hourly, @daily...
default_schedule = "*/30 * * * *"
# IANA time zone in which schedules are read.
timezone = "UTC"

# Values written into every file's front matter (Mainroad theme parameters).
[hugo]
# Language when neither the feed's `lang` nor the feed itself gives one.
lang = "en"

# One [[feeds]] table per feed. `feedmark feeds add URL` appends one (comments are kept),
# `feedmark feeds remove NAME` removes one, `feedmark import-opml FILE` adds many.
[[feeds]]
# Short name: letters, digits, '-', '_' or '.'; the category, tag and source-link text.
name = "thehill"
# Feed URL: RSS, Atom or JSON Feed, http or https.
url = "https://thehill.com/policy/defense/feed/"
# Optional: language for front matter (else the feed's own, else hugo.lang).
lang = "en"
# Optional: when the daemon polls this feed (else daemon.default_schedule).
schedule = "*/30 * * * *"
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_starter_parses_with_absolute_paths() {
        let data = Path::new("/data/it's \"here\"/feedmark");
        let text = starter(data).unwrap();
        let config = Config::parse(&text, Path::new("/elsewhere")).unwrap();
        assert_eq!(config.database, data.join("feedmark.db"));
        assert_eq!(config.output_dir, data.join("content/posts"));
        assert_eq!(config.feeds.len(), 1);
        assert!(!config.http.allow_private_networks);
    }

    #[test]
    fn init_refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            home: Some(dir.path().into()),
            ..Env::default()
        };
        let out = write_starter(None, &env).unwrap().text;
        let path = dir.path().join(".config/feedmark/feedmark.toml");
        assert!(
            out.starts_with(&format!("wrote {}\n", path.display())),
            "{out}"
        );
        std::fs::write(&path, "# mine\n").unwrap();
        let err = write_starter(None, &env).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    }
}
