use super::*;

/// The seed article, or `None` (with a message) when ../shared is not laid out beside the
/// crate.
fn seed_text() -> Option<String> {
    let dir = std::path::Path::new("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!(
            "SKIP: {} not found; seed-based checks skipped",
            dir.display()
        );
        return None;
    };
    let mut text = String::new();
    for entry in entries.flatten() {
        if let Ok(t) = std::fs::read_to_string(entry.path()) {
            text.push_str(&t);
            text.push('\n');
        }
    }
    Some(text)
}

fn provinces_text() -> Option<String> {
    let path = "../shared/fixtures/provinces_2025.tsv";
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(_) => {
            eprintln!("SKIP: {path} not found; province-name checks skipped");
            None
        }
    }
}

const NORMALIZE_CASES: &[(&str, &str)] = &[
    ("  Khánh   Hòa \n", "Khánh Hòa"),
    ("Kha\u{301}nh Ho\u{300}a", "Khánh Hòa"),
    ("To\u{302}\u{301}ng", "Tống"),
    ("Tô\u{301}ng", "Tống"),
    ("Khánh\u{200B}Hòa", "KhánhHòa"),
    ("a\u{200C}b\u{200D}c\u{2060}d\u{200E}e", "abcde"),
    ("Khu công\u{AD}nghiệp", "Khu côngnghiệp"),
    ("\u{FEFF}topic", "topic"),
    ("Khánh\u{A0}Hòa", "Khánh Hòa"),
    ("a&nbsp;&nbsp;b", "a b"),
    ("a\u{0}b\u{7}c\u{85}d\u{9F}\u{1F}", "abc d"),
    ("a\u{200B}\u{301}", "á"),
    ("tab\there\r\nnext", "tab here next"),
    ("Văn ph&#242;ng Ch&#237;nh phủ", "Văn phòng Chính phủ"),
    ("C&#x1ED4;NG TH&#xD4;NG TIN", "CỔNG THÔNG TIN"),
    ("e&#769;", "é"),
    ("a&#8203;b", "ab"),
    ("&laquo;Tin&raquo; &ndash; m&#7899;i", "«Tin» – mới"),
    ("&foo; bar", "&foo; bar"),
    ("", ""),
    (" \u{A0}\u{200B} ", ""),
];

#[test]
fn normalize_table() {
    for (input, want) in NORMALIZE_CASES {
        assert_eq!(normalize_text(input), *want, "input {input:?}");
    }
}

#[test]
fn normalize_is_idempotent() {
    for (input, _) in NORMALIZE_CASES {
        let once = normalize_text(input);
        assert_eq!(normalize_text(&once), once, "input {input:?}");
    }
    if let Some(seed) = seed_text() {
        let once = normalize_text(&seed);
        assert!(once.contains("KHÁNH HÒA"));
        assert_eq!(normalize_text(&once), once);
    }
}

#[test]
fn normalize_decodes_exactly_once() {
    assert_eq!(normalize_text("&amp;lt;b&amp;gt;"), "&lt;b&gt;");
    assert_eq!(normalize_text("AT&amp;T"), "AT&T");
}

#[test]
fn normalize_output_is_nfc_and_clean() {
    let messy = "\u{FEFF}Ba\u{300}n\u{200B} Qua\u{309}n\u{AD} ly\u{301}\u{A0}\u{A0}KCN";
    let out = normalize_text(messy);
    assert_eq!(out, "Bàn Quản lý KCN");
    assert!(unicode_normalization::is_nfc(&out));
}

#[test]
fn fold_seed_is_ascii_words() {
    let Some(seed) = seed_text() else { return };
    let folded = fold(&seed);
    assert!(folded.contains("ban quan ly khu kinh te va khu cong nghiep tinh khanh hoa"));
    assert!(
        folded
            .chars()
            .all(|c| c == ' ' || c.is_ascii_alphanumeric())
    );
    assert!(!folded.contains("  "));
}

/// windows-1252, Mac Roman and Latin-1 views of UTF-8 bytes: the three ways the wild
/// double-decodes Vietnamese.
fn mojibake_variants(s: &str) -> Vec<String> {
    let bytes = s.as_bytes();
    let (cp1252, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    let (mac, _) = encoding_rs::MACINTOSH.decode_without_bom_handling(bytes);
    let latin1: String = bytes.iter().map(|b| char::from(*b)).collect();
    vec![cp1252.into_owned(), mac.into_owned(), latin1]
}

const VIETNAMESE_SAMPLES: &[&str] = &[
    "Khánh Hòa",
    "Báo tiếng Việt",
    "Ban Quản lý Khu kinh tế",
    "CỔNG THÔNG TIN ĐIỆN TỬ",
    "Thuỵ Hương",
    "Đà Nẵng",
    "Hưng Yên",
    "ĐOÀN CÔNG TÁC BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH HƯNG YÊN",
    "Kha\u{301}nh Ho\u{300}a",
    "“trích dẫn” – ok",
];

#[test]
fn mojibake_detected_in_constructed_samples() {
    for sample in VIETNAMESE_SAMPLES {
        for (k, bad) in mojibake_variants(sample).iter().enumerate() {
            assert!(has_mojibake(bad), "variant {k} of {sample:?}: {bad:?}");
            // Latin-1 turns the second byte of NFD tone marks into C1 controls, which
            // normalisation strips; that one combination is documented as undetectable.
            if k == 2 && sample.chars().any(is_combining_mark) {
                continue;
            }
            let cleaned = normalize_text(bad);
            assert!(
                has_mojibake(&cleaned),
                "normalised variant {k}: {cleaned:?}"
            );
        }
    }
}

#[test]
fn mojibake_detected_in_wild_examples() {
    for bad in [
        "B√°o ti·∫øng Vi·ªát",
        "uá»‘c",
        "KhÃ¡nh HÃ²a",
        "Ä‘Æ°á»ng",
        "cÃ”NG",
        "â€œQuoteâ€",
    ] {
        assert!(has_mojibake(bad), "{bad:?}");
    }
}

#[test]
fn mojibake_not_detected_in_real_text() {
    for good in [
        "",
        "plain ascii",
        "XÃ HỘI",
        "“XÃ” và “NGÃ” ba",
        "QUẢNG NGÃI",
        "«Đá» và «Quá»",
        "Ärzte in Åland, Æsir",
        "© 2025 Ban Quản lý · Tin mới • Sự kiện",
        "giá 1.000 € – 5° C",
        "Khánh Hòa (gộp Khánh Hòa + Ninh Thuận)",
    ] {
        assert!(!has_mojibake(good), "{good:?}");
    }
    for sample in VIETNAMESE_SAMPLES {
        assert!(!has_mojibake(sample), "{sample:?}");
    }
    if let Some(seed) = seed_text() {
        assert!(!has_mojibake(&seed));
        for line in seed.lines() {
            assert!(!has_mojibake(line), "{line:?}");
        }
    }
    if let Some(tsv) = provinces_text() {
        for line in tsv.lines() {
            assert!(!has_mojibake(line), "{line:?}");
        }
    }
}

#[test]
fn html_to_text_table() {
    let cases: &[(&str, &str)] = &[
        ("<p>Khánh</p><p>Hòa</p>", "Khánh Hòa"),
        ("<b>Khánh</b>Hòa", "KhánhHòa"),
        (
            "<script>alert(1)</script>Tin<style>p{}</style> mới",
            "Tin mới",
        ),
        ("a<br>b", "a b"),
        ("<ul><li>một</li><li>hai</li></ul>", "một hai"),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
        ("<!-- c -->text<noscript><img src=x></noscript>", "text"),
        ("<p>&amp;lt;</p>", "&lt;"),
        ("<p>x &lt; y &nbsp; z</p>", "x < y z"),
        ("Văn ph&#242;ng Ch&#237;nh phủ", "Văn phòng Chính phủ"),
        ("  Khánh   Hòa  ", "Khánh Hòa"),
        ("<p>Kha\u{301}nh\u{200B}</p>", "Khánh"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(html_to_text(input), *want, "input {input:?}");
    }
}

#[test]
fn html_to_text_survives_deep_nesting() {
    let depth = 10_000;
    let html = format!("{}deep{}", "<div>".repeat(depth), "</div>".repeat(depth));
    assert_eq!(html_to_text(&html), "deep");
}

#[test]
fn truncate_table() {
    let cases: &[(&str, usize, &str)] = &[
        ("Khánh Hòa", 20, "Khánh Hòa"),
        ("Khánh Hòa", 9, "Khánh Hòa"),
        ("Khánh Hòa", 8, "Khánh…"),
        ("Ban Quản lý Khu kinh tế", 10, "Ban Quản…"),
        ("abc def", 4, "abc…"),
        ("Supercalifragilistic", 5, "Supe…"),
        ("Vie\u{302}\u{323}t", 4, "Vi…"),
        ("một, hai, ba", 8, "một…"),
        ("abc def", 1, "…"),
        ("abc", 0, ""),
    ];
    for (input, max, want) in cases {
        assert_eq!(truncate_words(input, *max), *want, "{input:?} / {max}");
    }
}

#[test]
fn truncate_never_exceeds_and_is_a_prefix() {
    let text = seed_text().unwrap_or_else(|| VIETNAMESE_SAMPLES.join(" "));
    let text = normalize_text(&text);
    for max in 0..200 {
        let out = truncate_words(&text, max);
        assert!(out.chars().count() <= max, "max {max}: {out:?}");
        let body = out.strip_suffix('…').unwrap_or(&out);
        assert!(text.starts_with(body), "max {max}: {out:?}");
    }
}

#[test]
fn the_word_char_shortcut_agrees_with_the_full_test_for_every_character() {
    let full = |c: char| c.is_alphanumeric() || is_combining_mark(c);
    let differ: Vec<char> = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|&c| is_word_char(c) != full(c))
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
    assert!(is_word_char('ệ') && is_word_char('Đ') && is_word_char('\u{301}'));
    assert!(!is_word_char('×') && !is_word_char('–') && !is_word_char(' '));
}

#[test]
fn the_letter_shortcut_agrees_with_is_alphabetic_for_every_character() {
    let differ: Vec<char> = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|&c| is_letter(c) != c.is_alphabetic())
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
}

#[test]
fn the_nfc_shortcut_ranges_hold_only_stable_starters() {
    use unicode_normalization::char::canonical_combining_class;
    let unstable: Vec<char> = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|&c| nfc_stable(c))
        .filter(|&c| {
            canonical_combining_class(c) != 0
                || is_nfc_quick(std::iter::once(c)) != IsNormalized::Yes
        })
        .collect();
    assert!(unstable.is_empty(), "{unstable:?}");
    // Outside the ranges the library answers, both ways.
    assert!(is_nfc_yes("Khánh Hòa – “KCN” … ệ"));
    assert!(!is_nfc_yes("Kha\u{301}nh"));
    assert!(
        !is_nfc_yes("\u{2000}"),
        "U+2000 is a singleton that NFC replaces"
    );
    assert!(is_nfc_yes("日本"));
}

/// `clean_decoded` as it was, one character at a time: the reference for the run copy.
fn clean_decoded_per_char(s: &str) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if !is_invisible(c) {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    if is_nfc_yes(&out) {
        out
    } else {
        out.nfc().collect()
    }
}

#[test]
fn cleaning_answers_per_character_for_every_three_byte_character_after_e1_and_e2() {
    // The lead bytes the cleaner decodes or, for U+1E00-U+1FFF, keeps without decoding.
    for cp in 0x1000..=0x2FFFu32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        for text in [format!("Nghệ{c}An"), format!(" {c} "), format!("{c}ệ{c}")] {
            assert_eq!(
                clean_decoded(&text),
                clean_decoded_per_char(&text),
                "U+{cp:04X}"
            );
        }
    }
}

#[test]
fn cleaning_skips_the_nfc_check_only_for_text_that_needs_none() {
    // The scan decides by lead byte (and for U+1E00-U+1FFF by code point) whether the
    // output needs the NFC check; every character, alone and after a letter it may
    // compose with, must come out as the full check makes it.
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        for text in [format!("{c}"), format!("a{c}")] {
            assert_eq!(
                clean_decoded(&text),
                clean_decoded_per_char(&text),
                "U+{:04X}",
                u32::from(c)
            );
        }
    }
}

#[test]
fn cleaning_copies_runs_exactly_as_it_cleaned_per_character() {
    // Every kind of character the loop tells apart, around each other in every order a
    // small random walk reaches: kept ASCII and Vietnamese, ASCII and Unicode whitespace,
    // invisible ones (controls, ZWSP, soft hyphen, BOM) and a combining mark.
    const PARTS: &[&str] = &[
        "a", "Khánh", "Hòa", " ", "  ", "\n", "\t", "\u{A0}", "\u{85}", "\u{2003}", "\u{200B}",
        "\u{AD}", "\u{FEFF}", "\u{1}", "\u{7F}", "\u{9F}", "\u{301}", ".", "đ", "—", "\u{3000}",
        "\u{2060}", "\u{1680}", "ệ",
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut texts = 0;
    for len in 0..12 {
        for _ in 0..400 {
            let mut text = String::new();
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(PARTS[(state % PARTS.len() as u64) as usize]);
            }
            assert_eq!(
                clean_decoded(&text),
                clean_decoded_per_char(&text),
                "input {text:?}"
            );
            texts += 1;
        }
    }
    assert_eq!(texts, 4_800);
    if let Some(seed) = seed_text() {
        assert_eq!(clean_decoded(&seed), clean_decoded_per_char(&seed));
    }
}

#[test]
fn the_clean_byte_table_agrees_with_the_character_test_for_every_character() {
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        let mut buf = [0; 4];
        let lead = c.encode_utf8(&mut buf).as_bytes()[0];
        match CLEAN_BYTES[usize::from(lead)] {
            Clean::Look => {}
            // The NFC shortcut is only sound if no character below U+0300 is flagged
            // for the check and none above it escapes it.
            Clean::Wide => {
                assert_eq!(clean_class(c), Clean::Keep, "U+{:04X}", u32::from(c));
                assert!(c >= '\u{300}', "U+{:04X}", u32::from(c));
            }
            byte => {
                assert_eq!(byte, clean_class(c), "U+{:04X}", u32::from(c));
                assert!(
                    byte != Clean::Keep || nfc_stable(c),
                    "U+{:04X}",
                    u32::from(c)
                );
            }
        }
    }
    // Continuation bytes are never looked at alone.
    assert!((0x80..0xC0).all(|b| CLEAN_BYTES[b] == Clean::Keep));
}

#[test]
fn nfc_chars_answers_like_nfc() {
    let texts = [
        "",
        "Khánh Hòa",
        "Kha\u{301}nh Hoa\u{300}",
        "\u{212B}ngstr\u{F6}m",
        "ô\u{301}",
        "東京 – “x”",
        "e\u{301}\u{302}",
        "\u{1E9B}\u{323}",
    ];
    for s in texts {
        assert_eq!(
            nfc_chars(s).collect::<String>(),
            s.nfc().collect::<String>(),
            "{s:?}"
        );
    }
}
