//! The commands behind the CLI: the daemon, one polling pass, export. Each takes a loaded
//! config and returns typed errors; `main.rs` only parses arguments and reports.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::archive::Archive;
use crate::config::{Config, Source};
use crate::fetch::{FetchError, Fetcher};
use crate::http::{self, AppState};
use crate::poller::{PollOutcome, Poller};
use crate::schedule::{ReloadSummary, Supervisor};
use crate::store::{SledStore, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("HTTP client: {0}")]
    Fetch(#[from] FetchError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(std::io::Error),
    #[error("unknown source id {0:?}")]
    UnknownSource(String),
    #[error("{0}")]
    Other(String),
}

/// Open the store named by the config and build the in-memory indexes.
pub fn open_archive(config: &Config) -> Result<Arc<Archive>, AppError> {
    let archive = Archive::open(|| {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.store.path)?);
        Ok(store)
    })?;
    // Loading freed the decoded records and sled's cache of the walk; without this their
    // pages stay resident for the life of the process.
    crate::heap::release_free_memory();
    info!(
        path = %config.store.path.display(),
        items = archive.len(),
        bytes = archive.store().size_on_disk().unwrap_or(0),
        "store open"
    );
    Ok(Arc::new(archive))
}

pub fn poller(config: &Config, archive: Arc<Archive>) -> Result<Arc<Poller>, AppError> {
    let fetcher = Fetcher::new(config.poll.fetch.clone())?;
    Ok(poller_with(config, archive, fetcher))
}

fn poller_with(config: &Config, archive: Arc<Archive>, fetcher: Fetcher) -> Arc<Poller> {
    for s in config.sources.iter().filter(|s| s.insecure_tls) {
        warn!(source = %s.id, "insecure_tls: certificate checks are off for this source");
    }
    Arc::new(Poller {
        archive,
        fetcher,
        poll: config.poll.clone(),
        completed: tokio::sync::watch::channel(0).0,
    })
}

/// [`open_archive`] and [`poller`] together. The HTTP client loads the system's root
/// certificates, 50–90 ms that every start-up (and every `zonewire poll`) paid after
/// the store had loaded; on a thread of its own it builds while the store loads.
fn open_with_poller(config: &Config) -> Result<(Arc<Archive>, Arc<Poller>), AppError> {
    let fetch = config.poll.fetch.clone();
    let client = std::thread::spawn(move || Fetcher::new(fetch));
    let archive = open_archive(config);
    let fetcher = client
        .join()
        .map_err(|_| AppError::Other("building the HTTP client panicked".into()))?;
    let archive = archive?;
    let poller = poller_with(config, archive.clone(), fetcher?);
    Ok((archive, poller))
}

/// A running daemon (for tests and `run`): the bound address and a way to stop it.
pub struct Daemon {
    pub addr: SocketAddr,
    pub archive: Arc<Archive>,
    /// Number of polls finished so far (`wait_for` it instead of sleeping).
    pub polls: tokio::sync::watch::Receiver<u64>,
    /// Reload requests from `POST /admin/reload` (`zonewire reload`).
    pub reload_requests: tokio::sync::mpsc::Receiver<()>,
    state: AppState,
    supervisor: Arc<Supervisor>,
    config_path: std::path::PathBuf,
    cancel: CancellationToken,
    handle: tokio::task::JoinHandle<Result<(), AppError>>,
}

impl Daemon {
    /// Stop polling, finish in-flight responses, flush the store.
    pub async fn shutdown(self) -> Result<(), AppError> {
        self.cancel.cancel();
        self.handle
            .await
            .map_err(|e| AppError::Other(format!("daemon task: {e}")))?
    }

    /// Apply a new, already validated config: sources start, stop or restart; the server
    /// renders with the new names. Settings that need a restart (listen address, store
    /// path, concurrency, HTTP client settings) are kept and named in a warning.
    pub fn reload(&self, config: Config) -> ReloadSummary {
        let old = self.state.config();
        let mut needs_restart = Vec::new();
        if old.server.listen != config.server.listen {
            needs_restart.push("server.listen");
        }
        if old.store.path != config.store.path {
            needs_restart.push("store.path");
        }
        if old.poll.concurrency != config.poll.concurrency {
            needs_restart.push("poll.concurrency");
        }
        if old.poll.fetch != config.poll.fetch {
            needs_restart.push("poll (HTTP client settings)");
        }
        if !needs_restart.is_empty() {
            warn!(keys = ?needs_restart, "these settings change only on restart");
        }
        let summary = self.supervisor.apply(&config.sources);
        self.state.set_config(Arc::new(config));
        info!(added = ?summary.added, removed = ?summary.removed, changed = ?summary.changed, "config reloaded");
        summary
    }

    /// Re-read the config file; an invalid file is rejected (errors logged) and the old
    /// config stays in force.
    pub fn reload_from_file(&self) -> Result<ReloadSummary, crate::config::ConfigError> {
        match Config::load(&self.config_path) {
            Ok(c) => Ok(self.reload(c)),
            Err(e) => {
                warn!(error = %e, "new config rejected; keeping the old one");
                Err(e)
            }
        }
    }
}

/// Bind, start polling and serving; returns once the server accepts connections.
pub async fn start(config: Config) -> Result<Daemon, AppError> {
    let listener = TcpListener::bind(&config.server.listen)
        .await
        .map_err(|source| AppError::Listen {
            addr: config.server.listen.clone(),
            source,
        })?;
    start_on(config, listener).await
}

pub async fn start_on(config: Config, listener: TcpListener) -> Result<Daemon, AppError> {
    let addr = listener.local_addr().map_err(AppError::Serve)?;
    let (archive, poller) = open_with_poller(&config)?;
    let polls = poller.completed.subscribe();
    let cancel = CancellationToken::new();
    let supervisor = Arc::new(Supervisor::new(
        poller,
        config.poll.concurrency,
        cancel.clone(),
    ));
    supervisor.apply(&config.sources);
    spawn_retention(
        &supervisor,
        archive.clone(),
        config.store.retention_days,
        cancel.clone(),
    );
    let config_path = config.path.clone();
    let sources = config.sources.len();
    let (reload_tx, reload_requests) = tokio::sync::mpsc::channel(1);
    let state = AppState::new(archive.clone(), Arc::new(config)).with_reload(reload_tx);
    let app = http::router(state.clone());
    let stop = cancel.clone();
    let store_archive = archive.clone();
    let sup = supervisor.clone();
    let handle = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move { stop.cancelled().await })
        .await;
        // Polls in flight are cancelled at their next await point; give them a moment
        // to commit what they already hold.
        sup.tracker().close();
        if tokio::time::timeout(Duration::from_secs(10), sup.tracker().wait())
            .await
            .is_err()
        {
            warn!("some polls did not stop within 10 s");
        }
        let store = store_archive.store().clone();
        tokio::task::spawn_blocking(move || store.flush())
            .await
            .map_err(|e| AppError::Other(e.to_string()))??;
        info!("store flushed; bye");
        served.map_err(AppError::Serve)
    });
    info!(%addr, sources, "serving");
    Ok(Daemon {
        addr,
        archive,
        polls,
        reload_requests,
        state,
        supervisor,
        config_path,
        cancel,
        handle,
    })
}

/// Prune items older than the retention period at start-up and then daily (their keys
/// stay as tombstones, so they never return).
fn spawn_retention(sup: &Supervisor, archive: Arc<Archive>, days: u32, cancel: CancellationToken) {
    if days == 0 {
        return;
    }
    sup.tracker().spawn(async move {
        loop {
            let cutoff = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
            let a = archive.clone();
            let prune = move || {
                let n = a.prune_before(cutoff)?;
                if n > 0 {
                    // The store let go of what the removals paged in (`after_prune`); glibc
                    // keeps those pages until asked (`heap`).
                    crate::heap::release_free_memory();
                }
                Ok::<_, crate::store::StoreError>(n)
            };
            match tokio::task::spawn_blocking(prune).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => info!(pruned = n, older_than_days = days, "retention"),
                Ok(Err(e)) => warn!(error = %e, "retention pruning failed"),
                Err(e) => warn!(error = %e, "retention task failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_secs(24 * 3600)) => {}
            }
        }
    });
}

/// The daemon until `shutdown` resolves (SIGINT/SIGTERM in `main`); each `reload` event
/// (SIGHUP in `main`) or `POST /admin/reload` re-reads the config file.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()>,
    mut reload: tokio::sync::mpsc::Receiver<()>,
) -> Result<(), AppError> {
    let mut daemon = start(config).await?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(()) = reload.recv() => { let _ = daemon.reload_from_file(); }
            Some(()) = daemon.reload_requests.recv() => { let _ = daemon.reload_from_file(); }
        }
    }
    info!("shutting down");
    daemon.shutdown().await
}

/// One pass over the chosen sources (all when `only` is empty), concurrently within the
/// configured limits. Outcomes come back in config order.
pub async fn poll_once(config: &Config, only: &[String]) -> Result<Vec<PollOutcome>, AppError> {
    for id in only {
        if config.source(id).is_none() {
            return Err(AppError::UnknownSource(id.clone()));
        }
    }
    let sources: Vec<Source> = config
        .sources
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.id))
        .cloned()
        .collect();
    let (archive, poller) = open_with_poller(config)?;
    let permits = Arc::new(tokio::sync::Semaphore::new(config.poll.concurrency.max(1)));
    let mut tasks = Vec::new();
    for source in sources {
        let poller = poller.clone();
        let permits = permits.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            poller.poll(&source).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(
            t.await
                .map_err(|e| AppError::Other(format!("poll task: {e}")))?,
        );
    }
    archive.store().flush()?;
    Ok(out)
}
