//! Per-source TLS: a portal with a self-signed certificate fails normally and is read
//! when (and only when) its source sets `insecure_tls = true`.

use std::path::Path;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use zonewire::app;
use zonewire::config::Config;
use zonewire::poller::PollStatus;

/// A self-signed certificate made with the openssl command line, or `None` to skip.
fn self_signed(dir: &Path) -> Option<(Vec<u8>, Vec<u8>)> {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=portal.test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    Some((std::fs::read(cert).ok()?, std::fs::read(key).ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_tls_is_per_source() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cert, key)) = self_signed(dir.path()) else {
        eprintln!("SKIP: the openssl command is not available to make a test certificate");
        return;
    };
    let identity = native_tls::Identity::from_pkcs8(&cert, &key).unwrap();
    let acceptor =
        tokio_native_tls::TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let feed = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/khanhhoa-bqlkkt.xml"),
    )
    .unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            let acceptor = acceptor.clone();
            let feed = feed.clone();
            tokio::spawn(async move {
                // A failed handshake (the strict client) just ends this connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    feed.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(&feed).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let text = format!(
        "[store]\npath = \"{}\"\n[poll]\nallow_private = true\n\
         [[source]]\nid = \"strict\"\nurl = \"https://{addr}/feed.xml\"\n\
         [[source]]\nid = \"lenient\"\nurl = \"https://{addr}/feed.xml?copy=2\"\ninsecure_tls = true\n",
        dir.path().join("s.sled").display()
    );
    let cfg = Config::parse(&text, Path::new("tls.toml")).unwrap();
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    let strict = out.iter().find(|o| o.source == "strict").unwrap();
    match &strict.status {
        PollStatus::Error(e) => assert!(
            e.to_lowercase().contains("certificate") || e.contains("connect"),
            "{e}"
        ),
        other => panic!("a self-signed certificate must fail without insecure_tls: {other:?}"),
    }
    let lenient = out.iter().find(|o| o.source == "lenient").unwrap();
    assert_eq!(lenient.status, PollStatus::New, "{lenient:?}");
    assert_eq!(lenient.report.new, 3);
}
