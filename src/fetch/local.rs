//! `file://` sources (tests, mirrored sites): read from disk under the same size cap.

use std::path::Path;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use url::Url;

use super::{FetchError, FetchOutcome, Fetched};

pub(super) async fn read_file(url: &Url, cap: u64) -> Result<FetchOutcome, FetchError> {
    let path = url
        .to_file_path()
        .map_err(|()| FetchError::InvalidUrl(url.to_string()))?;
    let io_error = |e: std::io::Error| FetchError::Other(format!("{}: {e}", path.display()));
    let file = tokio::fs::File::open(&path).await.map_err(io_error)?;
    let len = file.metadata().await.map_err(io_error)?.len();
    if len > cap {
        return Err(FetchError::TooLarge { cap });
    }
    // The file may grow between the metadata call and the read.
    let mut body = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .await
        .map_err(io_error)?;
    if body.len() as u64 > cap {
        return Err(FetchError::TooLarge { cap });
    }
    Ok(FetchOutcome::Fetched(Fetched {
        final_url: url.clone(),
        status: 200,
        body: Bytes::from(body),
        content_type: content_type_for(&path).map(str::to_string),
        etag: None,
        last_modified: None,
        permanent_redirect: None,
        max_age: None,
    }))
}

/// What a web server would have said, so that callers can tell feeds from pages the same
/// way for both kinds of source.
fn content_type_for(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "xml" | "rss" | "atom" | "rdf" => "application/xml",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "txt" => "text/plain",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        let cases = [
            ("feed.xml", Some("application/xml")),
            ("tin.RSS", Some("application/xml")),
            ("index.html", Some("text/html")),
            ("feed.json", Some("application/json")),
            ("data.bin", None),
            ("noext", None),
        ];
        for (name, want) in cases {
            assert_eq!(content_type_for(Path::new(name)), want, "{name}");
        }
    }
}
