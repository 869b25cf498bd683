//! "Did you mean": the configured name nearest to a mistyped one, for error messages.

use crate::config::Config;
use crate::error::Error;

/// The error for `--feed NAME` naming no configured feed: it names the config file, lists
/// the feeds and suggests the nearest name, so a typo is fixed without opening the file.
pub fn unknown_feed(config: &Config, name: &str) -> Error {
    let names: Vec<&str> = config.feeds.iter().map(|f| f.name.as_str()).collect();
    let mut message = format!("no feed named `{name}`");
    if names.is_empty() {
        message.push_str("; it configures no feeds (add one with `feedmark feeds add URL`)");
        return config.error(message);
    }
    if let Some(near) = nearest(name, &names) {
        message.push_str(&format!("; did you mean `{near}`?"));
    }
    message.push_str(&format!(" Configured feeds: {}", names.join(", ")));
    config.error(message)
}

/// The candidate closest to `word` by edit distance, if close enough to be a typo: at most
/// a third of the longer name's characters differ (and at least one edit is allowed).
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= (word.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters: insertions, deletions and substitutions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("thehill", "thehill"), 0);
        assert_eq!(edit_distance("thehil", "thehill"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn nearest_suggests_only_a_plausible_typo() {
        let names = ["thehill-defense", "thehill-news", "bbc"];
        assert_eq!(nearest("thehill-new", &names), Some("thehill-news"));
        assert_eq!(nearest("BBC", &names), Some("bbc"));
        assert_eq!(nearest("nytimes", &names), None);
    }
}
