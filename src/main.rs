//! The `zonewire` command line (design.md "CLI contract"). Parsing and reporting only:
//! the work is in the library.

mod cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use zonewire::app::{self, AppError};
use zonewire::config::{Config, ConfigError};
use zonewire::poller::PollStatus;

#[derive(Parser)]
#[command(
    name = "zonewire",
    version,
    about = "One clean, deduplicated feed of Vietnam's industrial-zone and economic-zone boards"
)]
struct Cli {
    /// Log level or filter (RUST_LOG syntax); RUST_LOG wins when set.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Rss,
    Atom,
    Json,
}

#[derive(clap::Args)]
struct ConfigArg {
    /// Config file [default: $ZONEWIRE_CONFIG, then config/zonewire.toml]
    #[arg(
        long,
        short = 'c',
        env = "ZONEWIRE_CONFIG",
        default_value = "config/zonewire.toml"
    )]
    config: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// The daemon: poll on schedule and serve HTTP until SIGINT/SIGTERM.
    Run(ConfigArg),
    /// One pass over the sources: store new items, print a line per source, exit.
    Poll {
        #[command(flatten)]
        config: ConfigArg,
        /// Only these sources (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
    },
    /// Validate the config (and compile selectors); exit 1 with every error found.
    Check(ConfigArg),
    /// Write the merged feed from the store.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long, value_enum, default_value_t = ExportFormat::Rss)]
        format: ExportFormat,
        #[arg(long)]
        province: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        q: Option<String>,
        #[arg(long)]
        cooperation: bool,
        #[arg(long)]
        limit: Option<usize>,
        /// Output file (default: standard output).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Table of sources and their health, from the store.
    Sources(ConfigArg),
    /// OPML: export the sources, or import feeds into the config file.
    Opml {
        #[command(subcommand)]
        command: OpmlCommand,
    },
    /// Ask the running daemon to re-read its config (same as SIGHUP).
    Reload(ConfigArg),
    /// Exit 0 when the daemon's /healthz answers 200 (for container health checks).
    Health {
        #[arg(long, default_value = "http://127.0.0.1:8080/healthz")]
        url: String,
    },
    /// Fetch one page and show what the selectors extract (or suggest selectors).
    Probe {
        url: String,
        #[command(flatten)]
        config: ConfigArg,
        /// Use this configured source's selectors.
        #[arg(long)]
        source: Option<String>,
        /// Use this preset (otherwise, suggest selectors).
        #[arg(long)]
        preset: Option<String>,
        /// Allow loopback/private addresses (a page on an intranet or this machine).
        #[arg(long)]
        allow_private: bool,
    },
}

#[derive(Subcommand)]
enum OpmlCommand {
    /// Write the sources as OPML.
    Export {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Add the feeds of an OPML file to the config as new sources (duplicates refused).
    Import {
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
}

fn init_logs(cli: &Cli) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cli.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only for people at a terminal, never in files or the journal.
    let ansi = {
        use std::io::IsTerminal;
        std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

enum Failure {
    Input(String),
    Runtime(String),
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Input(e.to_string())
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        match e {
            AppError::UnknownSource(_) => Failure::Input(e.to_string()),
            other => Failure::Runtime(other.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    if !zonewire::heap::fix_mmap_threshold() {
        tracing::debug!(
            "malloc's mmap threshold left as it is (set by the environment, or not glibc)"
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zonewire: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("zonewire: {msg}");
            ExitCode::from(1)
        }
        Err(Failure::Runtime(msg)) => {
            eprintln!("zonewire: {msg}");
            ExitCode::from(2)
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Run(c) => {
            let config = Config::load(&c.config)?;
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            #[cfg(unix)]
            {
                let mut hup =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                        .map_err(|e| Failure::Runtime(format!("cannot listen for SIGHUP: {e}")))?;
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        // A reload already pending covers this signal too.
                        let _ = tx.try_send(());
                    }
                });
            }
            #[cfg(not(unix))]
            drop(tx);
            app::run(config, shutdown_signal(), rx).await?;
            Ok(())
        }
        Command::Poll { config, sources } => {
            let config = Config::load(&config.config)?;
            let outcomes = app::poll_once(&config, &sources).await?;
            let (mut new, mut updated, mut errors) = (0, 0, 0);
            let width = outcomes.iter().map(|o| o.source.len()).max().unwrap_or(0);
            for o in &outcomes {
                new += o.report.new;
                updated += o.report.updated;
                let detail = match &o.status {
                    PollStatus::Error(reason) => {
                        errors += 1;
                        format!("error: {reason}")
                    }
                    PollStatus::New | PollStatus::Updated => format!(
                        "{}: {} new, {} updated, {} unchanged ({} merged into stories from other sources)",
                        o.status.as_str(),
                        o.report.new,
                        o.report.updated,
                        o.report.unchanged,
                        o.report.clustered
                    ),
                    other => format!("{} ({} entries)", other.as_str(), o.entries),
                };
                println!("{:width$}  {detail}", o.source);
            }
            println!(
                "total: {} sources, {new} new, {updated} updated, {errors} with errors",
                outcomes.len()
            );
            Ok(())
        }
        Command::Check(c) => {
            let config = Config::load(&c.config)?;
            println!(
                "{}: ok ({} sources, store {}, listen {})",
                c.config.display(),
                config.sources.len(),
                config.store.path.display(),
                config.server.listen
            );
            Ok(())
        }
        Command::Export {
            config,
            format,
            province,
            source,
            q,
            cooperation,
            limit,
            output,
        } => {
            let config = Config::load(&config.config)?;
            let mut pairs = url::form_urlencoded::Serializer::new(String::new());
            if let Some(p) = &province {
                pairs.append_pair("province", p);
            }
            if let Some(s) = &source {
                pairs.append_pair("source", s);
            }
            if let Some(q) = &q {
                pairs.append_pair("q", q);
            }
            if cooperation {
                pairs.append_pair("cooperation", "1");
            }
            if let Some(l) = limit {
                pairs.append_pair("limit", &l.to_string());
            }
            let query = pairs.finish();
            let params = zonewire::http::parse_params(Some(&query)).map_err(Failure::Input)?;
            let archive = app::open_archive(&config)?;
            let fmt = match format {
                ExportFormat::Rss => zonewire::http::Format::Rss,
                ExportFormat::Atom => zonewire::http::Format::Atom,
                ExportFormat::Json => zonewire::http::Format::Json,
            };
            let (body, _) =
                zonewire::http::render_output(&archive, &config, fmt, &params, Some(&query))
                    .map_err(Failure::Runtime)?;
            match output {
                Some(path) => std::fs::write(&path, body).map_err(|e| {
                    Failure::Runtime(format!("cannot write {}: {e}", path.display()))
                })?,
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&body)
                        .map_err(|e| Failure::Runtime(format!("cannot write output: {e}")))?
                }
            }
            Ok(())
        }
        Command::Sources(c) => {
            let config = Config::load(&c.config)?;
            let archive = app::open_archive(&config)?;
            let counts = archive.source_counts();
            let color = {
                use std::io::IsTerminal;
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            };
            println!(
                "{:<24} {:<12} {:<5} {:<17} {:<13} {:>6}  NEXT POLL",
                "ID", "PROVINCE", "KIND", "LAST SUCCESS", "STATUS", "ITEMS"
            );
            for s in &config.sources {
                let st = archive
                    .source_state(&s.id)
                    .map_err(|e| Failure::Runtime(e.to_string()))?
                    .unwrap_or_default();
                let fmt_time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map(|t| {
                        t.with_timezone(&zonewire::model::vn_offset())
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_else(|| "-".into())
                };
                let status = st.last_status.as_deref().unwrap_or("never");
                // Colour only for people at a terminal; pipes and files get plain text.
                let colour = match status {
                    _ if !color => "",
                    "error" => "\x1b[31m",
                    "never" => "\x1b[33m",
                    _ => "\x1b[32m",
                };
                let reset = if colour.is_empty() { "" } else { "\x1b[0m" };
                println!(
                    "{:<24} {:<12} {:<5} {:<17} {colour}{:<13}{reset} {:>6}  {}{}",
                    s.id,
                    s.province.as_deref().unwrap_or("-"),
                    s.kind.as_str(),
                    fmt_time(st.last_success),
                    status,
                    counts.get(&s.id).copied().unwrap_or(0),
                    fmt_time(st.next_poll),
                    st.last_error
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Probe {
            url,
            config,
            source,
            preset,
            allow_private,
        } => cmd::probe(&url, &config.config, source, preset, allow_private).await,
        Command::Opml { command } => cmd::opml(command),
        Command::Reload(c) => {
            let config = Config::load(&c.config)?;
            let url = format!("http://{}/admin/reload", config.server.listen);
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .no_proxy()
                .build()
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            match client.post(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    println!("reload requested; the daemon logs what changed");
                    Ok(())
                }
                Ok(r) => Err(Failure::Runtime(format!("{url}: HTTP {}", r.status()))),
                Err(e) => Err(Failure::Runtime(format!(
                    "{url}: {e} (is the daemon running?)"
                ))),
            }
        }
        Command::Health { url } => {
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .no_proxy()
                .build()
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            match client.get(&url).send().await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(Failure::Runtime(format!("{url}: HTTP {}", r.status()))),
                Err(e) => Err(Failure::Runtime(format!("{url}: {e}"))),
            }
        }
    }
}

fn write_output(output: Option<PathBuf>, body: &[u8]) -> Result<(), Failure> {
    match output {
        Some(path) => std::fs::write(&path, body)
            .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display()))),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(body)
                .map_err(|e| Failure::Runtime(format!("cannot write output: {e}")))
        }
    }
}
