//! The corpus served over HTTP with the headers its MANIFEST names, and fetched the way
//! the poller fetches.

use super::*;

pub(super) struct Served {
    pub(super) root: PathBuf,
    pub(super) headers: HashMap<String, Vec<(String, String)>>,
}

pub(super) async fn serve_file(State(st): State<Arc<Served>>, uri: Uri) -> Response {
    let rel = uri.path().trim_start_matches('/').to_string();
    if rel.split('/').any(|s| s == ".." || s.is_empty()) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let Ok(body) = tokio::fs::read(st.root.join(&rel)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let needed = st.headers.get(&rel).cloned().unwrap_or_default();
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    let ct = content_type_for(&rel, &needed);
    if let Ok(v) = HeaderValue::from_str(&ct) {
        h.insert(axum::http::header::CONTENT_TYPE, v);
    }
    for (name, value) in needed.iter().filter(|(n, _)| n != "content-type") {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            h.insert(n, v);
        }
    }
    resp
}

/// Fetch like the poller does.
pub(super) async fn fetch(
    fetcher: &Fetcher,
    url: &Url,
) -> Result<(bytes::Bytes, Option<String>, Url), String> {
    let req = FetchRequest {
        url: url.clone(),
        etag: None,
        last_modified: None,
        insecure_tls: false,
    };
    match fetcher.fetch(&req).await {
        Ok(FetchOutcome::Fetched(f)) => Ok((f.body, f.content_type, f.final_url)),
        Ok(FetchOutcome::NotModified) => Err("304 without a validator".into()),
        Err(e) => Err(format!("fetch failed: {e}")),
    }
}

/// The server really serves corpus bytes with the MANIFEST's headers (checked with a
/// plain client, so this holds whatever state `fetch` is in).
pub(super) async fn server_self_check(origin: &str, root: &Path) {
    let file = "encoding/feedparser__encoding__http_text_xml_default.xml";
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp = client.get(format!("{origin}/{file}")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/xml"),
        "the MANIFEST names Content-type:text/xml for {file}"
    );
    let body = resp.bytes().await.unwrap();
    assert_eq!(
        body.as_ref(),
        std::fs::read(root.join(file)).unwrap().as_slice()
    );
    let missing = client
        .get(format!("{origin}/no/such/file.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
