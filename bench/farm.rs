//! `zonewire-farm`: the loopback feed farm and helpers behind `bench/run.sh`.
//!
//! ```text
//! zonewire-farm serve  --sources N [--items 50] [--spacing-hours 24] [--port 18080] [--base UNIX] [--ignore-validators] [--max-seconds 3600]
//! zonewire-farm config --sources N [--port 18080] --store PATH [--concurrency 16] [--listen ADDR] --out-dir DIR
//! zonewire-farm stats  --store PATH
//! zonewire-farm queries [--count 100]
//! ```
//!
//! `serve` binds 127.0.0.2 … 127.0.0.254 (all loopback on Linux), so the daemon's per-host
//! limits see ~253 distinct hosts; every body is rendered once at start-up and carries a
//! strong ETag. With `--ignore-validators` it resends the full body to conditional
//! requests, like the many servers that ignore them. It stops on SIGTERM/SIGINT or after
//! `--max-seconds`, whichever comes first: a benchmark never leaves it running.
//!
//! `config` writes `zonewire.toml` and `urls` (for newsboat) for the same farm. `stats`
//! sums the key and value bytes of every sled tree (the raw record bytes the on-disk size
//! is compared with). It must not run while a daemon holds the store.

#[path = "gen.rs"]
mod generator;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use generator::Kind;

struct Doc {
    body: bytes::Bytes,
    etag: HeaderValue,
    content_type: &'static str,
}

struct Farm {
    docs: HashMap<String, Doc>,
    ignore_validators: bool,
    full: AtomicU64,
    not_modified: AtomicU64,
}

/// Minimal flag parsing: `--name value` pairs and bare `--flag`s.
struct Args {
    map: HashMap<String, String>,
}

impl Args {
    fn parse(args: &[String]) -> Result<Args, String> {
        let mut map = HashMap::new();
        let mut i = 0;
        while i < args.len() {
            let Some(name) = args[i].strip_prefix("--") else {
                return Err(format!("unexpected argument {:?}", args[i]));
            };
            match args.get(i + 1).filter(|v| !v.starts_with("--")) {
                Some(v) => {
                    map.insert(name.to_string(), v.clone());
                    i += 2;
                }
                None => {
                    map.insert(name.to_string(), String::new());
                    i += 1;
                }
            }
        }
        Ok(Args { map })
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: Option<T>) -> Result<T, String> {
        match self.map.get(name) {
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot read {v:?} as a number")),
            None => default.ok_or_else(|| format!("--{name} is required")),
        }
    }

    fn text(&self, name: &str) -> Result<String, String> {
        self.map
            .get(name)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn flag(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = argv.split_first() else {
        eprintln!("usage: zonewire-farm serve|config|stats [--flags] (see bench/farm.rs)");
        return ExitCode::from(1);
    };
    let result = Args::parse(rest).and_then(|args| match cmd.as_str() {
        "serve" => serve(&args),
        "config" => config(&args),
        "stats" => stats(&args),
        "queries" => queries(&args),
        other => Err(format!("unknown command {other:?}")),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zonewire-farm: {e}");
            ExitCode::from(1)
        }
    }
}

fn origin(source: usize, port: u16) -> String {
    format!("http://{}:{port}", generator::host_of(source))
}

fn serve(args: &Args) -> Result<(), String> {
    let sources: usize = args.num("sources", None)?;
    let items: usize = args.num("items", Some(50))?;
    let port: u16 = args.num("port", Some(18080))?;
    let base: i64 = args.num("base", Some(1_790_000_000))?;
    let max_seconds: u64 = args.num("max-seconds", Some(3600))?;
    let spacing_hours: f64 = args.num("spacing-hours", Some(24.0))?;
    let spacing = (spacing_hours * 3600.0) as i64;
    let mut docs = HashMap::with_capacity(sources);
    let mut bytes_total = 0usize;
    for s in 0..sources {
        let kind = Kind::of_source(s);
        let body = generator::document(kind, s, items, base, spacing, &origin(s, port));
        let etag = format!("\"{}\"", hex(&Sha256::digest(body.as_bytes())[..12]));
        bytes_total += body.len();
        docs.insert(
            format!("{}{}", generator::host_of(s), kind.path(s)),
            Doc {
                body: bytes::Bytes::from(body),
                etag: HeaderValue::from_str(&etag).map_err(|e| e.to_string())?,
                content_type: kind.content_type(),
            },
        );
    }
    let farm = Arc::new(Farm {
        docs,
        ignore_validators: args.flag("ignore-validators"),
        full: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    // One worker: the farm should take as little of the two cores as it can.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let hosts = sources.min(253);
        for h in 0..hosts {
            let ip = Ipv4Addr::new(127, 0, 0, u8::try_from(2 + h).unwrap_or(254));
            let listener = tokio::net::TcpListener::bind(SocketAddr::from((ip, port)))
                .await
                .map_err(|e| format!("bind {ip}:{port}: {e}"))?;
            let f = farm.clone();
            let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
                let f = f.clone();
                async move { answer(&f, ip, &uri, &headers) }
            });
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
        }
        println!(
            "farm ready: {sources} sources x {items} items on 127.0.0.2-{} port {port}, {bytes_total} bytes{}",
            2 + hosts - 1,
            if farm.ignore_validators {
                ", ignoring validators"
            } else {
                ""
            }
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| e.to_string())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = tokio::time::sleep(Duration::from_secs(max_seconds)) => {
                eprintln!("zonewire-farm: --max-seconds reached; stopping");
            }
        }
        eprintln!(
            "farm stopped: {} full responses, {} not modified",
            farm.full.load(Ordering::Relaxed),
            farm.not_modified.load(Ordering::Relaxed)
        );
        Ok::<(), String>(())
    })
}

fn answer(farm: &Farm, ip: Ipv4Addr, uri: &Uri, headers: &HeaderMap) -> Response {
    let key = format!("{ip}{}", uri.path());
    let Some(doc) = farm.docs.get(&key) else {
        return (StatusCode::NOT_FOUND, "no such source\n").into_response();
    };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == doc.etag.as_bytes());
    if matches && !farm.ignore_validators {
        farm.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, doc.etag.clone())]).into_response();
    }
    farm.full.fetch_add(1, Ordering::Relaxed);
    (
        [
            (header::ETAG, doc.etag.clone()),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(doc.content_type),
            ),
        ],
        Body::from(doc.body.clone()),
    )
        .into_response()
}

fn config(args: &Args) -> Result<(), String> {
    let sources: usize = args.num("sources", None)?;
    let port: u16 = args.num("port", Some(18080))?;
    let concurrency: usize = args.num("concurrency", Some(16))?;
    let store = args.text("store")?;
    let listen = args
        .text("listen")
        .unwrap_or_else(|_| "127.0.0.1:18000".into());
    let dir = std::path::PathBuf::from(args.text("out-dir")?);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut toml = format!(
        "# Generated by zonewire-farm config for bench/run.sh.\n[server]\nlisten = \"{listen}\"\nbase_url = \"http://{listen}\"\n\n[store]\npath = \"{store}\"\n\n[poll]\n# Long interval: after a benchmark round nothing is due, so `run` only serves.\ninterval = \"24h\"\nconcurrency = {concurrency}\nper_host = 1\nallow_private = true\n\n"
    );
    let mut urls = String::new();
    for s in 0..sources {
        let kind = Kind::of_source(s);
        let url = format!("{}{}", origin(s, port), kind.path(s));
        urls.push_str(&url);
        urls.push('\n');
        let province = generator::PROVINCES[s % generator::PROVINCES.len()];
        toml.push_str(&format!(
            "[[source]]\nid = \"s{s}\"\nprovince = \"{province}\"\nurl = \"{url}\"\n"
        ));
        if kind == Kind::Html {
            toml.push_str("kind = \"html\"\n[source.html]\n");
            toml.push_str(generator::HTML_SELECTORS);
        } else {
            toml.push_str("kind = \"feed\"\n");
        }
        toml.push('\n');
    }
    std::fs::write(dir.join("zonewire.toml"), toml).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("urls"), urls).map_err(|e| e.to_string())?;
    Ok(())
}

fn stats(args: &Args) -> Result<(), String> {
    let path = args.text("store")?;
    let db = sled::Config::new()
        .path(&path)
        .open()
        .map_err(|e| format!("open {path}: {e}"))?;
    let mut total = 0u64;
    let mut records = 0u64;
    for name in db.tree_names() {
        let tree = db.open_tree(&name).map_err(|e| e.to_string())?;
        let (mut bytes, mut n) = (0u64, 0u64);
        for kv in tree.iter() {
            let (k, v) = kv.map_err(|e| e.to_string())?;
            bytes += (k.len() + v.len()) as u64;
            n += 1;
        }
        println!(
            "tree {:<10} {n:>8} records {bytes:>12} bytes",
            String::from_utf8_lossy(&name)
        );
        total += bytes;
        records += n;
    }
    println!("raw_records {records}");
    println!("raw_bytes {total}");
    Ok(())
}

/// Distinct `/feed.xml?q=…` paths (percent-encoded) for the filtered-query latency: names
/// and phrases the generated items contain, so the filters match real work.
fn queries(args: &Args) -> Result<(), String> {
    let count: usize = args.num("count", Some(100))?;
    let mut words: Vec<String> = generator::PROVINCES.iter().map(|p| p.to_string()).collect();
    words.extend(
        [
            "xúc tiến đầu tư",
            "môi trường",
            "nhà máy",
            "giấy chứng nhận",
            "khu kinh tế",
            "hạ tầng",
            "doanh nghiệp",
            "lao động",
            "quy hoạch",
            "đoàn công tác",
            "Foxconn",
            "Samsung",
            "Hòa Phát",
            "Nghi Sơn",
            "Vân Phong",
            "VSIP",
            "Dung Quất",
            "Yên Phong",
        ]
        .map(str::to_string),
    );
    let mut out = Vec::new();
    let mut i = 0usize;
    while out.len() < count {
        let q = if i < words.len() {
            words[i].clone()
        } else {
            // Two-word combinations once the single words run out.
            let a = &words[i % words.len()];
            let b = &words[(i * 7 + 3) % words.len()];
            format!("{a} {b}")
        };
        let enc: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let path = format!("/feed.xml?q={enc}");
        if !out.contains(&path) {
            out.push(path);
        }
        i += 1;
        if i > count * 20 {
            break;
        }
    }
    for p in out {
        println!("{p}");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
