//! Shell completions and man pages, rendered from the clap definitions in `args.rs`.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::args::Cli;

/// The main page's FILES, ENVIRONMENT and EXIT STATUS sections (roff), which clap's
/// definitions cannot express.
const EXTRA_SECTIONS: &str = r#".SH FILES
.TP
\fBconfig/feedmark.toml\fR, \fB$XDG_CONFIG_HOME/feedmark/feedmark.toml\fR, \fB/etc/feedmark/feedmark.toml\fR
Where the configuration file is looked for, in this order, when neither \fB\-\-config\fR nor
\fBFEEDMARK_CONFIG\fR names one (the first relative to the current folder;
\fBXDG_CONFIG_HOME\fR defaults to \fB~/.config\fR). \fBfeedmark init\fR writes the second.
Relative paths inside a config are relative to its folder.
.TP
\fB$XDG_DATA_HOME/feedmark/\fR
Where \fBfeedmark init\fR puts the database and the Markdown files (default
\fB~/.local/share/feedmark/\fR).
.TP
\fBdata/feedmark.db\fR
The SQLite database when a config sets no \fBdatabase\fR key.
.TP
\fIDATABASE\fR\fB.lock\fR
Beside the database: held by the one process that writes to it (\fBfetch\fR, \fBrun\fR,
\fBreextract\fR), with that process's id inside. \fBstatus\fR says whether it is held.
.TP
\fBdata/content/posts/\fR
The Markdown files when a config sets no \fBoutput_dir\fR key.
.SH ENVIRONMENT
.TP
\fBFEEDMARK_CONFIG\fR
The configuration file, as \fB\-\-config\fR (which wins).
.TP
\fBHOME\fR, \fBXDG_CONFIG_HOME\fR, \fBXDG_DATA_HOME\fR
Where the user's configuration and data live (see FILES).
.TP
\fBFEEDMARK_LOG\fR
A tracing filter for the log lines on stderr. A bare level is feedmark's own
(\fBFEEDMARK_LOG=debug\fR); other crates stay at warn unless named
(\fBFEEDMARK_LOG=debug,reqwest=debug\fR). Default: info (warn while a progress bar shows).
.SH "EXIT STATUS"
.TP
\fB0\fR
Everything asked for was done.
.TP
\fB1\fR
Some of the work failed and the rest was done: a feed could not be polled (\fBfetch\fR);
with \fBstatus \-\-check\fR, a configured feed is failing or dead.
.TP
\fB2\fR
Nothing was done: bad arguments, an invalid configuration, a configuration without feeds,
a feed name that is not configured, or a database held by another feedmark process.
"#;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "feedmark", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page as roff; with `out`, one page per command written there and their paths.
pub fn man(out: Option<&Path>) -> Result<String> {
    let cmd = Cli::command();
    let Some(dir) = out else {
        let page = main_page(cmd)?;
        return Ok(String::from_utf8_lossy(&page).into_owned());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut written = Vec::new();
    let mut pages = vec![("feedmark".to_string(), main_page(cmd.clone())?)];
    for sub in commands(&cmd, "feedmark") {
        let name = sub.get_name().to_string();
        let mut page = Vec::new();
        clap_mangen::Man::new(sub)
            .render(&mut page)
            .with_context(|| format!("rendering {name}.1"))?;
        pages.push((name, page));
    }
    for (name, page) in pages {
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, page).with_context(|| format!("writing {}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written.join("\n") + "\n")
}

/// Every command below `cmd`, nested ones too, renamed `PREFIX-COMMAND` (what `man
/// feedmark-feeds-add` looks for, and what the parent's page refers to).
fn commands(cmd: &clap::Command, prefix: &str) -> Vec<clap::Command> {
    let mut out = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix}-{}", sub.get_name());
        let renamed = sub.clone().name(name.clone());
        out.extend(commands(&renamed, &name));
        out.push(renamed);
    }
    out
}

/// `feedmark.1`: clap's sections, then FILES, ENVIRONMENT and EXIT STATUS before VERSION.
fn main_page(cmd: clap::Command) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    man.render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page))
        .and_then(|()| man.render_subcommands_section(&mut page))
        .context("rendering the man page")?;
    page.extend_from_slice(EXTRA_SECTIONS.as_bytes());
    man.render_version_section(&mut page)
        .context("rendering the man page")?;
    Ok(page)
}
