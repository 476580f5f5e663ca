//! The TOML config (design.md, "Config contract"): parsed strictly (unknown keys are
//! errors), then validated into ready-to-use values. Every semantic problem in the file is
//! reported at once, each with its line and column.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::extract::{HtmlConfig, HtmlRules};
use crate::fetch::FetchConfig;
use crate::provinces;

/// One problem in a config file, located.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", format_problems(.path, .problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

fn format_problems(path: &Path, problems: &[ConfigProblem]) -> String {
    let mut out = format!("{} has {} error(s):", path.display(), problems.len());
    for p in problems {
        out.push_str(&format!(
            "\n  {}:{}:{}: {}",
            path.display(),
            p.line,
            p.column,
            p.message
        ));
    }
    out
}

// ---- the file as written -------------------------------------------------------------

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

// ---- validated config -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Auto,
    Feed,
    Html,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Auto => "auto",
            SourceKind::Feed => "feed",
            SourceKind::Html => "html",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub name: String,
    /// Slug of the source's province (one of the 34 units).
    pub province: Option<String>,
    pub url: Url,
    pub kind: SourceKind,
    pub interval: Duration,
    pub insecure_tls: bool,
    pub html_config: Option<HtmlConfig>,
    pub html: Option<HtmlRules>,
}

impl Source {
    pub fn info(&self) -> crate::model::SourceInfo {
        crate::model::SourceInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            url: self.url.to_string(),
            province: self.province.clone(),
            kind: self.kind.as_str().to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: String,
    pub base_url: String,
    pub title: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub path: PathBuf,
    pub retention_days: u32,
}

#[derive(Debug, Clone)]
pub struct PollConfig {
    pub interval: Duration,
    pub concurrency: usize,
    pub max_backoff: Duration,
    pub max_follow: usize,
    pub fetch: FetchConfig,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the file was read from (relative store paths resolve against the process's
    /// working directory, as users expect from a CLI).
    pub path: PathBuf,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub poll: PollConfig,
    pub sources: Vec<Source>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parse and validate config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            invalid(vec![ConfigProblem {
                line,
                column,
                message: e.message().trim().to_string(),
            }])
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
            Err(invalid(v.problems))
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
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

/// Sizes such as `10MiB`, `512 KB`, `1048576`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests;
