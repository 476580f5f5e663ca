use crate::Failure;
use zonewire::config::Config;

pub(crate) async fn probe(
    url: &str,
    config_path: &std::path::Path,
    source: Option<String>,
    preset: Option<String>,
    allow_private: bool,
) -> Result<(), Failure> {
    use zonewire::extract::{self, HtmlConfig, HtmlRules};
    let config = if config_path.exists() {
        Some(Config::load(config_path)?)
    } else {
        None
    };
    let url = url::Url::parse(url).map_err(|e| Failure::Input(format!("bad URL {url:?}: {e}")))?;
    let mut fetch_cfg = config
        .as_ref()
        .map(|c| c.poll.fetch.clone())
        .unwrap_or_default();
    fetch_cfg.allow_private |= allow_private;
    let rules = match (&source, &preset) {
        (Some(id), _) => {
            let cfg = config
                .as_ref()
                .ok_or_else(|| Failure::Input("--source needs a config".into()))?;
            let s = cfg
                .source(id)
                .ok_or_else(|| Failure::Input(format!("unknown source id {id:?}")))?;
            Some(s.html.clone().ok_or_else(|| {
                Failure::Input(format!("source {id:?} has no [source.html] selectors"))
            })?)
        }
        (None, Some(p)) => Some(
            HtmlRules::compile(&HtmlConfig {
                preset: Some(p.clone()),
                ..HtmlConfig::default()
            })
            .map_err(|e| Failure::Input(e.to_string()))?,
        ),
        (None, None) => None,
    };
    let fetcher =
        zonewire::fetch::Fetcher::new(fetch_cfg).map_err(|e| Failure::Runtime(e.to_string()))?;
    let req = zonewire::fetch::FetchRequest {
        url: url.clone(),
        etag: None,
        last_modified: None,
        insecure_tls: false,
    };
    let page = match fetcher.fetch(&req).await {
        Ok(zonewire::fetch::FetchOutcome::Fetched(f)) => f,
        Ok(_) => return Err(Failure::Runtime("server answered 304".into())),
        Err(e) => return Err(Failure::Runtime(format!("{url}: {e}"))),
    };
    let cs = page
        .content_type
        .as_deref()
        .and_then(zonewire::charset::charset_from_content_type);
    let html = zonewire::charset::decode_text(&page.body, cs.as_deref());
    let now = chrono::Utc::now().with_timezone(&zonewire::model::vn_offset());
    for link in extract::feed_links(&html, &page.final_url) {
        println!("feed advertised: {link}");
    }
    match rules {
        Some(rules) => {
            let entries = extract::extract_list(&html, &page.final_url, &rules, now)
                .map_err(|e| Failure::Runtime(e.to_string()))?;
            println!("{} items", entries.len());
            for e in entries {
                println!(
                    "- {}\n  link: {}\n  date: {}",
                    e.title,
                    e.link.unwrap_or_default(),
                    e.published
                        .map(|d| d.to_rfc3339())
                        .or(e.unparsed_date.map(|u| format!("unparsed {u:?}")))
                        .unwrap_or_else(|| "-".into())
                );
            }
        }
        None => {
            let suggestions = extract::suggest(&html, &page.final_url);
            if suggestions.is_empty() {
                println!("no repeated link blocks found on {}", page.final_url);
            }
            for (i, s) in suggestions.iter().take(3).enumerate() {
                println!("suggestion {} ({} items):", i + 1, s.count);
                println!(
                    "  [source.html]\n  item = {:?}\n  title = {:?}\n  link = {:?}",
                    s.item, s.title, s.link
                );
                if let Some(d) = &s.date {
                    println!("  date = {d:?}");
                }
                for (title, link) in &s.samples {
                    println!("    e.g. {title} → {link}");
                }
            }
        }
    }
    Ok(())
}
