//! Cron lines and time zone names as the config gives them, checked on load.

use std::str::FromStr;

use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses a standard 5-field cron line (`*/15 * * * *`, Sunday = 0 or 7) or an alias
/// (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`). Seconds fields are refused:
/// polling a feed more than once a minute is never polite.
pub fn parse_cron(text: &str) -> Result<Cron, String> {
    let trimmed = text.trim();
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .build()
        .parse(trimmed)
        .map_err(|e| format!("schedule `{trimmed}`: {e}"))
}

/// Parses an IANA zone name such as `Europe/Berlin`.
pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name.trim()).map_err(|_| format!("timezone `{name}`: not an IANA zone name"))
}
