//! The TOML config (design.md, "Config contract"): parsed strictly (unknown keys are
//! errors), then validated into ready-to-use values. Every semantic problem in the file is
//! reported at once, each with its line and column.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::extract::{HtmlConfig, HtmlRules};
use crate::fetch::FetchConfig;

mod validate;

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
        validate::parse(text, path).map_err(|problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
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
