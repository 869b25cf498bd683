//! Getting started outside the checkout: the config lookup order and `feedmark init`, run as
//! a user would, with HOME and the XDG folders in temporary folders.

mod common;

use std::path::{Path, PathBuf};

use common::RunResult;

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
