//! `zonewire opml import`: add the feeds of an OPML file to the config file as new
//! `[[source]]` entries, refusing duplicates (same id or same canonical URL) with a clear
//! message. The config file is appended to, so its comments and layout stay as written.

use std::collections::HashSet;
use std::path::Path;

use crate::config::Config;
use crate::render;
use crate::text;
use crate::urlnorm;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{0}")]
    Opml(#[from] render::OpmlError),
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

/// What happened to each outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportLine {
    Added { id: String, url: String },
    Duplicate { url: String, reason: String },
    Invalid { url: String, reason: String },
}

/// A source id from an outline title, else from the URL's host: folded, `[a-z0-9-]`.
pub fn id_for(title: &str, url: &str) -> String {
    let basis = if title.trim().is_empty() {
        url::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            })
            .unwrap_or_else(|| "source".into())
    } else {
        title.to_string()
    };
    let folded = text::fold(&basis);
    let mut id = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id: String = id.trim_end_matches('-').chars().take(48).collect();
    let id = id.trim_end_matches('-').to_string();
    if id.is_empty() { "source".into() } else { id }
}

fn toml_string(s: &str) -> String {
    // TOML basic strings share JSON's escapes for what we write.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Plan the import against the current config: the TOML text to append and a line per
/// outline. `progress` is called after each outline (for a progress bar).
pub fn plan(
    config: &Config,
    outlines: &[render::Outline],
    mut progress: impl FnMut(usize),
) -> (String, Vec<ImportLine>) {
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.clone()).collect();
    let key = urlnorm::key_of_raw;
    let mut urls: HashSet<String> = config
        .sources
        .iter()
        .filter_map(|s| key(s.url.as_str()))
        .collect();
    let mut toml = String::new();
    let mut lines = Vec::new();
    for (i, o) in outlines.iter().enumerate() {
        progress(i + 1);
        let Some(k) = key(&o.xml_url) else {
            lines.push(ImportLine::Invalid {
                url: o.xml_url.clone(),
                reason: "not an http(s) URL".into(),
            });
            continue;
        };
        if !urls.insert(k) {
            lines.push(ImportLine::Duplicate {
                url: o.xml_url.clone(),
                reason: "a source with this URL already exists".into(),
            });
            continue;
        }
        let base = id_for(&o.title, &o.xml_url);
        let mut id = base.clone();
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(id.clone());
        let name = if o.title.trim().is_empty() {
            &id
        } else {
            &o.title
        };
        toml.push_str(&format!(
            "\n[[source]]\nid = {}\nname = {}\nurl = {}\nkind = \"feed\"\n",
            toml_string(&id),
            toml_string(name),
            toml_string(&o.xml_url)
        ));
        lines.push(ImportLine::Added {
            id,
            url: o.xml_url.clone(),
        });
    }
    (toml, lines)
}

/// Import `opml_path` into the config file at `config.path`, then re-validate the result
/// (the file is only written when the combined config is valid).
pub fn import(
    config: &Config,
    opml_path: &Path,
    progress: impl FnMut(usize, usize),
) -> Result<Vec<ImportLine>, ImportError> {
    let xml = std::fs::read_to_string(opml_path).map_err(|e| ImportError::Read {
        path: opml_path.display().to_string(),
        reason: e.to_string(),
    })?;
    let outlines = render::parse_opml(&xml)?;
    let total = outlines.len();
    let mut progress = progress;
    let (toml, lines) = plan(config, &outlines, |i| progress(i, total));
    if toml.is_empty() {
        return Ok(lines);
    }
    let write_err = |reason: String| ImportError::Write {
        path: config.path.display().to_string(),
        reason,
    };
    let current = std::fs::read_to_string(&config.path).map_err(|e| write_err(e.to_string()))?;
    let mut combined = current;
    if !combined.ends_with('\n') {
        combined.push('\n');
    }
    combined.push_str(&format!(
        "\n# Imported from {} by zonewire opml import\n",
        opml_path.display()
    ));
    combined.push_str(&toml);
    Config::parse(&combined, &config.path)
        .map_err(|e| write_err(format!("the result would be invalid: {e}")))?;
    std::fs::write(&config.path, combined).map_err(|e| write_err(e.to_string()))?;
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_folded_slugs() {
        assert_eq!(
            id_for("Báo Đồng Nai — Kinh tế", "https://x.vn/rss"),
            "bao-dong-nai-kinh-te"
        );
        assert_eq!(id_for("", "https://www.heza.gov.vn/feed/"), "heza-gov-vn");
        assert_eq!(id_for("!!!", "not a url"), "source");
    }

    #[test]
    fn duplicates_are_refused() {
        let cfg = Config::parse(
            "[[source]]\nid = \"heza\"\nurl = \"https://heza.gov.vn/feed/\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        let outlines = vec![
            render::Outline {
                title: "HEZA".into(),
                xml_url: "http://www.heza.gov.vn/feed".into(),
                html_url: None,
            },
            render::Outline {
                title: "HEZA".into(),
                xml_url: "https://heza.gov.vn/category/tin-tuc/feed/".into(),
                html_url: None,
            },
            render::Outline {
                title: "Đồng Nai".into(),
                xml_url: "https://dongnai.gov.vn/rss".into(),
                html_url: None,
            },
            render::Outline {
                title: "Đồng Nai again".into(),
                xml_url: "https://dongnai.gov.vn/rss".into(),
                html_url: None,
            },
        ];
        let mut seen = 0;
        let (toml, lines) = plan(&cfg, &outlines, |i| seen = i);
        assert_eq!(seen, 4);
        assert!(
            matches!(&lines[0], ImportLine::Duplicate { .. }),
            "{lines:?}"
        );
        assert_eq!(
            lines[1],
            ImportLine::Added {
                id: "heza-2".into(),
                url: "https://heza.gov.vn/category/tin-tuc/feed/".into()
            }
        );
        assert!(matches!(&lines[2], ImportLine::Added { id, .. } if id == "dong-nai"));
        assert!(matches!(&lines[3], ImportLine::Duplicate { .. }));
        let combined =
            format!("[[source]]\nid = \"heza\"\nurl = \"https://heza.gov.vn/feed/\"\n{toml}");
        let cfg = Config::parse(&combined, Path::new("t.toml")).unwrap();
        assert_eq!(cfg.sources.len(), 3);
    }
}
