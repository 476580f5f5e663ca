//! OPML 2.0: writing our source list, reading outlines from someone else's.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{OpmlError, Outline, esc_attr, esc_text, source_feed_url, xml_clean};
use crate::model::SourceInfo;

/// An OPML file with more outlines than this is not a subscription list.
const MAX_OUTLINES: usize = 10_000;

pub(super) fn render(title: &str, base_url: &str, sources: &[SourceInfo]) -> String {
    let mut out = String::with_capacity(512 + sources.len() * 256);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n");
    let _ = writeln!(
        out,
        "<head>\n<title>{}</title>\n</head>\n<body>",
        esc_text(title)
    );
    for s in sources {
        // OPML readers treat xmlUrl as a feed, so an HTML source keeps its page as htmlUrl.
        let xml_url = source_feed_url(base_url, s);
        let html_url = (s.kind == "html").then_some(s.url.as_str());
        let _ = write!(
            out,
            "<outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{}\"",
            esc_attr(&xml_url),
            name = esc_attr(&s.name),
        );
        if let Some(h) = html_url {
            let _ = write!(out, " htmlUrl=\"{}\"", esc_attr(h));
        }
        out.push_str("/>\n");
    }
    out.push_str("</body>\n</opml>\n");
    out
}

/// Decodes `&amp;`-style predefined entities and numeric references, leaving anything
/// else as written. Used when a value holds an entity XML does not define (HTML's
/// `&nbsp;` is common in hand-edited OPML), which the strict decoder rejects; such
/// entities are never expanded from a DTD.
fn lenient_unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&semi| semi <= 12).and_then(|semi| {
            let name = &after[..semi];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((ch, semi))
        });
        match decoded {
            Some((ch, semi)) => {
                out.push(ch);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The outline's attributes we care about; names matched case-insensitively because
/// exporters write `xmlUrl`, `xmlurl` and `XMLURL`.
fn outline_of(e: &BytesStart<'_>) -> Result<Option<Outline>, OpmlError> {
    let mut xml_url = None;
    let mut html_url = None;
    let mut title = None;
    let mut text = None;
    for attr in e.attributes() {
        let attr = attr.map_err(|e| OpmlError(format!("malformed attribute: {e}")))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).to_ascii_lowercase();
        let slot = match key.as_str() {
            "xmlurl" => &mut xml_url,
            "htmlurl" => &mut html_url,
            "title" => &mut title,
            "text" => &mut text,
            _ => continue,
        };
        let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => lenient_unescape(&String::from_utf8_lossy(&attr.value)),
        };
        let value = xml_clean(value.trim()).into_owned();
        if !value.is_empty() {
            *slot = Some(value);
        }
    }
    Ok(xml_url.map(|xml_url| Outline {
        title: title.or(text).unwrap_or_else(|| xml_url.clone()),
        xml_url,
        html_url,
    }))
}

pub(super) fn parse(xml: &str) -> Result<Vec<Outline>, OpmlError> {
    let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut out = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            OpmlError(format!(
                "malformed XML near byte {}: {e}",
                reader.error_position()
            ))
        })?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name();
                if !seen_root {
                    if !name.as_ref().eq_ignore_ascii_case(b"opml") {
                        return Err(OpmlError(format!(
                            "not OPML: root element is <{}>",
                            String::from_utf8_lossy(name.as_ref())
                        )));
                    }
                    seen_root = true;
                } else if name.as_ref().eq_ignore_ascii_case(b"outline")
                    && let Some(o) = outline_of(e)?
                {
                    if out.len() >= MAX_OUTLINES {
                        return Err(OpmlError(format!("more than {MAX_OUTLINES} feed outlines")));
                    }
                    out.push(o);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err(OpmlError("not OPML: no root element".to_string()));
    }
    if depth != 0 {
        return Err(OpmlError(
            "malformed XML: document ends inside an element".to_string(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testdata::*;
    use super::*;

    fn sorted_sources() -> Vec<SourceInfo> {
        let mut v: Vec<SourceInfo> = sources().into_values().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    #[test]
    fn round_trip_through_parse() {
        let mut srcs = sorted_sources();
        srcs[0].name = "BQL \"KCN\" & <Đồng Nai>".to_string();
        srcs[0].url = "https://dongnai.example.vn/feed?a=1&b=2".to_string();
        let xml = render("Nguồn tin KCN", "http://127.0.0.1:8080", &srcs);
        let outlines = parse(&xml).expect("our OPML parses");
        assert_eq!(outlines.len(), srcs.len());
        for (o, s) in outlines.iter().zip(&srcs) {
            assert_eq!(o.title, s.name);
            if s.kind == "html" {
                assert_eq!(
                    o.xml_url,
                    format!("http://127.0.0.1:8080/feed.xml?source={}", s.id)
                );
                assert_eq!(o.html_url.as_deref(), Some(s.url.as_str()));
            } else {
                assert_eq!(o.xml_url, s.url);
                assert_eq!(o.html_url, None);
            }
        }
    }

    #[test]
    fn nested_mixed_case_and_entities() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY boom "x">]>
<OPML version="1.0"><head><title>t</title></head><body>
  <outline text="Nhóm">
    <outline text="A &amp; B" xmlurl="https://a.vn/rss?x=1&amp;y=2" HTMLURL="https://a.vn/"/>
    <outline title="Tiêu&#273;&#x1EC1;" text="ignored" xmlUrl="https://b.vn/feed"/>
    <outline text="No feed" htmlUrl="https://c.vn/"/>
    <outline text="Lenient&nbsp;&boom;" xmlUrl="https://d.vn/f"/>
  </outline>
  <outline xmlUrl="https://e.vn/x"></outline>
</body></OPML>"#;
        let got = parse(xml).expect("parses");
        let want = vec![
            Outline {
                title: "A & B".into(),
                xml_url: "https://a.vn/rss?x=1&y=2".into(),
                html_url: Some("https://a.vn/".into()),
            },
            Outline {
                title: "Tiêuđề".into(),
                xml_url: "https://b.vn/feed".into(),
                html_url: None,
            },
            Outline {
                title: "Lenient\u{a0}&boom;".into(),
                xml_url: "https://d.vn/f".into(),
                html_url: None,
            },
            Outline {
                title: "https://e.vn/x".into(),
                xml_url: "https://e.vn/x".into(),
                html_url: None,
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn rejects_non_opml_and_malformed() {
        let cases = [
            ("", "no root"),
            (
                "<rss version=\"2.0\"><channel/></rss>",
                "root element is <rss>",
            ),
            (
                "<opml><body><outline xmlUrl=\"a\"></body></opml>",
                "malformed",
            ),
            ("<opml><body><outline xmlUrl=\"a\"/>", "ends inside"),
            (
                "<opml><body><outline xmlUrl=\"a/></body></opml>",
                "malformed",
            ),
        ];
        for (input, want) in cases {
            match parse(input) {
                Ok(v) => panic!("{input:?} parsed as {v:?}"),
                Err(e) => assert!(e.to_string().contains(want), "{input:?}: {e}"),
            }
        }
    }

    #[test]
    fn lenient_unescape_cases() {
        let cases = [
            ("a &amp; b", "a & b"),
            ("&#273;&#x1EC1;", "đề"),
            ("&unknown; & ;", "&unknown; & ;"),
            ("&#xZZ;", "&#xZZ;"),
        ];
        for (input, want) in cases {
            assert_eq!(lenient_unescape(input), want, "{input:?}");
        }
    }
}
