use super::*;

#[tokio::test]
async fn one_key_waits_for_its_rendering_other_keys_do_not() {
    let cache = RenderCache::default();
    let first = cache.flight("/feed.xml?q=a");
    let turn = first.lock().await;
    let other = cache.flight("/feed.xml?q=b");
    assert!(
        other.slot.try_lock().is_ok(),
        "a distinct key renders at once"
    );
    let same = cache.flight("/feed.xml?q=a");
    assert!(same.slot.try_lock().is_err(), "the same key waits");
    drop(other);
    drop(turn);
    drop(first);
    assert_eq!(
        cache.flights.lock().unwrap().len(),
        1,
        "a waiter keeps the key"
    );
    let turn = same.lock().await;
    drop(turn);
    drop(same);
    assert!(cache.flights.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_dropped_request_hands_over_the_key() {
    let cache = Arc::new(RenderCache::default());
    let leader = cache.flight("k");
    let turn = leader.lock().await;
    let waiter = {
        let cache = cache.clone();
        tokio::spawn(async move {
            let f = cache.flight("k");
            let _turn = f.lock().await;
        })
    };
    tokio::task::yield_now().await;
    // The leader's client went away mid-render: its future is dropped.
    drop(turn);
    drop(leader);
    waiter.await.unwrap();
    assert!(cache.flights.lock().unwrap().is_empty());
}

fn rendered(next_url: Option<&str>) -> Rendered {
    let last_modified = DateTime::parse_from_rfc3339("2025-09-04T08:30:00Z")
        .unwrap()
        .with_timezone(&Utc);
    Rendered {
        generation: 1,
        body: Bytes::from_static(b"<rss/>"),
        gzip: Bytes::from_static(b"gz-bytes"),
        etag: "0a1b2c".into(),
        content_type: "application/rss+xml; charset=utf-8",
        last_modified,
        headers: Headers::new("0a1b2c", last_modified, next_url),
        used: 0,
    }
}

fn request(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(name, HeaderValue::from_str(value).unwrap());
    }
    h
}

fn header_of(resp: &Response, name: header::HeaderName) -> Option<&str> {
    resp.headers().get(name).map(|v| v.to_str().unwrap())
}

async fn body_of(resp: Response) -> Vec<u8> {
    axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn answers_carry_the_variant_tag_and_the_precomputed_headers() {
    let r = rendered(Some("http://127.0.0.1:8080/feed.xml?before=2025-09-01"));
    let gz = respond(&r, &request(&[(header::ACCEPT_ENCODING, "gzip")]));
    assert_eq!(gz.status(), StatusCode::OK);
    assert_eq!(header_of(&gz, header::ETAG), Some("\"0a1b2c-gz\""));
    assert_eq!(header_of(&gz, header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(
        header_of(&gz, header::LAST_MODIFIED),
        Some("Thu, 04 Sep 2025 08:30:00 GMT")
    );
    assert_eq!(header_of(&gz, header::VARY), Some("Accept-Encoding"));
    assert_eq!(
        header_of(&gz, header::CACHE_CONTROL),
        Some("public, max-age=60")
    );
    assert_eq!(
        header_of(&gz, header::CONTENT_TYPE),
        Some("application/rss+xml; charset=utf-8")
    );
    assert_eq!(
        header_of(&gz, header::LINK),
        Some("<http://127.0.0.1:8080/feed.xml?before=2025-09-01>; rel=\"next\"")
    );
    assert_eq!(body_of(gz).await, b"gz-bytes");

    let plain = respond(&r, &HeaderMap::new());
    assert_eq!(header_of(&plain, header::ETAG), Some("\"0a1b2c\""));
    assert_eq!(header_of(&plain, header::CONTENT_ENCODING), None);
    assert_eq!(body_of(plain).await, b"<rss/>");

    // A next URL that is no header value costs the header only.
    let bad = rendered(Some("http://x/\nfeed"));
    let resp = respond(&bad, &HeaderMap::new());
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header_of(&resp, header::LINK), None);
    assert_eq!(
        header_of(&respond(&rendered(None), &HeaderMap::new()), header::LINK),
        None
    );
}

#[test]
fn either_variants_tag_and_a_late_enough_date_answer_304() {
    let r = rendered(None);
    let status = |pairs: &[(header::HeaderName, &str)]| respond(&r, &request(pairs)).status();
    for inm in [
        "\"0a1b2c\"",
        "\"0a1b2c-gz\"",
        "W/\"0a1b2c-gz\"",
        "\"other\", \"0a1b2c\"",
        "*",
    ] {
        assert_eq!(
            status(&[(header::IF_NONE_MATCH, inm)]),
            StatusCode::NOT_MODIFIED,
            "{inm}"
        );
    }
    for inm in ["\"0a1b2\"", "\"0a1b2c-br\"", "\"-gz\"", "\"x0a1b2c\""] {
        assert_eq!(
            status(&[(header::IF_NONE_MATCH, inm)]),
            StatusCode::OK,
            "{inm}"
        );
    }
    let since = header::IF_MODIFIED_SINCE;
    assert_eq!(
        status(&[(since.clone(), "Thu, 04 Sep 2025 08:30:00 GMT")]),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        status(&[(since.clone(), "Thu, 04 Sep 2025 08:29:59 GMT")]),
        StatusCode::OK
    );
    // A tag that does not match wins over a date that would.
    assert_eq!(
        status(&[
            (header::IF_NONE_MATCH, "\"stale\""),
            (since, "Fri, 05 Sep 2025 00:00:00 GMT")
        ]),
        StatusCode::OK
    );
    let resp = respond(&r, &request(&[(header::IF_NONE_MATCH, "\"0a1b2c\"")]));
    assert_eq!(header_of(&resp, header::ETAG), Some("\"0a1b2c\""));
    assert_eq!(header_of(&resp, header::CONTENT_TYPE), None);
}

#[test]
fn gzip_negotiation() {
    let mut h = HeaderMap::new();
    h.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("br, gzip;q=0.8"),
    );
    assert!(accepts_gzip(&h));
    h.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip;q=0, br"),
    );
    assert!(!accepts_gzip(&h));
    assert!(!accepts_gzip(&HeaderMap::new()));
}
