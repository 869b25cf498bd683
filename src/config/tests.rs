//! Tests of loading and checking the config file.

use super::*;

#[test]
fn unknown_key_names_key_and_line() {
    let err = Config::parse(
        "database = \"x.db\"\n\n[http]\nallow_privat = true\n",
        Path::new("/c"),
    )
    .unwrap_err();
    assert!(err.contains("allow_privat"), "{err}");
    assert!(err.contains("line 4"), "{err}");
}

#[test]
fn relative_paths_follow_the_config_folder() {
    let c = Config::parse("database = \"d/f.db\"\n", Path::new("/etc/feedmark")).unwrap();
    assert_eq!(c.database, PathBuf::from("/etc/feedmark/d/f.db"));
    assert_eq!(
        c.output_dir,
        PathBuf::from("/etc/feedmark/data/content/posts")
    );
    let c = Config::parse("database = \"/var/f.db\"\n", Path::new("/etc")).unwrap();
    assert_eq!(c.database, PathBuf::from("/var/f.db"));
}

#[test]
fn rejects_bad_feed_names_and_urls() {
    let bad = |s: &str| Config::parse(s, Path::new(".")).unwrap_err();
    assert!(bad("[[feeds]]\nname = \"../x\"\nurl = \"https://a/\"\n").contains("../x"));
    assert!(bad("[[feeds]]\nname = \"a\"\nurl = \"ftp://a/\"\n").contains("http"));
    assert!(bad("[[feeds]]\nname = \"a\"\nurl = \"https://a/\"\n[[feeds]]\nname = \"a\"\nurl = \"https://b/\"\n").contains("twice"));
}

#[test]
fn rejects_bad_schedules_and_zones() {
    let bad = |s: &str| Config::parse(s, Path::new(".")).unwrap_err();
    let feed = "[[feeds]]\nname = \"a\"\nurl = \"https://a/\"\nschedule = \"61 * * * *\"\n";
    assert!(
        bad(feed).contains("feed `a`: schedule `61 * * * *`"),
        "{}",
        bad(feed)
    );
    assert!(bad("[daemon]\ntimezone = \"Nowhere/Land\"\n").contains("timezone"));
    assert!(bad("[daemon]\ndefault_schedule = \"@sometimes\"\n").contains("default_schedule"));
    let ok = Config::parse("[daemon]\ndefault_schedule = \"@hourly\"\n", Path::new(".")).unwrap();
    assert_eq!(ok.daemon.default_schedule, "@hourly");
}

#[test]
fn layout_and_update_keys() {
    let c = Config::parse(
        "path_template = \"{name}.md\"\nupdate = \"keep\"\n[[feeds]]\nname = \"a\"\nurl = \"https://a/\"\nupdate = \"rewrite\"\n",
        Path::new("."),
    )
    .unwrap();
    assert_eq!(c.path_template.to_string(), "{name}.md");
    assert_eq!(c.update, UpdatePolicy::Keep);
    assert_eq!(c.update_policy(&c.feeds[0]), UpdatePolicy::Rewrite);
    let d = Config::parse("", Path::new(".")).unwrap();
    assert_eq!(d.path_template.to_string(), DEFAULT_TEMPLATE);
    assert_eq!(d.update, UpdatePolicy::Rewrite);
    let err = Config::parse("\n\npath_template = \"../{slug}.md\"\n", Path::new(".")).unwrap_err();
    assert!(
        err.contains("line 3") && err.contains("../{slug}.md"),
        "{err}"
    );
    assert!(Config::parse("update = \"sometimes\"\n", Path::new(".")).is_err());
}

#[test]
fn rules_dir_files_load_after_config_rules_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.d");
    std::fs::create_dir(&rules).unwrap();
    let rule = |name: &str, body: &str| {
        format!("[[rules]]\nname = \"{name}\"\nhosts = [\"{name}.com\"]\nbody = [\"{body}\"]\n")
    };
    std::fs::write(rules.join("b.toml"), rule("b", "main")).unwrap();
    std::fs::write(rules.join("a.toml"), rule("a", "article")).unwrap();
    std::fs::write(rules.join("notes.txt"), "not a rule").unwrap();
    let text = format!("rules_dir = \"rules.d\"\n{}", rule("c", "div"));
    let c = Config::parse(&text, dir.path()).unwrap();
    let names: Vec<String> = c.all_rules().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["c", "a", "b"]);
    std::fs::write(rules.join("z.toml"), rule("z", "div[")).unwrap();
    let err = Config::parse(&text, dir.path()).unwrap_err();
    assert!(err.contains("z.toml") && err.contains("div["), "{err}");
    let missing = Config::parse("rules_dir = \"nope\"\n", dir.path()).unwrap_err();
    assert!(missing.contains("nope"), "{missing}");
}

#[test]
fn thumbnail_is_global_with_per_feed_override() {
    let text = "thumbnail = \"page\"\n[[feeds]]\nname = \"a\"\nurl = \"https://a/\"\n\
                [[feeds]]\nname = \"b\"\nurl = \"https://b/\"\nthumbnail = \"feed\"\n";
    let c = Config::parse(text, Path::new(".")).unwrap();
    assert_eq!(c.thumbnail_for(&c.feeds[0]), Thumbnail::Page);
    assert_eq!(c.thumbnail_for(&c.feeds[1]), Thumbnail::Feed);
    let d = Config::parse("", Path::new(".")).unwrap();
    assert_eq!(d.thumbnail, Thumbnail::None);
    let bad = Config::parse("thumbnail = \"og\"\n", Path::new(".")).unwrap_err();
    assert!(bad.contains("og"), "{bad}");
}

#[test]
fn shipped_configs_parse() {
    for file in ["config/example.toml", "config/feedmark.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.feeds.is_empty(), "{file} has feeds");
    }
    // The Debian package's default: absolute state paths, no feeds yet.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/deb/feedmark.toml");
    let c = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.database, PathBuf::from("/var/lib/feedmark/feedmark.db"));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    let c = Config::load(&path).unwrap();
    let f = &c.feeds[0];
    assert_eq!((f.keep.len(), f.block.len()), (2, 2));
    assert_eq!(f.max_age.as_deref(), Some("90d"));
}

#[test]
fn errors_name_the_config_file_not_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedmark.toml");
    std::fs::write(&path, "").unwrap();
    let c = Config::load(&path).unwrap();
    assert_eq!(c.file, path);
    let shown = c.error("no feed named `x`").to_string();
    assert_eq!(
        shown,
        format!("config {}: no feed named `x`", path.display())
    );
}

#[test]
fn rules_dir_is_read_once_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.d");
    std::fs::create_dir(&rules).unwrap();
    let rule = "[[rules]]\nname = \"a\"\nhosts = [\"a.com\"]\nbody = [\"main\"]\n";
    std::fs::write(rules.join("a.toml"), rule).unwrap();
    let c = Config::parse("rules_dir = \"rules.d\"\n", dir.path()).unwrap();
    // Once loaded, the rules no longer depend on the folder: nothing reads it again.
    std::fs::remove_dir_all(&rules).unwrap();
    let names: Vec<String> = c.all_rules().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["a"]);
}

#[test]
fn bad_filters_are_refused_on_load_naming_feed_and_key() {
    let text = "[[feeds]]\nname = \"f\"\nurl = \"https://a/\"\n[[feeds.keep]]\ntitle = \"(x\"\n";
    let err = Config::parse(text, Path::new(".")).unwrap_err();
    assert!(err.starts_with("feed `f`: keep[0]: title `(x`"), "{err}");
    let text = "[[feeds]]\nname = \"f\"\nurl = \"https://a/\"\nmax_age = \"soon\"\n";
    let err = Config::parse(text, Path::new(".")).unwrap_err();
    assert!(err.starts_with("feed `f`: max_age:"), "{err}");
}

/// Config is a leaf: it names no module of the crate but `error`, so that every stage may
/// depend on it and nothing closes a circle through it.
#[test]
fn config_names_no_other_module_of_the_crate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
    // Built from parts so that this file passes its own check.
    let (prefix, allowed) = (["crate", "::"].concat(), ["crate", "::error"].concat());
    let up_twice = ["super", "::super"].concat();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let rest = line.replace(&allowed, "");
            assert!(
                !rest.contains(&prefix) && !rest.contains(&up_twice),
                "{}:{}: {line}",
                path.display(),
                n + 1
            );
        }
    }
}
