//! Getting started outside the checkout: the config lookup order and `feedmark init`, run as
//! a user would, with HOME and the XDG folders in temporary folders.

mod common;

use std::path::{Path, PathBuf};

use common::{Route, RunResult, Server};

/// A user's world: an empty HOME, XDG folders inside it, and an empty current folder.
struct Home {
    home: tempfile::TempDir,
    cwd: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            home: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
        }
    }

    fn config_home(&self) -> PathBuf {
        self.home.path().join("xdg-config")
    }

    fn data_home(&self) -> PathBuf {
        self.home.path().join("xdg-data")
    }

    /// Where `init` writes and the lookup's step 4 looks.
    fn user_config(&self) -> PathBuf {
        self.config_home().join("feedmark/feedmark.toml")
    }

    /// `feedmark ARGS` in the empty current folder, with no --config and no FEEDMARK_CONFIG.
    fn run(&self, args: &[&str]) -> RunResult {
        RunResult::of(
            common::feedmark_bare()
                .current_dir(self.cwd.path())
                .env("HOME", self.home.path())
                .env("XDG_CONFIG_HOME", self.config_home())
                .env("XDG_DATA_HOME", self.data_home())
                .args(args),
        )
    }

    /// [`Home::run`] with the XDG variables unset: only HOME says where things go.
    fn run_plain(&self, args: &[&str]) -> RunResult {
        RunResult::of(
            common::feedmark_bare()
                .current_dir(self.cwd.path())
                .env("HOME", self.home.path())
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("XDG_DATA_HOME")
                .args(args),
        )
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn no_config_anywhere_lists_the_places_and_suggests_init() {
    if Path::new("/etc/feedmark/feedmark.toml").exists() {
        eprintln!("skipped: this machine has /etc/feedmark/feedmark.toml, the lookup's last step");
        return;
    }
    let home = Home::new();
    let run = home.run(&["status"]);
    assert!(!run.ok, "{run}");
    let user = home.user_config().display().to_string();
    for part in [
        "no config file found",
        "--config",
        "FEEDMARK_CONFIG",
        "config/feedmark.toml (in the current folder)",
        user.as_str(),
        "/etc/feedmark/feedmark.toml",
        "feedmark init",
    ] {
        assert!(run.stderr.contains(part), "{part}: {run}");
    }
}

#[test]
fn the_user_config_is_found_and_the_current_folder_wins_over_it() {
    let home = Home::new();
    write(
        &home.user_config(),
        "[[feeds]]\nname = \"user\"\nurl = \"https://user.example/feed\"\n",
    );
    let run = home.run(&["feeds", "list"]);
    assert!(run.ok, "{run}");
    assert_eq!(run.stdout, "user\thttps://user.example/feed\n");

    write(
        &home.cwd.path().join("config/feedmark.toml"),
        "[[feeds]]\nname = \"here\"\nurl = \"https://here.example/feed\"\n",
    );
    let run = home.run(&["feeds", "list"]);
    assert_eq!(run.stdout, "here\thttps://here.example/feed\n", "{run}");

    // FEEDMARK_CONFIG wins over both; --config over it.
    let env_config = home.home.path().join("env.toml");
    write(&env_config, "");
    let flag_config = home.home.path().join("flag.toml");
    write(
        &flag_config,
        "[[feeds]]\nname = \"flag\"\nurl = \"https://flag.example/feed\"\n",
    );
    let run = RunResult::of(
        common::feedmark_bare()
            .current_dir(home.cwd.path())
            .env("XDG_CONFIG_HOME", home.config_home())
            .env("FEEDMARK_CONFIG", &env_config)
            .args(["feeds", "list"]),
    );
    assert!(run.ok && run.stdout.is_empty(), "{run}");
    let run = RunResult::of(
        common::feedmark_bare()
            .current_dir(home.cwd.path())
            .env("FEEDMARK_CONFIG", &env_config)
            .arg("--config")
            .arg(&flag_config)
            .args(["feeds", "list"]),
    );
    assert_eq!(run.stdout, "flag\thttps://flag.example/feed\n", "{run}");
}

#[test]
fn extract_and_man_need_no_config() {
    let home = Home::new();
    let page = common::fixture("thehill/hegseth.html");
    let run = home.run(&[
        "extract",
        "--url",
        "https://thehill.com/policy/defense/5143068-hegseth-us-ukraine-russia/",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert!(run.ok && run.stdout.contains("Hegseth"), "{run}");
    let run = home.run(&["man"]);
    assert!(run.ok, "{run}");
}

#[test]
fn init_writes_the_user_config_and_status_then_finds_it() {
    let home = Home::new();
    let run = home.run(&["init"]);
    assert!(run.ok, "{run}");
    let path = home.user_config();
    assert!(
        run.stdout
            .starts_with(&format!("wrote {}\n", path.display())),
        "{run}"
    );
    assert!(run.stdout.contains("next: `feedmark fetch`"), "{run}");
    let config = feedmark::Config::load(&path).unwrap();
    let data = home.data_home().join("feedmark");
    assert_eq!(config.database, data.join("feedmark.db"));
    assert_eq!(config.output_dir, data.join("content/posts"));
    assert_eq!(config.feeds.len(), 1, "one example feed");

    let status = home.run(&["status"]);
    assert!(status.ok, "{status}");
    assert!(status.stdout.contains("thehill"), "{status}");
}

#[test]
fn init_refuses_to_overwrite_a_config() {
    let home = Home::new();
    write(&home.user_config(), "# mine\n");
    let run = home.run(&["init"]);
    assert!(!run.ok, "{run}");
    assert!(run.stderr.contains("already exists"), "{run}");
    assert_eq!(
        std::fs::read_to_string(home.user_config()).unwrap(),
        "# mine\n"
    );
    // --config names another file: that one is written, and the next command names it.
    let other = home.home.path().join("other/feedmark.toml");
    let run = home.run(&["--config", other.to_str().unwrap(), "init"]);
    assert!(run.ok, "{run}");
    assert!(
        run.stdout
            .contains(&format!("`feedmark --config {} fetch`", other.display())),
        "{run}"
    );
    let again = home.run(&["--config", other.to_str().unwrap(), "init"]);
    assert!(
        !again.ok && again.stderr.contains("already exists"),
        "{again}"
    );
}

#[test]
fn feeds_add_without_a_config_says_to_run_init() {
    let home = Home::new();
    let run = home.run(&["feeds", "add", "https://example.org/feed"]);
    assert!(!run.ok, "{run}");
    assert!(run.stderr.contains("feedmark init"), "{run}");
    assert_eq!(run.stderr.matches("error").count(), 1, "said once: {run}");
    assert!(!home.cwd.path().join("config").exists());
}

#[test]
fn feeds_add_to_a_named_config_that_does_not_exist_says_to_run_init() {
    let home = Home::new();
    let run = home.run(&[
        "--config",
        "config/feedmark.toml",
        "feeds",
        "add",
        "https://example.org/feed",
    ]);
    assert!(!run.ok, "{run}");
    assert!(
        run.stderr
            .contains("run `feedmark --config config/feedmark.toml init`"),
        "{run}"
    );
    assert!(
        !run.stderr.contains(".tmp"),
        "no temporary file name: {run}"
    );
    assert_eq!(run.stderr.matches("os error").count(), 0, "{run}");
    assert!(!home.cwd.path().join("config").exists());
}

#[test]
fn init_feeds_add_and_fetch_land_under_the_default_data_folder() {
    let server = Server::start();
    server.route(
        "/feed.xml",
        Route::ok(
            "application/rss+xml",
            common::rss(&server.base, &[("one", "First story")]),
        ),
    );
    let page = "<html><body><article><p>The first story, long enough to be taken for the \
        article text by the extractor, and then a few more words.</p></article></body></html>";
    server.route("/a/one", Route::ok("text/html", page));

    let home = Home::new();
    let run = home.run_plain(&["init"]);
    assert!(run.ok, "{run}");
    let config = home.home.path().join(".config/feedmark/feedmark.toml");
    // The example feed is on the internet: drop it, and allow the loopback server.
    let run = home.run_plain(&["feeds", "remove", "thehill"]);
    assert!(run.ok, "{run}");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace(
        "allow_private_networks = false",
        "allow_private_networks = true",
    );
    std::fs::write(&config, text).unwrap();
    let url = server.url("/feed.xml");
    let run = home.run_plain(&["feeds", "add", &url, "--name", "local"]);
    assert!(run.ok, "{run}");
    let run = home.run_plain(&["fetch"]);
    assert!(run.ok, "{run}");

    let data = home.home.path().join(".local/share/feedmark");
    assert!(data.join("feedmark.db").is_file());
    let posts = common::posts(&data.join("content/posts"));
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].starts_with(data.join("content/posts/local")),
        "{posts:?}"
    );
    assert_eq!(
        std::fs::read_dir(home.cwd.path()).unwrap().count(),
        0,
        "nothing in the current folder"
    );
}
