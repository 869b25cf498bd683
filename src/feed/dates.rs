//! Reads the date strings feeds really carry: RFC 822 with named or no zones, ISO 8601 variants, RFC 850, ANSIC, `March 14, 2021`, W3C-DTF partial dates.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// The instant `raw` names, in UTC; `None` when it cannot be read. A missing zone is UTC,
/// a missing time is midnight, a missing day or month is the first.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    iso(s).or_else(|| worded(s))
}

/// ISO 8601 / RFC 3339 / W3C-DTF: `2004-01-05T10:00:00Z`, `2004-01-05 10:00`,
/// `2004-01-05T10:00Z`, `2004-01`, `2004`, `20040105T100000Z`.
fn iso(s: &str) -> Option<DateTime<Utc>> {
    let (date_part, rest) = split_date(s)?;
    let date = iso_date(date_part)?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(date.and_time(NaiveTime::MIN).and_utc());
    }
    let zone_at = rest
        .find(['Z', 'z', '+', '-'])
        .or_else(|| rest.find(' '))
        .unwrap_or(rest.len());
    let time = clock(&rest[..zone_at])?;
    let offset = zone(rest[zone_at..].trim())?;
    local(date.and_time(time), offset)
}

/// The date at the start of `s` (up to `T` or a space) and what follows.
fn split_date(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let end = s.find(['T', 't', ' ']).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

fn iso_date(d: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = d.split('-').collect();
    let num = |p: &str| p.parse::<u32>().ok();
    match parts.as_slice() {
        [compact] if compact.len() == 8 => NaiveDate::parse_from_str(compact, "%Y%m%d").ok(),
        [y] if y.len() == 4 => NaiveDate::from_ymd_opt(y.parse().ok()?, 1, 1),
        [y, m] if y.len() == 4 => NaiveDate::from_ymd_opt(y.parse().ok()?, num(m)?, 1),
        [y, m, day] if y.len() == 4 => NaiveDate::from_ymd_opt(y.parse().ok()?, num(m)?, num(day)?),
        _ => None,
    }
}

/// `10:00`, `10:00:05`, `10:00:05.123`, `100005`.
fn clock(t: &str) -> Option<NaiveTime> {
    let t = t.trim();
    let t = t.split(['.', ',']).next()?;
    let parts: Vec<&str> = if t.contains(':') {
        t.split(':').collect()
    } else if (t.len() == 6 || t.len() == 4) && t.bytes().all(|b| b.is_ascii_digit()) {
        vec![&t[..2], &t[2..4], t.get(4..).unwrap_or("0")]
    } else {
        return None;
    };
    let n = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u32>().ok());
    let (h, m, sec) = (n(0)?, n(1)?, n(2)?);
    // A leap second (23:59:60) is read as the last second.
    NaiveTime::from_hms_opt(h, m, sec.min(59))
}

/// A zone: empty (UTC), `Z`, `+01:00`, `+0100`, `+01`, or a name ([`named_zone`]).
fn zone(z: &str) -> Option<i32> {
    let z = z.trim();
    if z.is_empty() || z.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    if let Some(sign) = z
        .strip_prefix('+')
        .map(|r| (1, r))
        .or(z.strip_prefix('-').map(|r| (-1, r)))
    {
        let digits: String = sign.1.chars().filter(char::is_ascii_digit).collect();
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            3 | 4 => {
                let split = digits.len() - 2;
                (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
            }
            _ => return None,
        };
        return (h <= 14 && m < 60).then_some(sign.0 * (h * 3600 + m * 60));
    }
    named_zone(z)
}

/// Offsets of the zone names feeds use (US, European, Asian, Australian), in seconds.
fn named_zone(name: &str) -> Option<i32> {
    let hours: f32 = match name.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" | "WET" => 0.0,
        "EST" | "CDT" => -5.0,
        "EDT" | "AST" => -4.0,
        "CST" | "MDT" => -6.0,
        "MST" | "PDT" | "AKDT" => -7.0,
        "PST" => -8.0,
        "AKST" => -9.0,
        "HST" => -10.0,
        "ADT" => -3.0,
        "NST" => -3.5,
        "BST" | "CET" | "MET" | "WEST" => 1.0,
        "CEST" | "MEST" | "EET" | "SAST" => 2.0,
        "EEST" | "MSK" => 3.0,
        "IST" => 5.5,
        "SGT" | "HKT" | "AWST" => 8.0,
        "JST" | "KST" => 9.0,
        "ACST" => 9.5,
        "AEST" => 10.0,
        "ACDT" => 10.5,
        "AEDT" => 11.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        _ => return None,
    };
    Some((hours * 3600.0) as i32)
}

fn local(naive: NaiveDateTime, offset: i32) -> Option<DateTime<Utc>> {
    let zone = FixedOffset::east_opt(offset)?;
    zone.from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Dates with a month name: RFC 822/2822 (`Sun, 14 Mar 2021 10:00:00 CET`), RFC 850
/// (`Sunday, 14-Mar-21 10:00:00 GMT`), ANSIC (`Sun Mar 14 10:00:00 2021`),
/// `March 14, 2021`. Tokens are read by their shape, so their order may vary.
fn worded(s: &str) -> Option<DateTime<Utc>> {
    let (mut day, mut month, mut year, mut time, mut offset) = (None, None, None, None, None);
    let tokens = s
        .split([' ', ',', '\t'])
        .flat_map(|t| {
            // `14-Mar-21` (RFC 850) is three tokens; `+0100` and `-05:00` are one.
            if t.starts_with(['+', '-']) {
                vec![t]
            } else {
                t.split('-').collect()
            }
        })
        .filter(|t| !t.is_empty());
    for t in tokens {
        if t.contains(':') && time.is_none() && t.starts_with(|c: char| c.is_ascii_digit()) {
            time = Some(clock(t)?);
        } else if let Some(m) = month_number(t) {
            month = Some(m);
        } else if let Some(n) = number(t) {
            if day.is_none() && (1..=31).contains(&n) && t.len() <= 2 {
                day = Some(n as u32);
            } else if year.is_none() {
                year = Some(full_year(n, t.len()));
            } else {
                return None;
            }
        } else if let Some(z) = zone(t) {
            offset = Some(z);
        } else if !is_weekday(t) {
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day.unwrap_or(1))?;
    local(
        date.and_time(time.unwrap_or(NaiveTime::MIN)),
        offset.unwrap_or(0),
    )
}

/// A token of digits only (`+0530` is a zone, not a number).
fn number(t: &str) -> Option<i32> {
    let t = t.trim_end_matches('.');
    let digits = !t.is_empty() && t.len() <= 4 && t.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| t.parse().ok()).flatten()
}

/// Two-digit years: 00–49 are 2000–2049, 50–99 are 1950–1999 (RFC 2822 §4.3).
fn full_year(n: i32, digits: usize) -> i32 {
    match (digits, n) {
        (1 | 2, 0..=49) => 2000 + n,
        (1 | 2, _) => 1900 + n,
        _ => n,
    }
}

fn month_number(t: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let t = t.trim_end_matches('.').to_ascii_lowercase();
    if t.len() < 3 {
        return None;
    }
    let at = MONTHS.iter().position(|m| t.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (t.len() == 3 || full[at].starts_with(&t) || t == "sept").then_some(at as u32 + 1)
}

fn is_weekday(t: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let t = t.trim_end_matches('.').to_ascii_lowercase();
    t.len() >= 3 && DAYS.iter().any(|d| t.starts_with(d))
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    fn utc(s: &str) -> String {
        parse_date(s).map_or_else(
            || "none".into(),
            |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        )
    }

    #[test]
    fn rfc822_with_named_and_missing_zones() {
        assert_eq!(utc("Sun, 14 Mar 2021 10:00:00 CET"), "2021-03-14T09:00:00Z");
        assert_eq!(
            utc("Sun, 14 Mar 2021 10:00:00 CEST"),
            "2021-03-14T08:00:00Z"
        );
        assert_eq!(utc("Sun, 14 Mar 2021 10:00:00 IST"), "2021-03-14T04:30:00Z");
        assert_eq!(utc("Sun, 14 Mar 2021 10:00:00 EDT"), "2021-03-14T14:00:00Z");
        assert_eq!(
            utc("Sun, 14 Mar 2021 10:00:00 AEST"),
            "2021-03-14T00:00:00Z"
        );
        assert_eq!(utc("Sun, 14 Mar 2021 10:00:00"), "2021-03-14T10:00:00Z");
        assert_eq!(utc("14 Mar 2021 10:00 +0530"), "2021-03-14T04:30:00Z");
        assert_eq!(utc("Thu, 01 Jan 04 19:48:21 GMT"), "2004-01-01T19:48:21Z");
    }

    #[test]
    fn iso_variants() {
        assert_eq!(utc("2021-03-14 10:00:00"), "2021-03-14T10:00:00Z");
        assert_eq!(utc("2021-03-14T10:00"), "2021-03-14T10:00:00Z");
        assert_eq!(utc("2021-03-14T10:00Z"), "2021-03-14T10:00:00Z");
        assert_eq!(utc("2021-03-14T10:00:00.5+01:00"), "2021-03-14T09:00:00Z");
        assert_eq!(utc("2021-03-14T10:00:00-0500"), "2021-03-14T15:00:00Z");
        assert_eq!(utc("2021-03-14"), "2021-03-14T00:00:00Z");
        assert_eq!(utc("2021-03"), "2021-03-01T00:00:00Z");
        assert_eq!(utc("2021"), "2021-01-01T00:00:00Z");
    }

    #[test]
    fn rfc850_ansic_and_words() {
        assert_eq!(
            utc("Sunday, 14-Mar-21 10:00:00 GMT"),
            "2021-03-14T10:00:00Z"
        );
        assert_eq!(utc("Sun Mar 14 10:00:00 2021"), "2021-03-14T10:00:00Z");
        assert_eq!(utc("Sun Mar  4 10:00:00 2021"), "2021-03-04T10:00:00Z");
        assert_eq!(utc("March 14, 2021"), "2021-03-14T00:00:00Z");
        assert_eq!(utc("14 March 2021"), "2021-03-14T00:00:00Z");
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_read_or_refused_without_panic(s in "\\PC{0,40}", t in "[0-9 :TZ+a-zA-Z,.-]{0,30}") {
            let _ = parse_date(&s);
            let _ = parse_date(&t);
        }
    }

    #[test]
    fn nonsense_is_none() {
        for s in [
            "",
            "yesterday",
            "2021-13-01",
            "Sun, 32 Mar 2021",
            "not a date 12",
        ] {
            assert_eq!(utc(s), "none", "{s}");
        }
    }
}
