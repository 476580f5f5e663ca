use chrono::{DateTime, FixedOffset, TimeZone};

use super::tokens::{Tok, Word, names, tokenize, tokenize_at_most};
use super::*;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    crate::model::vn_offset()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
}

fn share_key(a: &[String], b: &[String]) -> bool {
    a.iter().any(|k| b.contains(k))
}

const SEED_TITLE: &str = "ĐOÀN CÔNG TÁC BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH HƯNG YÊN ĐẾN THĂM, LÀM VIỆC TẠI BAN QUẢN LÝ KHU KINH TẾ VÀ KHU CÔNG NGHIỆP TỈNH KHÁNH HÒA";
const SEED_URL: &str = "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/doan-cong-tac-ban-quan-ly-cac-khu-cong-nghiep-tinh-hung-yen-den-tham-lam-viec-tai-ban-quan-ly-khu-kinh-te-va-khu-cong-nghiep-tinh-khanh-hoa.html";

#[test]
fn keys_are_stable_and_ordered() {
    let d = Some(at(2025, 9, 8, 9));
    let k1 = identity_keys(
        "bql-khanhhoa",
        Some(" news_6774 "),
        Some(SEED_URL),
        SEED_TITLE,
        d,
    );
    let k2 = identity_keys(
        "bql-khanhhoa",
        Some("news_6774"),
        Some(SEED_URL),
        SEED_TITLE,
        d,
    );
    assert_eq!(k1, k2);
    assert!(
        k1[0].starts_with("u:bqlkktkcn.khanhhoa.gov.vn/article/tin-van/"),
        "{k1:?}"
    );
    assert_eq!(k1[1], "g:bql-khanhhoa:news_6774");
    assert!(
        k1.last()
            .unwrap()
            .starts_with("t:bql-khanhhoa:doan cong tac ban quan ly")
    );
    assert!(k1.last().unwrap().ends_with(":2025-09-08"));
    // The id is pinned: a change here would re-id every stored item.
    let id = item_id(&k1[0]);
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(item_id("u:example.vn/a"), item_id("u:example.vn/a"));
    assert_ne!(item_id("u:example.vn/a"), item_id("u:example.vn/b"));
    assert_eq!(item_id(""), "e3b0c44298fc1c149afbf4c8996fb924");
}

#[test]
fn same_article_variants_share_a_key() {
    let d = at(2025, 9, 8, 9);
    let base = identity_keys("src", Some("abc-1"), Some(SEED_URL), SEED_TITLE, Some(d));
    let http_www = SEED_URL.replace("https://", "http://www.");
    let variants = [
        // guid churn: a new guid on every poll.
        identity_keys("src", Some("abc-2"), Some(SEED_URL), SEED_TITLE, Some(d)),
        // http ↔ https and www.
        identity_keys("src", Some("abc-1"), Some(&http_www), SEED_TITLE, Some(d)),
        // trailing slash, tracking tags, fragment.
        identity_keys(
            "src",
            None,
            Some(&format!("{SEED_URL}/?utm_source=zalo#top")),
            SEED_TITLE,
            Some(d),
        ),
        // link changed, guid kept.
        identity_keys(
            "src",
            Some("abc-1"),
            Some("https://khanhhoa.gov.vn/x"),
            "Khác",
            Some(d),
        ),
        // no link, no guid: title in another case/tone style, same day in another zone.
        identity_keys(
            "src",
            None,
            None,
            "Đoàn công tác Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên đến thăm, làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hoà",
            Some(d.with_timezone(&FixedOffset::east_opt(0).unwrap())),
        ),
    ];
    for v in &variants {
        assert!(share_key(&base, v), "{base:?}\n{v:?}");
    }
}

#[test]
fn guid_that_is_a_url_also_gives_a_url_key() {
    let k = identity_keys(
        "vnexpress",
        Some("https://vnexpress.net/bac-ninh-4790001.html?utm_source=rss"),
        Some("https://vnexpress.net/bac-ninh-4790001.html"),
        "Bắc Ninh",
        None,
    );
    assert_eq!(k[0], "u:vnexpress.net/bac-ninh-4790001.html");
    let wp = identity_keys(
        "heza",
        Some("https://heza.gov.vn/?p=1234"),
        Some("https://heza.gov.vn/tin-a/"),
        "A",
        None,
    );
    assert!(wp.contains(&"u:heza.gov.vn/tin-a".to_string()), "{wp:?}");
    assert!(wp.contains(&"u:heza.gov.vn/?p=1234".to_string()), "{wp:?}");
}

#[test]
fn different_items_do_not_collide() {
    let d = Some(at(2025, 9, 2, 8));
    let a = identity_keys(
        "bql-bacninh",
        None,
        Some("https://izabacninh.gov.vn/tin-tuc/tinh-hinh-thu-hut-dau-tu-thang-8-2025.html"),
        "Tình hình thu hút đầu tư tháng 8/2025",
        d,
    );
    let b = identity_keys(
        "bql-bacninh",
        None,
        Some("https://izabacninh.gov.vn/tin-tuc/tinh-hinh-thu-hut-dau-tu-thang-9-2025.html"),
        "Tình hình thu hút đầu tư tháng 9/2025",
        d,
    );
    assert!(!share_key(&a, &b), "{a:?}\n{b:?}");
    // A trailing year in a slug is not an article id.
    assert!(!a.iter().any(|k| k.starts_with("n:")), "{a:?}");
    // Same title, same day, other source: different items.
    let c = identity_keys(
        "portal-bacninh",
        None,
        None,
        "Tình hình thu hút đầu tư tháng 8/2025",
        d,
    );
    let c2 = identity_keys(
        "bql-bacninh",
        None,
        None,
        "Tình hình thu hút đầu tư tháng 8/2025",
        d,
    );
    assert!(!share_key(&c, &c2));
    // Home-page links and guids are not identities.
    let h1 = identity_keys(
        "s",
        Some("https://heza.gov.vn/"),
        Some("https://heza.gov.vn"),
        "Tin A",
        d,
    );
    let h2 = identity_keys(
        "s",
        Some("https://heza.gov.vn/"),
        Some("https://heza.gov.vn"),
        "Tin B",
        d,
    );
    assert!(!share_key(&h1, &h2), "{h1:?}\n{h2:?}");
    // Without a date the title key is only a last resort.
    let nd = identity_keys(
        "s",
        None,
        Some("https://heza.gov.vn/lich-tuan-12"),
        "Lịch công tác tuần",
        None,
    );
    assert_eq!(nd, vec!["u:heza.gov.vn/lich-tuan-12".to_string()]);
    let only = identity_keys("s", None, None, "Lịch công tác tuần", None);
    assert_eq!(only, vec!["t:s:lich cong tac tuan:".to_string()]);
}

#[test]
fn native_ids_survive_slug_changes() {
    let d = Some(at(2025, 9, 9, 8));
    let cases = [
        // Hưng Yên vendor platform, -c<id>.html.
        (
            None,
            "http://banqlkcn.hungyen.gov.vn/ban-quan-ly-lam-viec-voi-khanh-hoa-c2139.html",
            "http://banqlkcn.hungyen.gov.vn/ban-quan-ly-cac-kcn-lam-viec-voi-khanh-hoa-c2139.html",
            true,
        ),
        // NukeViet with a matching guid.
        (
            Some("news_4043"),
            "https://dongnai.gov.vn/vi/news/tin-tuc/thu-hut-fdi-4043.html",
            "https://dongnai.gov.vn/vi/news/tin-tuc/thu-hut-fdi-9-thang-4043.html",
            true,
        ),
        // Long ids (Nam Định/Ninh Bình).
        (
            None,
            "https://iza.namdinh.gov.vn/tin-tuc-su-kien/khoi-thi-dua-339742",
            "https://iza.namdinh.gov.vn/tin-tuc-su-kien/khoi-thi-dua-so-ket-339742",
            true,
        ),
        // Short trailing number without corroboration: no native key.
        (
            None,
            "https://dongnai.gov.vn/vi/news/tin-tuc/thu-hut-fdi-4043.html",
            "https://dongnai.gov.vn/vi/news/tin-tuc/hoi-thao-4043.html",
            false,
        ),
        // A list page (-c<cat>-<page>) is not an article id.
        (
            None,
            "http://banqlkcn.hungyen.gov.vn/chuyen-muc-tin-tuc-su-kien-c221-1.html",
            "http://banqlkcn.hungyen.gov.vn/chuyen-muc-tin-tuc-c221-1.html",
            false,
        ),
    ];
    for (guid, before, after, same) in cases {
        // Seen by two sources (e.g. a site's main feed and one of its category feeds),
        // before and after an editor changed the title.
        let a = identity_keys("s1", guid, Some(before), "Tiêu đề cũ", d);
        let b = identity_keys("s2", guid, Some(after), "Tiêu đề mới", d);
        assert_eq!(share_key(&a, &b), same, "{a:?}\n{b:?}");
    }
}

#[test]
fn tokens_fold_contract_and_tag_numbers() {
    let t: Vec<String> =
        tokenize("Ngày 06/9/2025, BQL các KCN TP.HCM; tháng 8/2025, quý III và 1.500 tỷ")
            .into_iter()
            .map(|t| t.text.to_string())
            .collect();
    assert_eq!(
        t,
        [
            "ngay", "d6/9", "bql", "cac", "kcn", "tp", "hcm", "thang", "m8", "quy", "q3", "va",
            "n1500", "ti"
        ]
    );
    let a = fingerprint("Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên", "");
    let b = fingerprint("BQL các KCN tỉnh Hưng Yên", "");
    assert!(similarity(&a, &b) > 0.9, "{}", similarity(&a, &b));
}

#[test]
fn number_tags_and_long_tokens() {
    let t: Vec<String> = tokenize(
        "0 007 00 2025 1.500.000 6-9-2025 06.9 1.500 8/2025 13/2025 32/12 \
         Supercalifragilisticexpialidocious 123456789012345678901234567890 Quỳnh Kỳ",
    )
    .into_iter()
    .map(|t| t.text.to_string())
    .collect();
    assert_eq!(
        t,
        [
            "n0",
            "n7",
            "n0",
            "y2025",
            "n1500000",
            "d6/9",
            "d6/9",
            "n1500",
            "m8",
            "n132025",
            "n3212",
            "supercalifragilisticexpialidocious",
            "n123456789012345678901234567890",
            "quynh",
            "ki"
        ]
    );
}

#[test]
fn words_keep_their_text_inline_or_not() {
    for s in [
        "",
        "a",
        "nghieng",
        "d6/9",
        "hưng yên",
        &"x".repeat(22),
        &"y".repeat(23),
    ] {
        let w = Word::new(s);
        assert_eq!(w.as_str(), s);
        assert_eq!(w.as_bytes(), s.as_bytes());
        assert_eq!(w.len(), s.len());
        assert_eq!(w.to_string(), s);
        assert!(w == s);
        assert!(w == Word::new(s));
        assert_eq!(format!("{w:?}"), format!("{s:?}"));
    }
    assert!(matches!(Word::new(&"x".repeat(22)), Word::Inline(22, _)));
    assert!(matches!(Word::new(&"x".repeat(23)), Word::Heap(_)));
    assert!(Word::new("ab") != Word::new("abc"));
}

#[test]
fn tokenizing_stops_after_max_tokens_with_the_same_tokens() {
    let view = |toks: &[Tok]| -> Vec<(String, bool, bool, bool, bool, bool)> {
        toks.iter()
            .map(|t| (t.text.to_string(), t.is_num, t.cap, t.upper, t.brk, t.sent))
            .collect()
    };
    // Numbers read in context ("tháng 8", "quý III"), joined numbers and abbreviations
    // around every cut point; and the same text in NFD, which is normalised first.
    use unicode_normalization::UnicodeNormalization;
    let text = "Ngày 06/9/2025, Đoàn Công tác BQL các KCN TP.HCM; tháng 8/2025, quý III và \
                1.500 tỷ đồng. Ông Hoàng Văn Mai – Phó Trưởng Ban, VSIP và Foxconn tháng 8";
    for text in [text.to_string(), text.nfd().collect::<String>()] {
        let all = tokenize(&text);
        assert!(all.len() > 20);
        for max in 0..=all.len() + 2 {
            let cut = &all[..max.min(all.len())];
            assert_eq!(view(&tokenize_at_most(&text, max)), view(cut), "max {max}");
        }
    }
}

#[test]
fn names_are_found_and_titles_trimmed() {
    let n = names(&tokenize(
        "Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai – Phó Trưởng Ban Quản lý làm Trưởng đoàn; Cảng Quốc tế Nam Vân Phong; Công ty TNHH Sunwoo Vina; Tập đoàn Foxconn.",
    ));
    for want in [
        "hung yen",
        "hoang van mai",
        "nam van phong",
        "sunwoo vina",
        "foxconn",
    ] {
        assert!(n.contains(&want.to_string()), "{want} missing from {n:?}");
    }
    for unwanted in ["doan cong", "ban quan", "pho truong ban quan", "tnhh"] {
        assert!(!n.contains(&unwanted.to_string()), "{unwanted} in {n:?}");
    }
}

#[test]
fn fingerprint_is_stable_compact_and_round_trips() {
    let lead = "Ngày 06/9/2025, Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên do ông Hoàng Văn Mai – Phó Trưởng Ban Quản lý làm Trưởng đoàn đến làm việc tại Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa để tham quan, học tập, trao đổi kinh nghiệm trong công tác quản lý các khu công nghiệp. Làm việc với Đoàn, về phía Ban Quản lý Khu kinh tế và Khu công nghiệp tỉnh Khánh Hòa có ông Trần Minh Chiến – Trưởng Ban Quản lý và đại diện lãnh đạo các phòng, đơn vị trực thuộc.";
    let a = fingerprint(SEED_TITLE, lead);
    assert_eq!(a, fingerprint(SEED_TITLE, lead));
    assert_eq!(a.mh.len(), SLOTS);
    assert_eq!(similarity(&a, &a), 1.0);
    let json = serde_json::to_string(&a).unwrap();
    assert!(json.len() < 600, "{} bytes: {json}", json.len());
    let back: Fingerprint = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    // Pinned value: if this changes, stored fingerprints no longer compare; bump
    // FP_VERSION and update the expectation together.
    assert_eq!(FP_VERSION, 1);
    assert_eq!(json, PINNED_JSON);
    // NFD input and the other tone style give the same fingerprint.
    use unicode_normalization::UnicodeNormalization;
    let nfd: String = lead.nfd().collect();
    assert_eq!(fingerprint(SEED_TITLE, &nfd.replace("Hòa", "Hoà")), a);
    // Bad stored data is an error, not a panic.
    assert!(
        serde_json::from_str::<Fingerprint>(r#"{"v":1,"mh":"zz","w":1,"names":"","nums":""}"#)
            .is_err()
    );
    let other_version = Fingerprint { v: 0, ..a.clone() };
    assert_eq!(similarity(&a, &other_version), 0.0);
    let empty = fingerprint("", "");
    assert!(empty.mh.is_empty());
    assert_eq!(similarity(&empty, &empty), 0.0);
}

const PINNED_JSON: &str = r#"{"v":1,"mh":"0409014600530212006003c8026c00ae033113130423001302d50512046f008604ac020e052904e4043f01e003d60120019b00c7001902b401fc01d0003a006503d1006b009803d30094022000b302470004026c0ef5010601ff0bac0049012701b606b3035a000c0a8f04ca030e03e4077502ed012302b900e4005001b70028","w":86,"names":"084e10fba54f38e0b8e6e5f6","nums":"540ab623"}"#;

#[test]
fn keys_of_a_canonicalized_link_equal_keys_of_the_raw_link() {
    let d = Some(at(2025, 9, 8, 9));
    let links = [
        SEED_URL,
        "http://www.bqlkktkcn.khanhhoa.gov.vn/article/tin-van/a.html?utm_source=fb#top",
        "https://vanphong.khanhhoa.gov.vn/quy-hoach/khu-%c4%91%c3%b4-th%e1%bb%8b/",
        "https://vanphong.khanhhoa.gov.vn/quy-hoach/khu-\u{111}o\u{302}-thi\u{323}",
        "http://www.hepza.gov.vn/web/hepza/tin-tuc;jsessionid=88E5?p_p_id=101&p_p_lifecycle=0",
        "https://sct.example.gov.vn/Portal/Pages/Tin-Tuc.aspx?ItemID=42&Page=1",
        "https://example.vn/#!/tin/42",
        "https://www.khanhhoa.gov.vn/",
        "https://example.vn/a b/c?x=1&&y=%2F",
        "mailto:someone@example.vn",
        "#top",
    ];
    for link in links {
        let canonical = urlnorm::canonicalize(link, None);
        for guid in [None, Some("news_1"), Some("https://example.vn/a?id=1")] {
            assert_eq!(
                identity_keys_of_canonical("s", guid, canonical.as_deref(), SEED_TITLE, d),
                identity_keys("s", guid, Some(link), SEED_TITLE, d),
                "link {link:?}, guid {guid:?}"
            );
        }
    }
}
