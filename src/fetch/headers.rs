//! Response header values that steer polling: `Retry-After` and `Cache-Control: max-age`.

use std::time::{Duration, SystemTime};

/// `Retry-After` as delta-seconds or an HTTP-date (relative to `now`, never negative).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `max-age=N` from a `Cache-Control` value (`s-maxage` is for shared caches, not us).
pub fn parse_max_age(value: &str) -> Option<Duration> {
    value.split(',').find_map(|directive| {
        let (name, arg) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        arg.trim()
            .trim_matches('"')
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now =
            httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("constant date");
        let cases: &[(&str, Option<u64>)] = &[
            ("120", Some(120)),
            (" 0 ", Some(0)),
            ("Wed, 21 Oct 2015 07:30:00 GMT", Some(120)),
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(0)), // in the past: clamp
            ("-5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                want.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }

    #[test]
    fn max_age_directives() {
        let cases: &[(&str, Option<u64>)] = &[
            ("max-age=300", Some(300)),
            ("public, MAX-AGE = 60, must-revalidate", Some(60)),
            ("s-maxage=100, max-age=\"30\"", Some(30)),
            ("s-maxage=100", None),
            ("no-cache", None),
            ("max-age=abc", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_max_age(value),
                want.map(Duration::from_secs),
                "{value:?}"
            );
        }
    }
}
