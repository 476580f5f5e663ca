/// Fuzzing found inputs whose canonical form changed when canonicalised again.
#[test]
fn canonical_form_is_a_fixed_point() {
    let base = url::Url::parse("https://a.vn/p&amp;q/").unwrap();
    let cases: Vec<(&str, Option<&url::Url>)> = vec![
        ("x", Some(&base)),
        ("http://a.vn/&a\nmp;", None),
        ("http://a.vn/?x=1&a\tmp;y=2", None),
        ("http://a.vn/?q=&amp;amp;amp;amp;x", None),
    ];
    for (raw, b) in cases {
        let once = super::canonicalize(raw, b).unwrap();
        assert_eq!(
            super::canonicalize(&once, None).as_deref(),
            Some(once.as_str()),
            "{raw:?}"
        );
    }
    assert_eq!(
        super::canonicalize(&format!("https://a.vn/{}", "x".repeat(20_000)), None),
        None
    );
    // Under the length limit raw, over it once escaped: refused on the first pass too, or
    // the second would refuse what the first returned.
    let quoted = format!("https://a.vn/{}", "\"".repeat(6_000));
    assert!(quoted.len() <= MAX_URL_BYTES);
    assert_eq!(super::canonicalize(&quoted, None), None);
    let fits = format!("https://a.vn/{}", "\"".repeat(5_000));
    let once = super::canonicalize(&fits, None).unwrap();
    assert!(once.len() > fits.len(), "{once}");
    assert_eq!(
        super::canonicalize(&once, None).as_deref(),
        Some(once.as_str())
    );
}

use super::*;
use unicode_normalization::UnicodeNormalization;

fn base() -> Url {
    Url::parse("https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/index.html").unwrap()
}

#[test]
fn canonicalize_table() {
    let vanphong = "https://vanphong.khanhhoa.gov.vn/quy-hoach-phan-khu/khu-%C4%91%C3%B4-th%E1%BB%8B-du-l%E1%BB%8Bch-ninh-h%E1%BA%A3i-d%E1%BB%91c-l%E1%BA%BFt";
    let nfd_path = "https://vanphong.khanhhoa.gov.vn/quy-hoach-phan-khu/khu-\u{111}o\u{302}-thi\u{323}-du-li\u{323}ch-ninh-ha\u{309}i-do\u{302}\u{301}c-le\u{302}\u{301}t";
    let cases: &[(&str, Option<&str>, Option<&str>)] = &[
        // (raw, base?, expected) — base None means "no base".
        (vanphong, None, Some(vanphong)),
        (
            "https://vanphong.khanhhoa.gov.vn/quy-hoach-phan-khu/khu-đô-thị-du-lịch-ninh-hải-dốc-lết",
            None,
            Some(vanphong),
        ),
        (nfd_path, None, Some(vanphong)),
        (
            "https://vanphong.khanhhoa.gov.vn/quy-hoach-phan-khu/khu-%c4%91%c3%b4-th%e1%bb%8b-du-l%e1%bb%8bch-ninh-h%e1%ba%a3i-d%e1%bb%91c-l%e1%ba%bft/",
            None,
            Some(vanphong),
        ),
        (
            "http://www.hepza.gov.vn/web/hepza-eng/development-history-of-hepza;jsessionid=88E523AA090895947D45A00896B3DAE7",
            None,
            Some("http://www.hepza.gov.vn/web/hepza-eng/development-history-of-hepza"),
        ),
        (
            "http://www.hepza.gov.vn/web/hepza/tin-tuc;JSESSIONID=88E523AA?p_p_id=101&p_p_lifecycle=0&p_p_state=maximized&p_p_mode=view&p_p_col_id=column-2&p_p_col_count=1",
            None,
            Some("http://www.hepza.gov.vn/web/hepza/tin-tuc?p_p_id=101"),
        ),
        (
            "https://bacninh.gov.vn/doanh-nghiep?p_p_id=mainnews&p_p_lifecycle=2&p_p_resource_id=loadPage",
            None,
            Some(
                "https://bacninh.gov.vn/doanh-nghiep?p_p_id=mainnews&p_p_lifecycle=2&p_p_resource_id=loadPage",
            ),
        ),
        (
            "https://heza.gov.vn/phong-su-fdi/?utm_source=facebook&utm_medium=social&fbclid=IwAR0abc",
            None,
            Some("https://heza.gov.vn/phong-su-fdi"),
        ),
        (
            "https://example.vn/tin?id=5&gclid=x&msclkid=y&_ga=2.1&mc_cid=a&mc_eid=b&yclid=1&igshid=z&dclid=q",
            None,
            Some("https://example.vn/tin?id=5"),
        ),
        (
            "https://baomoi.vn/a.epi?zarsrc=30&zacc=1&utm_Campaign=x",
            None,
            Some("https://baomoi.vn/a.epi"),
        ),
        (
            "https://example.vn/a?ref=rss&ref_src=twsrc%5Etfw",
            None,
            Some("https://example.vn/a"),
        ),
        (
            "https://example.vn/a?ref=12345",
            None,
            Some("https://example.vn/a?ref=12345"),
        ),
        (
            "https://example.vn/a.php?PHPSESSID=0a1b2c3d&sid=5f2b3c4d5e6f7a8b9c0d&id=9",
            None,
            Some("https://example.vn/a.php?id=9"),
        ),
        (
            "https://example.vn/a.php?sid=12",
            None,
            Some("https://example.vn/a.php?sid=12"),
        ),
        (
            "https://example.vn/x.aspx?ASP.NET_SessionId=abc&ItemID=7",
            None,
            Some("https://example.vn/x.aspx?ItemID=7"),
        ),
        (
            "http://hiza.gov.vn/(S(lit3py55t21z5v55vlm25s55))/portal/KenhTin/Tin.aspx",
            None,
            Some("http://hiza.gov.vn/portal/KenhTin/Tin.aspx"),
        ),
        (
            "https://example.vn/tin#binh-luan",
            None,
            Some("https://example.vn/tin"),
        ),
        (
            "https://example.vn/#!/tin/12",
            None,
            Some("https://example.vn/#!/tin/12"),
        ),
        (
            "HTTP://BanQLKCN.HungYen.gov.vn:80/a.html",
            None,
            Some("http://banqlkcn.hungyen.gov.vn/a.html"),
        ),
        (
            "https://heza.gov.vn:443/tin/",
            None,
            Some("https://heza.gov.vn/tin"),
        ),
        (
            "https://heza.gov.vn:8443/tin",
            None,
            Some("https://heza.gov.vn:8443/tin"),
        ),
        ("https://heza.gov.vn/", None, Some("https://heza.gov.vn/")),
        ("https://heza.gov.vn", None, Some("https://heza.gov.vn/")),
        (
            "https://heza.gov.vn/tin?",
            None,
            Some("https://heza.gov.vn/tin"),
        ),
        (
            "https://heza.gov.vn/tin?b=2&a=1&c",
            None,
            Some("https://heza.gov.vn/tin?a=1&b=2&c"),
        ),
        (
            "https://heza.gov.vn/tin?a=2&a=1",
            None,
            Some("https://heza.gov.vn/tin?a=2&a=1"),
        ),
        (
            "  https://heza.gov.vn/tin?a=1&amp;b=2\u{200B} ",
            None,
            Some("https://heza.gov.vn/tin?a=1&b=2"),
        ),
        (
            "tin-tuc-2.html",
            Some("x"),
            Some("https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/tin-tuc-2.html"),
        ),
        (
            "/article/tin-tuc/a.html",
            Some("x"),
            Some("https://bqlkktkcn.khanhhoa.gov.vn/article/tin-tuc/a.html"),
        ),
        (
            "//banqlkcn.hungyen.gov.vn/x-c2139.html",
            Some("x"),
            Some("https://banqlkcn.hungyen.gov.vn/x-c2139.html"),
        ),
        (
            "//banqlkcn.hungyen.gov.vn/x-c2139.html",
            None,
            Some("http://banqlkcn.hungyen.gov.vn/x-c2139.html"),
        ),
        (
            "javascript:__doPostBack('ctl00$Main','Page$2')",
            Some("x"),
            None,
        ),
        ("JavaScript:void(0)", None, None),
        ("mailto:bql@khanhhoa.gov.vn", Some("x"), None),
        ("ftp://files.example.vn/a.pdf", None, None),
        ("#", Some("x"), None),
        ("#top", Some("x"), None),
        ("", Some("x"), None),
        ("tin-tuc.html", None, None),
        (
            "https://user:pw@example.vn/a",
            None,
            Some("https://example.vn/a"),
        ),
        (
            "https://heza.gov.vn./tin",
            None,
            Some("https://heza.gov.vn/tin"),
        ),
        (
            "https://example.vn/a%2Fb/c%3Dd%41",
            None,
            Some("https://example.vn/a%2Fb/c%3DdA"),
        ),
        (
            "https://example.vn/a b",
            None,
            Some("https://example.vn/a%20b"),
        ),
        (
            "https://example.vn/t?q=Kh%C3%A1nh+H%C3%B2a&x=%e1%bb%8b",
            None,
            Some("https://example.vn/t?q=Kh%C3%A1nh+H%C3%B2a&x=%E1%BB%8B"),
        ),
        (
            "https://example.vn/bad%E9latin",
            None,
            Some("https://example.vn/bad%E9latin"),
        ),
    ];
    let b = base();
    for (raw, with_base, want) in cases {
        let got = canonicalize(raw, with_base.map(|_| &b));
        assert_eq!(got.as_deref(), *want, "raw = {raw:?}");
        if let Some(g) = &got {
            assert_eq!(
                canonicalize(g, None).as_deref(),
                Some(g.as_str()),
                "idempotent: {g}"
            );
        }
    }
}

#[test]
fn idn_host_is_punycode_and_case_insensitive() {
    let a = canonicalize("https://Bộ-Công-Thương.VN/tin", None).unwrap();
    let b = canonicalize("https://bộ-công-thương.vn/tin/", None).unwrap();
    assert_eq!(a, b);
    assert!(a.starts_with("https://xn--"), "{a}");
}

#[test]
fn url_key_table() {
    let cases: &[(&str, &str)] = &[
        (
            "https://www.hepza.gov.vn/web/hepza/a",
            "hepza.gov.vn/web/hepza/a",
        ),
        (
            "http://hepza.gov.vn/web/hepza/a",
            "hepza.gov.vn/web/hepza/a",
        ),
        (
            "http://www.hepza.gov.vn/web/a?p_p_id=101&p_p_auth=Xy12AbCd",
            "hepza.gov.vn/web/a?p_p_id=101",
        ),
        (
            "http://banqlkcn.hungyen.gov.vn/portal/Pages/2020-6-10/cong-tac-c2139.aspx",
            "banqlkcn.hungyen.gov.vn/portal/pages/2020-6-10/cong-tac-c2139.aspx",
        ),
        (
            "https://www.quangninh.gov.vn/Trang/ChiTietTinTuc.aspx?NID=113139",
            "quangninh.gov.vn/trang/chitiettintuc.aspx?nid=113139",
        ),
        // Not IIS: case is kept.
        ("https://heza.gov.vn/Tin-Tuc/A", "heza.gov.vn/Tin-Tuc/A"),
        ("https://heza.gov.vn:8443/a", "heza.gov.vn:8443/a"),
        ("https://www.vn/a", "www.vn/a"),
        ("not a url", "not a url"),
    ];
    for (canon, want) in cases {
        assert_eq!(url_key(canon), *want, "{canon}");
    }
    // Raw variants of one article meet in the key.
    let variants = [
        "http://www.hepza.gov.vn/web/hepza/tin-a;jsessionid=ABC",
        "https://hepza.gov.vn/web/hepza/tin-a/",
        "https://hepza.gov.vn/web/hepza/tin-a?utm_source=zalo#top",
    ];
    let keys: Vec<String> = variants
        .iter()
        .map(|v| url_key(&canonicalize(v, None).unwrap()))
        .collect();
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    // The one-canonicalisation path keys every raw form as the two-step one does.
    for raw in variants.iter().chain(cases.iter().map(|(c, _)| c)).chain(&[
        "HTTP://Example.VN:80/a/../b/?utm_medium=x&id=1#!/r",
        "https://example.vn/t?q=Kh%C3%A1nh+H%C3%B2a&x=%e1%bb%8b",
        "https://example.vn/a%2Fb/c%3Dd%41",
        "ftp://example.vn/a",
    ]) {
        let two_step = canonicalize(raw, None).map(|c| url_key(&c));
        assert_eq!(key_of_raw(raw), two_step, "{raw}");
    }
    assert!(is_site_root_key(&url_key("https://www.heza.gov.vn/")));
    assert!(!is_site_root_key(&url_key("https://heza.gov.vn/a")));
}

/// `flush_run` before its fast paths: every run through the NFC iterator.
fn flush_run_reference(run: &[u8]) -> String {
    let mut out = String::new();
    for chunk in run.utf8_chunks() {
        for c in chunk.valid().nfc() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for &byte in c.encode_utf8(&mut buf).as_bytes() {
                    push_escape(&mut out, byte);
                }
            }
        }
        for &byte in chunk.invalid() {
            push_escape(&mut out, byte);
        }
    }
    out
}

#[test]
fn flush_run_fast_paths_answer_like_the_nfc_iterator() {
    let runs: &[&[u8]] = &[
        b"",
        b"tin-tuc",
        "khu-đô-thị".as_bytes(),
        "do\u{302}\u{301}c-le\u{302}\u{301}t".as_bytes(),
        b"a\xcc\x81",
        b"\xff\xfeabc\xc3",
        "\u{212B}ngstr\u{F6}m".as_bytes(),
        "\u{1E9B}\u{323}".as_bytes(),
        "H\u{F2}a-\u{110}\u{E0} N\u{1EB5}ng".as_bytes(),
    ];
    for run in runs {
        let mut out = String::from("x");
        let mut buf = run.to_vec();
        flush_run(&mut out, &mut buf);
        assert_eq!(out, format!("x{}", flush_run_reference(run)), "run {run:?}");
        assert!(buf.is_empty());
    }
}
