//! The fetcher against local fixture servers: politeness, redirects, SSRF, encodings;
//! deadlines and size caps in `fetch/limits.rs`. Nothing here touches the internet or
//! sleeps for timing.

mod common;
#[path = "fetch/limits.rs"]
mod limits;

use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

use common::{Gate, Reply, TestServer};
use unicode_normalization::UnicodeNormalization;
use url::Url;
use zonewire::charset::{charset_from_content_type, decode_text, feed_bytes};
use zonewire::fetch::{FetchConfig, FetchError, FetchOutcome, FetchRequest, Fetched, Fetcher};

fn cfg() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(20),
        allow_private: true,
        ..FetchConfig::default()
    }
}

fn request(url: Url) -> FetchRequest {
    FetchRequest {
        url,
        etag: None,
        last_modified: None,
        insecure_tls: false,
    }
}

async fn fetch_ok(fetcher: &Fetcher, url: Url) -> Fetched {
    match fetcher.fetch(&request(url.clone())).await {
        Ok(FetchOutcome::Fetched(f)) => f,
        other => panic!("{url}: expected a body, got {other:?}"),
    }
}

#[tokio::test]
async fn conditional_get_sends_validators_and_honours_304() {
    let server = TestServer::start().await;
    server.route_fn("/feed.xml", |req| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::status(304)
        } else {
            Reply::ok("<rss/>")
                .header("ETag", "\"v1\"")
                .header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                .header("Cache-Control", "public, max-age=300")
                .header("Content-Type", "application/rss+xml; charset=utf-8")
        }
    });
    let fetcher = Fetcher::new(cfg()).expect("client");

    let first = fetch_ok(&fetcher, server.url("/feed.xml")).await;
    assert_eq!(first.status, 200);
    assert_eq!(&first.body[..], b"<rss/>");
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.last_modified.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(first.max_age, Some(Duration::from_secs(300)));
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(first.final_url, server.url("/feed.xml"));
    assert_eq!(first.permanent_redirect, None);

    let second = FetchRequest {
        etag: first.etag.clone(),
        last_modified: first.last_modified.clone(),
        ..request(server.url("/feed.xml"))
    };
    assert_eq!(fetcher.fetch(&second).await, Ok(FetchOutcome::NotModified));

    let seen = server.requests_to("/feed.xml");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("if-none-match"), None);
    assert_eq!(seen[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        seen[1].header("if-modified-since"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(
        seen[0].header("user-agent"),
        Some(cfg().user_agent.as_str())
    );
}

#[tokio::test]
async fn retry_after_is_parsed_in_both_forms() {
    let server = TestServer::start().await;
    let in_an_hour = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
    server.route("/busy", Reply::status(429).header("Retry-After", "120"));
    server.route(
        "/down",
        Reply::status(503).header("Retry-After", &in_an_hour),
    );
    server.route(
        "/past",
        Reply::status(503).header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    server.route("/bare", Reply::status(503));
    server.route("/missing", Reply::status(404).header("Retry-After", "120"));
    let fetcher = Fetcher::new(cfg()).expect("client");

    let status = |path: &'static str| {
        let fetcher = fetcher.clone();
        let url = server.url(path);
        async move {
            match fetcher.fetch(&request(url)).await {
                Err(FetchError::Status {
                    status,
                    retry_after,
                }) => (status, retry_after),
                other => panic!("{path}: expected a status error, got {other:?}"),
            }
        }
    };
    assert_eq!(status("/busy").await, (429, Some(Duration::from_secs(120))));
    let (code, wait) = status("/down").await;
    assert_eq!(code, 503);
    let wait = wait.expect("an HTTP-date Retry-After");
    assert!(
        wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3600),
        "{wait:?}"
    );
    assert_eq!(status("/past").await, (503, Some(Duration::ZERO)));
    assert_eq!(status("/bare").await, (503, None));
    assert_eq!(status("/missing").await, (404, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limit_holds_and_other_hosts_proceed() {
    let busy = TestServer::start().await;
    let other = TestServer::start().await;
    let gate = Gate::new();
    busy.route("/slow", Reply::ok("slow").gated(&gate));
    other.route("/quick", Reply::ok("quick"));
    let fetcher = Fetcher::new(FetchConfig {
        per_host: 2,
        ..cfg()
    })
    .expect("client");

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let fetcher = fetcher.clone();
        let url = busy.url("/slow");
        tasks.push(tokio::spawn(
            async move { fetcher.fetch(&request(url)).await },
        ));
    }
    busy.wait_for_in_flight(2).await;
    // Same machine, different host name: a separate politeness slot.
    let quick = fetch_ok(&fetcher, other.url_on("localhost", "/quick")).await;
    assert_eq!(&quick.body[..], b"quick");
    assert_eq!(busy.in_flight(), 2, "the slow host got more than its slots");

    gate.open();
    for task in tasks {
        let outcome = task.await.expect("task");
        assert!(
            matches!(outcome, Ok(FetchOutcome::Fetched(ref f)) if &f.body[..] == b"slow"),
            "{outcome:?}"
        );
    }
    assert_eq!(busy.hits("/slow"), 20);
    assert_eq!(busy.max_in_flight(), 2);
}

#[tokio::test]
async fn redirects_loops_and_permanence() {
    let server = TestServer::start().await;
    server.route("/loop-a", Reply::redirect(302, "/loop-b"));
    server.route("/loop-b", Reply::redirect(302, "/loop-a"));
    server.route("/old", Reply::redirect(301, "/mid"));
    server.route("/mid", Reply::redirect(308, server.url("/new").as_str()));
    server.route("/new", Reply::ok("new"));
    server.route("/temp", Reply::redirect(302, "/new"));
    server.route("/mixed", Reply::redirect(301, "/temp"));
    server.route("/other-scheme", Reply::redirect(301, "file:///etc/passwd"));
    let chain = ["/c0", "/c1", "/c2", "/c3", "/c4", "/c5"];
    for pair in chain.windows(2) {
        server.route(pair[0], Reply::redirect(307, pair[1]));
    }
    server.route("/c5", Reply::ok("end"));
    let fetcher = Fetcher::new(FetchConfig {
        max_redirects: 5,
        ..cfg()
    })
    .expect("client");

    assert_eq!(
        fetcher.fetch(&request(server.url("/loop-a"))).await,
        Err(FetchError::TooManyRedirects(5))
    );
    assert_eq!(
        server.total_requests(),
        6,
        "the first request plus 5 followed hops"
    );

    let permanent = fetch_ok(&fetcher, server.url("/old")).await;
    assert_eq!(permanent.final_url, server.url("/new"));
    assert_eq!(permanent.permanent_redirect, Some(server.url("/new")));
    assert_eq!(&permanent.body[..], b"new");

    let temporary = fetch_ok(&fetcher, server.url("/temp")).await;
    assert_eq!(temporary.final_url, server.url("/new"));
    assert_eq!(temporary.permanent_redirect, None);

    let mixed = fetch_ok(&fetcher, server.url("/mixed")).await;
    assert_eq!(mixed.final_url, server.url("/new"));
    assert_eq!(mixed.permanent_redirect, None);

    // Exactly max_redirects hops is still fine.
    let five = fetch_ok(&fetcher, server.url("/c0")).await;
    assert_eq!(five.final_url, server.url("/c5"));

    let err = fetcher.fetch(&request(server.url("/other-scheme"))).await;
    assert!(
        matches!(err, Err(FetchError::Blocked { ref url, .. }) if url == "file:///etc/passwd"),
        "{err:?}"
    );
}

#[tokio::test]
async fn private_targets_are_blocked_unless_allowed() {
    let server = TestServer::start().await;
    server.route("/", Reply::ok("private"));
    let strict = Fetcher::new(FetchConfig {
        allow_private: false,
        ..cfg()
    })
    .expect("client");

    for (url, addr_hint) in [
        (server.url("/"), "127.0.0.1"),
        (server.url_on("localhost", "/"), "localhost"),
        (server.url_on("[::ffff:127.0.0.1]", "/"), "127.0.0.1"),
    ] {
        match strict.fetch(&request(url.clone())).await {
            Err(FetchError::Blocked {
                url: blocked,
                reason,
            }) => {
                assert_eq!(blocked, url.to_string());
                assert!(reason.contains(addr_hint), "{reason}");
            }
            other => panic!("{url}: expected Blocked, got {other:?}"),
        }
    }
    assert_eq!(
        server.total_requests(),
        0,
        "a blocked target must never be contacted"
    );

    let open = Fetcher::new(cfg()).expect("client");
    assert_eq!(&fetch_ok(&open, server.url("/")).await.body[..], b"private");
    assert_eq!(
        &fetch_ok(&open, server.url_on("localhost", "/")).await.body[..],
        b"private"
    );
}

/// "Khu công nghiệp Vân Phong được mở rộng" in windows-1258 (checked with Python's cp1258).
const CP1258_VAN_PHONG: &[u8] =
    b"Khu c\xf4ng nghi\xea\xf2p V\xe2n Phong \xf0\xfd\xf5\xf2c m\xf5\xd2 r\xf4\xf2ng";
const VAN_PHONG: &str = "Khu công nghiệp Vân Phong được mở rộng";

#[tokio::test]
async fn legacy_vietnamese_encodings_end_up_as_nfc_utf8() {
    let server = TestServer::start().await;
    let feed = [
        b"<?xml version=\"1.0\"?><rss><channel><title>".as_slice(),
        CP1258_VAN_PHONG,
        b"</title></channel></rss>",
    ]
    .concat();
    server.route(
        "/feed.xml",
        Reply::ok(feed).header(
            "Content-Type",
            "application/rss+xml; charset=\"Windows-1258\"",
        ),
    );
    let page = [b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\"></head><body><h1>".as_slice(), CP1258_VAN_PHONG, b"</h1></body></html>"].concat();
    server.route(
        "/tin.html",
        Reply::ok(page).header("Content-Type", "text/html"),
    );
    let fetcher = Fetcher::new(cfg()).expect("client");

    let fetched = fetch_ok(&fetcher, server.url("/feed.xml")).await;
    let charset = fetched
        .content_type
        .as_deref()
        .and_then(charset_from_content_type);
    assert_eq!(charset.as_deref(), Some("windows-1258"));
    let bytes = feed_bytes(&fetched.body, charset.as_deref());
    let xml: String = std::str::from_utf8(&bytes)
        .expect("transcoded to UTF-8")
        .nfc()
        .collect();
    assert_eq!(
        xml,
        format!("<?xml version=\"1.0\"?><rss><channel><title>{VAN_PHONG}</title></channel></rss>")
    );

    let fetched = fetch_ok(&fetcher, server.url("/tin.html")).await;
    let charset = fetched
        .content_type
        .as_deref()
        .and_then(charset_from_content_type);
    assert_eq!(charset, None);
    let html = decode_text(&fetched.body, charset.as_deref());
    assert!(html.contains(&format!("<h1>{VAN_PHONG}</h1>")), "{html}");
}

#[tokio::test]
async fn refused_connections_and_tls_failures_are_connect_errors() {
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let fetcher = Fetcher::new(cfg()).expect("client");
    let url = Url::parse(&format!("http://127.0.0.1:{port}/feed")).expect("url");
    match fetcher.fetch(&request(url)).await {
        Err(FetchError::Connect(msg)) => assert!(msg.contains("127.0.0.1"), "{msg}"),
        other => panic!("expected Connect, got {other:?}"),
    }

    // A plain-HTTP server on an https URL: the TLS handshake fails.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    let url = Url::parse(&format!("https://127.0.0.1:{port}/feed")).expect("url");
    for insecure_tls in [false, true] {
        let req = FetchRequest {
            insecure_tls,
            ..request(url.clone())
        };
        match fetcher.fetch(&req).await {
            Err(FetchError::Connect(msg)) => assert!(msg.contains("127.0.0.1"), "{msg}"),
            other => panic!("insecure_tls={insecure_tls}: expected Connect, got {other:?}"),
        }
    }
}
