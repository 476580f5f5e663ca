//! Tests of the scans that stand in for a parse: the pruning pre-scan of `<img` tags and
//! the reading of sanitised HTML as text. Each is checked against the parse it replaces.

use super::prescan::{ImgTag, LAZY_ATTRIBUTES, img_tags, may_prune};
use super::tests::{HOSTILE, base, elements};
use super::*;

/// The HTML fixture pages (real sites' list and article pages), sorted by name.
fn fixture_pages() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    paths.sort();
    let pages: Vec<String> = paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    assert!(pages.len() >= 5, "fixtures in {}", dir.display());
    pages
}

/// The scan that skips the pruning parse must never skip it when the parse would remove
/// something: every input here loses an element (or a pixel) and must keep doing so.
#[test]
fn the_prune_scan_never_skips_what_the_parse_would_remove() {
    let base = base();
    for html in [
        r#"<img src="https://a.vn/1.jpg"><img src="https://t.vn/p.gif" width="1" height="1">"#,
        r#"<img src="https://a.vn/1.jpg" WIDTH='0' Height=0>"#,
        r#"<img width="1" src="https://a.vn/1.jpg" height="1px">"#,
        r#"<img src="https://pixel.wp.com/g.gif" alt="x">"#,
        r#"<img alt="no source">"#,
        r#"<img src="javascript:alert(1)">"#,
        r#"<img src="https://a.vn/1.jpg" width="&#49;" height="&#49;">"#,
        r#"<img src="https://pixel.wp.com&#47;g.gif">"#,
        r#"<p>a<img/src="https://pixel.wp.com/g.gif">b</p>"#,
        r#"<iframe src="https://evil.example/x"></iframe>"#,
        r#"<p>a<IMAGE src="https://t.vn/p.gif" width="1" height="1">b</p>"#,
        r#"<iframe src="https://www.youtube.com/embed/x">fallback</iframe>"#,
        // Fuzzing: a `>` inside a quoted value, `src=` inside another attribute's value.
        "<img src='a:>'>",
        r#"<img alt="x" src="javascript:a>b">"#,
        "<img s= src=\0>",
        r#"<img alt=" src=https://a.vn/1.jpg">"#,
        // A `<img` inside a bogus comment, whose `>` ends the comment before a real one.
        "<</x <img src='a>' <img alt=x>",
    ] {
        let _guard = BaseGuard::set(Some(&base));
        assert!(may_prune(html), "{html}");
    }
    let b = base.clone();
    for html in [
        "<img src='a:>'>",
        "<p>x<img src=\"javascript:>\">y</p>",
        "<img s= src=\0>",
        "<</x <img src='a>' <img alt=x>",
    ] {
        let out = sanitize_html(html, Some(&b));
        assert!(!out.contains("<img"), "{html} gave {out}");
    }
    assert_eq!(
        sanitize_html(
            r#"<p>a<image src="https://t.vn/p.gif" width="1" height="1">b</p>"#,
            None
        ),
        "<p>ab</p>",
        "an <image> pixel is pruned like an <img> one"
    );
    // One `Some` or `None` for every `<img` that starts a tag.
    for (html, tags) in [
        ("<p>a<IMG src=x>b<imgx src=y><img-x src=z><img", 2),
        ("<img/src=a><iMg\tsrc=b width=1 >< img><img_x>", 2),
        ("<img", 1),
        // A `<img` inside another tag's value is read too.
        ("<img alt='<img src=x>' src=y>", 2),
    ] {
        assert_eq!(img_tags(html).count(), tags, "{html}");
    }
}

/// The scan reads `src`, `width` and `height` as the parser does, or declines: on tags
/// written to trip a pattern, on hostile input and on real pages.
#[test]
fn the_img_scan_reads_what_the_parser_reads() {
    let read = |src, width, height| Some(ImgTag { src, width, height });
    let cases: &[(&str, Option<ImgTag<'_>>)] = &[
        ("<img src=a>", read(Some("a"), None, None)),
        (
            "<IMG SRC = 'a b' Width=\"1\" HEIGHT=2/>",
            read(Some("a b"), Some("1"), Some("2/")),
        ),
        ("<img\nalt='>' src=a>", read(Some("a"), None, None)),
        (
            "<img src=a src=b width=1 width=2>",
            read(Some("a"), Some("1"), None),
        ),
        ("<img alt=\" src=b\" width=1>", read(None, Some("1"), None)),
        ("<img s= src=b>", read(None, None, None)),
        ("<img =src=b src=c>", read(Some("c"), None, None)),
        ("<img src=\"a\"width=1>", read(Some("a"), Some("1"), None)),
        ("<img src=a/ width=1>", read(Some("a/"), Some("1"), None)),
        ("<img src=>", read(Some(""), None, None)),
        ("<img/src/=a>", read(Some(""), None, None)),
        ("<img src='a&amp;b'>", None),
        ("<img src=a\0>", None),
        ("<img src='a>", None),
        ("<img src=a", None),
    ];
    for (html, want) in cases {
        let got: Vec<_> = img_tags(html).collect();
        assert_eq!(got.as_slice(), std::slice::from_ref(want), "{html}");
    }
    let pages = fixture_pages();
    let img = Selector::parse("img").unwrap();
    let mut compared = 0;
    for html in HOSTILE
        .iter()
        .copied()
        .chain(cases.iter().map(|(h, _)| *h))
        .chain(pages.iter().map(String::as_str))
    {
        let scanned: Option<Vec<ImgTag<'_>>> = img_tags(html).collect();
        let Some(scanned) = scanned else { continue };
        let doc = Html::parse_fragment(html);
        let parsed: Vec<_> = doc
            .select(&img)
            .map(|e| {
                let a = |n| e.value().attr(n).map(str::to_string);
                (a("src"), a("width"), a("height"))
            })
            .collect();
        let scanned: Vec<_> = scanned
            .iter()
            .map(|t| {
                let own = |v: Option<&str>| v.map(str::to_string);
                (own(t.src), own(t.width), own(t.height))
            })
            .collect();
        // The scan also reads `<img` where the parser makes no element (in raw text, a
        // comment, an attribute value): that only makes it answer "parse" more often. Every
        // element the parser makes must be read alike, in order.
        let mut rest = scanned.iter();
        for p in &parsed {
            assert!(
                rest.any(|s| s == p),
                "{html}: parser read {p:?}, scan {scanned:?}"
            );
        }
        compared += usize::from(!parsed.is_empty());
    }
    assert!(compared >= 20, "{compared}");
}

#[test]
fn the_prune_scan_lets_ordinary_images_through() {
    let base = base();
    // Ordinary images: the scan lets them through, and they come out with their source.
    for (html, src) in [
        (
            r#"<p><img src="https://a.vn/1.jpg" alt="Toàn cảnh" width="600" height="1"></p>"#,
            "https://a.vn/1.jpg",
        ),
        (
            r#"<figure><IMG SRC='/Uploads/h2.jpg'><figcaption>x</figcaption></figure>"#,
            "https://bqlkkt.khanhhoa.gov.vn/Uploads/h2.jpg",
        ),
        (
            r#"<img src=https://a.vn/2.jpg width=1>"#,
            "https://a.vn/2.jpg",
        ),
    ] {
        {
            let _guard = BaseGuard::set(Some(&base));
            assert!(!may_prune(html), "{html}");
        }
        let out = sanitize_html(html, Some(&base));
        let doc = Html::parse_fragment(&out);
        let imgs = elements(&doc, "img");
        assert_eq!(imgs.len(), 1, "{out}");
        assert_eq!(imgs[0].value().attr("src"), Some(src), "{out}");
    }
}

/// The lazy-image rewrite gives every `<img>` the parser makes from a tag with a lazy
/// attribute that attribute's value as its `src`, and changes nothing else the parser
/// reads: no other attribute, no other element, no text.
#[test]
fn lazy_images_are_promoted_as_the_parser_reads_them() {
    use std::collections::BTreeMap;
    let crafted = [
        r#"<img class="lazy" src="/blank.gif" data-src="/real.jpg" alt="x">"#,
        // A `>` inside a quoted value: the pattern this replaced stopped there.
        r#"<img alt="a > b" src="/blank.gif" data-src="/real.jpg">"#,
        // `src=` inside another value is text: the pattern removed it from the `alt`.
        r#"<img alt="see src=x" data-src='/real.jpg' src=/blank.gif>"#,
        // A `<img` inside a value is not a tag.
        r#"<img alt='<img data-src=/x.jpg>' src=/ok.jpg>"#,
        // Unquoted values may hold quotes; blank lazy values are passed over.
        r#"<IMG/DATA-ORIGINAL=/a"b'c.jpg><img src=/ok.jpg data-src="  ">"#,
        "<img src=/ok.jpg data-src='\u{1}\t' data-original=/real.jpg>",
        r#"<img data-src=/a&amp;b.jpg data-lazy-src=/second.jpg>"#,
        // The parser keeps the first of duplicates, blank or not.
        r#"<img src=/ok.jpg data-src="" data-src=/dup.jpg><img data-src=a data-src=b>"#,
        "<p>a</p><img data-src=/x.jpg",
    ];
    let pages = fixture_pages();
    type Attrs = BTreeMap<String, String>;
    let images = |html: &str| -> (Vec<Attrs>, String) {
        let doc = Html::parse_fragment(html);
        let imgs = elements(&doc, "img")
            .iter()
            .map(|e| {
                e.value()
                    .attrs()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect();
        let mut rest = Html::parse_fragment(html);
        let ids: Vec<_> = rest
            .select(&Selector::parse("img").unwrap())
            .map(|e| e.id())
            .collect();
        for id in ids {
            if let Some(mut node) = rest.tree.get_mut(id) {
                node.detach();
            }
        }
        (imgs, rest.root_element().html())
    };
    let mut promoted = 0;
    for input in crafted
        .iter()
        .copied()
        .chain(HOSTILE.iter().copied())
        .chain(pages.iter().map(String::as_str))
    {
        let rewritten = promote_lazy_images(input);
        let (before, rest_before) = images(input);
        let (after, rest_after) = images(rewritten.as_deref().unwrap_or(input));
        assert_eq!(rest_before, rest_after, "{input}");
        assert_eq!(before.len(), after.len(), "{input}");
        for (b, a) in before.iter().zip(&after) {
            let lazy: Vec<&String> = LAZY_ATTRIBUTES
                .iter()
                .filter_map(|n| b.get(*n))
                .filter(|v| !is_empty_url(v))
                .collect();
            let mut want = b.clone();
            match lazy.as_slice() {
                [] => {}
                [one] => {
                    want.insert("src".into(), one.to_string());
                }
                // The tree has lost the attributes' order; the first one is asserted below.
                more => {
                    let src = a.get("src").cloned().unwrap_or_default();
                    assert!(more.contains(&&src), "{input}: {a:?}");
                    want.insert("src".into(), src);
                }
            }
            promoted += usize::from(!lazy.is_empty());
            assert_eq!(a, &want, "{input}");
        }
    }
    assert!(promoted >= 8, "{promoted}");
    let src_of = |html: &str| {
        let (imgs, _) = images(&promote_lazy_images(html).unwrap_or_default());
        imgs.iter()
            .map(|a| a.get("src").cloned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        src_of(crafted[5]),
        [Some("/real.jpg".to_string())],
        "a lazy value of only controls and spaces is passed over"
    );
    assert_eq!(
        src_of(crafted[6]),
        [Some("/a&b.jpg".to_string())],
        "the first lazy attribute wins"
    );
    assert_eq!(
        src_of(crafted[7]),
        [Some("/ok.jpg".to_string()), Some("a".to_string())]
    );
    assert_eq!(promote_lazy_images(crafted[8]), None);
}

#[test]
fn case_insensitive_search_finds_every_spelling() {
    for (hay, needle, want) in [
        ("<p data-SRC=x>", "data-src", true),
        ("dddata-srd data-sr", "data-src", false),
        ("Data-Lazy-Src", "data-lazy-src", true),
        ("<IFRAME", "<iframe", true),
        ("<ifram", "<iframe", false),
        ("ệ<iframe", "<iframe", true),
        ("", "x", false),
        ("abc", "", true),
    ] {
        assert_eq!(
            contains_ignore_ascii_case(hay, needle),
            want,
            "{hay:?} {needle:?}"
        );
    }
}

/// Reading sanitiser output by scan gives what parsing it gives, on hostile input, on
/// real pages, and on the shapes the scan must refuse (then it parses).
#[test]
fn sanitized_text_by_scan_matches_the_parse() {
    use crate::text::{html_to_text, sanitized_html_to_text};
    let pages = fixture_pages();
    let crafted = [
        "<p>Khánh&nbsp;Hòa &amp; Hưng Yên</p><p>a&lt;b&gt;c</p>",
        "<b>Khánh</b>Hòa<br>KCN<hr>VSIP<ul><li>một</li><li>hai</li></ul>",
        r#"<img src="https://a.vn/1.jpg" alt="a > b &quot;c&quot;">x"#,
        r#"<p>a<iframe src="https://www.youtube.com/embed/x">fallback</iframe>b</p>"#,
        "<pre>\nline\n  two</pre><table><tr><td>ô</td>text</tr></table>",
        "<p>a</p>\u{feff}<div>b",
    ];
    let b = base();
    let mut scanned = 0;
    for input in HOSTILE
        .iter()
        .copied()
        .chain(crafted)
        .chain(pages.iter().map(String::as_str))
    {
        for base in [None, Some(&b)] {
            let clean = sanitize_html(input, base);
            assert_eq!(
                sanitized_html_to_text(&clean),
                html_to_text(&clean),
                "{input}\n→ {clean}"
            );
            scanned += usize::from(crate::text::scan_for_tests(&clean).is_some());
        }
    }
    // The scan, not the fallback, read most of them.
    let total = 2 * (HOSTILE.len() + crafted.len() + pages.len());
    assert!(scanned * 10 >= total * 9, "{scanned} of {total} scanned");
    // Shapes the serializer never writes are refused.
    for odd in [
        "<p class=x>a</p>",
        "<!-- c -->a",
        "a &copy; b",
        "<P>a</P>",
        "<script>a</script>",
        "<p title=\"a",
        "a < b",
    ] {
        assert!(crate::text::scan_for_tests(odd).is_none(), "{odd}");
    }
}
