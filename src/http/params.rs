//! Feed query parameters: validated once, with a one-line reason for a 400.

use chrono::DateTime;

use crate::archive::Query;
use crate::{provinces, render, text};

/// A validated query string.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedParams {
    pub query: Query,
    pub filter: render::PageFilter,
    /// Canonical query string (sorted, without `before`), used for cache keys and links.
    pub canonical: String,
}

/// Parse and validate feed query parameters; `Err` is a one-line reason for a 400.
pub fn parse_params(raw: Option<&str>) -> Result<FeedParams, String> {
    let mut query = Query::default();
    let mut filter = render::PageFilter::default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut canon: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        let v = v.trim().to_string();
        match k.as_str() {
            "province" if !v.is_empty() => {
                let unit =
                    provinces::resolve(&v).ok_or_else(|| format!("unknown province {v:?}"))?;
                query.province = Some(unit.slug.to_string());
                filter.province = Some(unit.slug.to_string());
                canon.push((k, unit.slug.to_string()));
            }
            "source" if !v.is_empty() => {
                if !v
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(format!("bad source id {v:?}"));
                }
                query.source = Some(v.clone());
                filter.source = Some(v.clone());
                canon.push((k, v));
            }
            "q" if !v.is_empty() => {
                if v.chars().count() > 200 {
                    return Err("q is longer than 200 characters".into());
                }
                let folded = text::fold(&v);
                if !folded.is_empty() {
                    query.q = Some(folded);
                    filter.q = Some(v.clone());
                    canon.push((k, v));
                }
            }
            "cooperation" => match v.as_str() {
                "1" | "true" | "on" | "yes" => {
                    query.cooperation = true;
                    filter.cooperation = true;
                    canon.push((k, "1".into()));
                }
                "0" | "false" | "no" | "" => {}
                _ => return Err(format!("cooperation must be 1 or 0, not {v:?}")),
            },
            "limit" if !v.is_empty() => {
                let n: usize = v
                    .parse()
                    .map_err(|_| format!("limit must be a number, not {v:?}"))?;
                if !(1..=500).contains(&n) {
                    return Err(format!("limit must be between 1 and 500, not {n}"));
                }
                query.limit = n;
                canon.push((k, v));
            }
            "before" if !v.is_empty() => {
                let t = DateTime::parse_from_rfc3339(&v)
                    .map_err(|_| format!("before must be an RFC 3339 time such as 2025-09-06T08:30:00+07:00, not {v:?}"))?;
                query.before = Some(t.timestamp());
            }
            // Unknown parameters (cache busters, trackers) are ignored, as readers expect.
            _ => {}
        }
    }
    canon.sort();
    let canonical = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(canon.iter())
        .finish();
    Ok(FeedParams {
        query,
        filter,
        canonical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_validate_and_canonicalise() {
        let p = parse_params(Some(
            "q=H%C6%B0ng+Y%C3%AAn&limit=10&cooperation=1&utm_source=x",
        ))
        .unwrap();
        assert_eq!(p.query.q.as_deref(), Some("hung yen"));
        assert_eq!(p.query.limit, 10);
        assert!(p.query.cooperation);
        assert_eq!(p.canonical, "cooperation=1&limit=10&q=H%C6%B0ng+Y%C3%AAn");
        assert!(parse_params(Some("limit=0")).unwrap_err().contains("limit"));
        assert!(
            parse_params(Some("limit=abc"))
                .unwrap_err()
                .contains("limit")
        );
        assert!(
            parse_params(Some("before=yesterday"))
                .unwrap_err()
                .contains("before")
        );
        assert!(
            parse_params(Some("cooperation=maybe"))
                .unwrap_err()
                .contains("cooperation")
        );
        assert!(
            parse_params(Some("source=../etc"))
                .unwrap_err()
                .contains("source")
        );
    }
}
