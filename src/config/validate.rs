//! The file as written (serde's view, strict about unknown keys) and its validation into
//! [`Config`]: every semantic problem is collected with its line and column, so one run
//! reports them all.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::{
    Config, ConfigProblem, PollConfig, ServerConfig, Source, SourceKind, StoreConfig, parse_size,
};
use crate::extract::{HtmlConfig, HtmlRules};
use crate::fetch::FetchConfig;
use crate::provinces;

/// Parse and validate config text.
pub(super) fn parse(text: &str, path: &Path) -> Result<Config, Vec<ConfigProblem>> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        vec![ConfigProblem {
            line,
            column,
            message: e.message().trim().to_string(),
        }]
    })?;
    let mut v = Validator {
        text,
        base_dir: path.parent().unwrap_or(Path::new(".")),
        problems: Vec::new(),
    };
    let config = v.config(raw, path);
    if v.problems.is_empty() {
        Ok(config)
    } else {
        Err(v.problems)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    poll: RawPoll,
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    title: Option<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    path: Option<String>,
    retention_days: Option<u32>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    interval: Option<Spanned<String>>,
    concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    max_redirects: Option<usize>,
    max_backoff: Option<Spanned<String>>,
    user_agent: Option<String>,
    allow_private: Option<bool>,
    /// Article pages fetched per poll of a `follow = true` source.
    max_follow: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Option<Spanned<String>>,
    name: Option<String>,
    province: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    insecure_tls: Option<bool>,
    enabled: Option<bool>,
    html: Option<Spanned<HtmlConfig>>,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count() + 1)
        .unwrap_or(1);
    (line, column)
}

struct Validator<'a> {
    text: &'a str,
    /// Directory of the config file: relative `file:` URLs resolve against it.
    base_dir: &'a Path,
    problems: Vec<ConfigProblem>,
}

impl Validator<'_> {
    fn problem(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_col(self.text, span.start);
        self.problems.push(ConfigProblem {
            line,
            column,
            message,
        });
    }

    fn duration(
        &mut self,
        field: &str,
        value: &Option<Spanned<String>>,
        default: Duration,
    ) -> Duration {
        let Some(v) = value else { return default };
        match humantime::parse_duration(v.get_ref().trim()) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.problem(
                    v.span(),
                    format!("{field}: duration must be greater than zero"),
                );
                default
            }
            Err(e) => {
                self.problem(
                    v.span(),
                    format!("{field}: bad duration {:?} ({e}); use forms like \"30m\", \"1h 30m\", \"45s\"", v.get_ref()),
                );
                default
            }
        }
    }

    fn config(&mut self, raw: RawConfig, path: &Path) -> Config {
        let server = self.server(raw.server);
        let store = StoreConfig {
            path: PathBuf::from(
                raw.store
                    .path
                    .unwrap_or_else(|| "data/zonewire.sled".into()),
            ),
            retention_days: raw.store.retention_days.unwrap_or(730),
        };
        let poll = self.poll(raw.poll);
        let mut seen = HashSet::new();
        let mut sources = Vec::new();
        for (index, s) in raw.sources.into_iter().enumerate() {
            if let Some(source) = self.source(index, s, &poll, &mut seen) {
                sources.push(source);
            }
        }
        Config {
            path: path.to_path_buf(),
            server,
            store,
            poll,
            sources,
        }
    }

    fn server(&mut self, raw: RawServer) -> ServerConfig {
        let listen = match raw.listen {
            Some(l) => {
                if l.get_ref().parse::<std::net::SocketAddr>().is_err() {
                    self.problem(
                        l.span(),
                        format!(
                            "server.listen: {:?} is not an address like \"127.0.0.1:8080\"",
                            l.get_ref()
                        ),
                    );
                }
                l.into_inner()
            }
            None => "127.0.0.1:8080".to_string(),
        };
        let base_url = match raw.base_url {
            Some(b) => {
                if Url::parse(b.get_ref())
                    .map(|u| !u.has_host())
                    .unwrap_or(true)
                {
                    self.problem(
                        b.span(),
                        format!(
                            "server.base_url: {:?} is not an absolute http(s) URL",
                            b.get_ref()
                        ),
                    );
                }
                b.into_inner().trim_end_matches('/').to_string()
            }
            None => format!("http://{listen}"),
        };
        ServerConfig {
            listen,
            base_url,
            title: raw
                .title
                .unwrap_or_else(|| "Tin khu công nghiệp — tổng hợp".to_string()),
            description: raw.description.unwrap_or_else(|| {
                "Tin tức các Ban Quản lý khu công nghiệp, khu kinh tế và cổng thông tin tỉnh, đã gộp trùng"
                    .to_string()
            }),
        }
    }

    fn poll(&mut self, raw: RawPoll) -> PollConfig {
        let defaults = FetchConfig::default();
        let interval = self.duration("poll.interval", &raw.interval, Duration::from_secs(30 * 60));
        let timeout = self.duration("poll.timeout", &raw.timeout, defaults.timeout);
        let connect_timeout = self.duration(
            "poll.connect_timeout",
            &raw.connect_timeout,
            defaults.connect_timeout,
        );
        let max_backoff = self.duration(
            "poll.max_backoff",
            &raw.max_backoff,
            Duration::from_secs(6 * 3600),
        );
        let mut positive = |field: &str, v: Option<Spanned<usize>>, default: usize| match v {
            Some(n) if *n.get_ref() == 0 => {
                self.problem(n.span(), format!("{field} must be at least 1"));
                default
            }
            Some(n) => n.into_inner(),
            None => default,
        };
        let concurrency = positive("poll.concurrency", raw.concurrency, 8);
        let per_host = positive("poll.per_host", raw.per_host, 1);
        let max_body = match raw.max_body {
            Some(m) => match parse_size(m.get_ref()) {
                Some(n) if n > 0 => n,
                _ => {
                    self.problem(
                        m.span(),
                        format!(
                            "poll.max_body: bad size {:?}; use forms like \"10MiB\", \"512KB\"",
                            m.get_ref()
                        ),
                    );
                    defaults.max_body
                }
            },
            None => defaults.max_body,
        };
        PollConfig {
            interval,
            concurrency,
            max_backoff,
            max_follow: raw.max_follow.unwrap_or(20),
            fetch: FetchConfig {
                user_agent: raw.user_agent.unwrap_or(defaults.user_agent),
                connect_timeout: connect_timeout.min(timeout),
                timeout,
                max_body,
                max_redirects: raw.max_redirects.unwrap_or(defaults.max_redirects),
                allow_private: raw.allow_private.unwrap_or(false),
                per_host,
            },
        }
    }

    fn source(
        &mut self,
        index: usize,
        raw: RawSource,
        poll: &PollConfig,
        seen: &mut HashSet<String>,
    ) -> Option<Source> {
        let start_problems = self.problems.len();
        // Anchor messages about missing keys at the source's first key, or the file start.
        let anchor = [
            raw.id.as_ref().map(|s| s.span()),
            raw.url.as_ref().map(|s| s.span()),
            raw.kind.as_ref().map(|s| s.span()),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|r| r.start)
        .unwrap_or(0..0);
        let label = raw
            .id
            .as_ref()
            .map(|i| format!("source {:?}", i.get_ref()))
            .unwrap_or_else(|| format!("source #{}", index + 1));

        let id = match &raw.id {
            None => {
                self.problem(anchor.clone(), format!("{label}: missing `id`"));
                String::new()
            }
            Some(id) => {
                let v = id.get_ref();
                if v.is_empty()
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    self.problem(
                        id.span(),
                        format!("{label}: id must be non-empty [a-z0-9-]"),
                    );
                } else if !seen.insert(v.clone()) {
                    self.problem(id.span(), format!("duplicate source id {v:?}"));
                }
                v.clone()
            }
        };
        let url = match &raw.url {
            None => {
                self.problem(anchor.clone(), format!("{label}: missing `url`"));
                None
            }
            Some(u) => match parse_source_url(u.get_ref().trim(), self.base_dir) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https" | "file") => Some(parsed),
                Ok(parsed) => {
                    self.problem(
                        u.span(),
                        format!(
                            "{label}: url scheme {:?} not supported (http, https, file)",
                            parsed.scheme()
                        ),
                    );
                    None
                }
                Err(e) => {
                    self.problem(u.span(), format!("{label}: bad url {:?}: {e}", u.get_ref()));
                    None
                }
            },
        };
        let kind = match &raw.kind {
            None => SourceKind::Auto,
            Some(k) => match k.get_ref().as_str() {
                "auto" => SourceKind::Auto,
                "feed" => SourceKind::Feed,
                "html" => SourceKind::Html,
                other => {
                    self.problem(
                        k.span(),
                        format!("{label}: kind {other:?} must be auto, feed or html"),
                    );
                    SourceKind::Auto
                }
            },
        };
        let province = match &raw.province {
            None => None,
            Some(p) => match provinces::resolve(p.get_ref()) {
                Some(unit) => Some(unit.slug.to_string()),
                None => {
                    self.problem(
                        p.span(),
                        format!("{label}: unknown province {:?} (use one of the 34 units, or an old name)", p.get_ref()),
                    );
                    None
                }
            },
        };
        let interval = self.duration(&format!("{label}: interval"), &raw.interval, poll.interval);
        let (html_config, html) = match &raw.html {
            Some(h) => match HtmlRules::compile(h.get_ref()) {
                Ok(rules) => (Some(h.get_ref().clone()), Some(rules)),
                Err(e) => {
                    self.problem(h.span(), format!("{label}: {e}"));
                    (None, None)
                }
            },
            None => (None, None),
        };
        if kind == SourceKind::Html && raw.html.is_none() {
            self.problem(
                anchor,
                format!("{label}: kind = \"html\" needs a [source.html] table"),
            );
        }
        if raw.enabled == Some(false) || self.problems.len() > start_problems {
            return None;
        }
        Some(Source {
            name: raw.name.unwrap_or_else(|| id.clone()),
            id,
            province,
            url: url?,
            kind,
            interval,
            insecure_tls: raw.insecure_tls.unwrap_or(false),
            html_config,
            html,
        })
    }
}

/// Source URLs; `file:relative/path` (no slash after the colon) is relative to the config
/// file's directory, so that demos and tests work from any checkout location.
fn parse_source_url(raw: &str, base_dir: &Path) -> Result<Url, String> {
    if let Some(rel) = raw.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
        let joined = base_dir.join(rel);
        let abs = if joined.is_absolute() {
            joined
        } else {
            std::env::current_dir()
                .map_err(|e| e.to_string())?
                .join(joined)
        };
        return Url::from_file_path(&abs)
            .map_err(|_| format!("cannot make a file URL of {}", abs.display()));
    }
    Url::parse(raw).map_err(|e| e.to_string())
}
