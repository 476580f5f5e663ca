use super::*;

/// "Khu công nghiệp Vân Phong được mở rộng" in windows-1258 (tones as combining marks),
/// produced with Python's cp1258 codec and checked by decoding back.
const CP1258_VAN_PHONG: &[u8] =
    b"Khu c\xf4ng nghi\xea\xf2p V\xe2n Phong \xf0\xfd\xf5\xf2c m\xf5\xd2 r\xf4\xf2ng";
const VAN_PHONG: &str = "Khu công nghiệp Vân Phong được mở rộng";

fn utf16le_with_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn utf16be_with_bom(s: &str) -> Vec<u8> {
    let mut out = vec![0xFE, 0xFF];
    out.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
    out
}

#[test]
fn cp1258_fixture_round_trips() {
    let (text, _, bad) = encoding_rs::WINDOWS_1258.decode(CP1258_VAN_PHONG);
    assert!(!bad);
    assert_eq!(text.nfc().collect::<String>(), VAN_PHONG);
    assert!(!is_nfc(&text), "windows-1258 decodes to combining marks");
}

#[test]
fn charset_parameter_is_found_robustly() {
    let cases = [
        ("text/html; charset=UTF-8", Some("utf-8")),
        ("text/html;charset=\"windows-1258\"", Some("windows-1258")),
        ("text/xml; Charset = 'ISO-8859-1' ", Some("iso-8859-1")),
        (
            "application/rss+xml; q=1; CHARSET=utf-8; x=y",
            Some("utf-8"),
        ),
        ("text/html", None),
        ("text/html; charset=", None),
        ("text/html; foo=charset=utf-8", None),
        ("charset=utf-8", None),
    ];
    for (ct, want) in cases {
        assert_eq!(charset_from_content_type(ct).as_deref(), want, "{ct}");
    }
}

#[test]
fn decode_text_windows_1258_from_meta() {
    let mut page = b"<html><head><meta charset=\"windows-1258\"><title>".to_vec();
    page.extend_from_slice(CP1258_VAN_PHONG);
    page.extend_from_slice(b"</title></head></html>");
    let text = decode_text(&page, None);
    assert!(text.contains(VAN_PHONG), "{text}");
}

#[test]
fn decode_text_http_equiv_meta() {
    let mut page = b"<html><head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1258\"></head><body>".to_vec();
    page.extend_from_slice(CP1258_VAN_PHONG);
    let text = decode_text(&page, None);
    assert!(text.ends_with(VAN_PHONG), "{text}");
}

#[test]
fn decode_text_header_charset_only() {
    let text = decode_text(CP1258_VAN_PHONG, Some("windows-1258"));
    assert_eq!(text, VAN_PHONG);
}

#[test]
fn decode_text_header_beats_meta() {
    let mut page = b"<meta charset=\"iso-8859-1\">".to_vec();
    page.extend_from_slice(CP1258_VAN_PHONG);
    let text = decode_text(&page, Some("windows-1258"));
    assert!(text.ends_with(VAN_PHONG), "{text}");
}

#[test]
fn decode_text_ignores_wrong_label_on_valid_utf8() {
    let page = format!("<meta charset=\"iso-8859-1\"><p>{VAN_PHONG}</p>");
    assert!(decode_text(page.as_bytes(), Some("iso-8859-1")).contains(VAN_PHONG));
}

#[test]
fn decode_text_nfc_normalises_utf8() {
    let decomposed: String = VAN_PHONG.nfd().collect();
    assert_ne!(decomposed, VAN_PHONG);
    assert_eq!(decode_text(decomposed.as_bytes(), None), VAN_PHONG);
}

#[test]
fn decode_text_boms() {
    assert_eq!(
        decode_text(&utf16le_with_bom(VAN_PHONG), Some("iso-8859-1")),
        VAN_PHONG
    );
    assert_eq!(decode_text(&utf16be_with_bom(VAN_PHONG), None), VAN_PHONG);
    let utf8_bom = [b"\xEF\xBB\xBF".as_slice(), VAN_PHONG.as_bytes()].concat();
    assert_eq!(decode_text(&utf8_bom, Some("windows-1258")), VAN_PHONG);
}

#[test]
fn decode_text_guesses_bomless_latin1() {
    // Western text: á/é/ü/ß sit at the same code points in windows-1252 and -1258,
    // so the guess may be either; ISO-8859-1 bytes, no label anywhere.
    let latin1 =
        b"<p>Caf\xe9 cr\xe8me br\xfbl\xe9e, M\xfcller Stra\xdfe, \xe0 la carte, d\xe9j\xe0 vu</p>";
    let text = decode_text(latin1, None);
    assert_eq!(
        text,
        "<p>Café crème brûlée, Müller Straße, à la carte, déjà vu</p>"
    );
}

#[test]
fn decode_text_guesses_unlabelled_vietnamese() {
    let mut page = b"<p>".to_vec();
    for _ in 0..3 {
        page.extend_from_slice(CP1258_VAN_PHONG);
        page.extend_from_slice(b". ");
    }
    let text = decode_text(&page, None);
    assert!(text.contains(VAN_PHONG), "{text}");
}

#[test]
fn decode_text_mostly_utf8_stays_utf8() {
    let body = [VAN_PHONG.as_bytes(), b" \xe9 ", VAN_PHONG.as_bytes()].concat();
    let text = decode_text(&body, None);
    assert!(
        text.starts_with(VAN_PHONG) && text.ends_with(VAN_PHONG),
        "{text}"
    );
}

#[test]
fn feed_bytes_declared_encoding_is_left_raw() {
    let mut xml = b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><rss><title>".to_vec();
    xml.extend_from_slice(CP1258_VAN_PHONG);
    xml.extend_from_slice(b"</title></rss>");
    // Even a contradicting header must not cause a second decode.
    assert!(matches!(feed_bytes(&xml, Some("utf-8")), Cow::Borrowed(b) if b == xml.as_slice()));
}

#[test]
fn feed_bytes_header_charset_only_is_transcoded() {
    let mut xml = b"<?xml version=\"1.0\"?><rss><title>".to_vec();
    xml.extend_from_slice(CP1258_VAN_PHONG);
    xml.extend_from_slice(b"</title></rss>");
    let out = feed_bytes(&xml, Some("windows-1258"));
    let text = std::str::from_utf8(&out).expect("utf-8 output");
    let nfc: String = text.nfc().collect();
    assert_eq!(
        nfc,
        format!("<?xml version=\"1.0\"?><rss><title>{VAN_PHONG}</title></rss>")
    );
}

#[test]
fn feed_bytes_utf16_bom_with_disagreeing_declaration() {
    let doc = format!(
        "<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss><title>{VAN_PHONG}</title></rss>"
    );
    for bytes in [utf16le_with_bom(&doc), utf16be_with_bom(&doc)] {
        let out = feed_bytes(&bytes, None);
        let text = std::str::from_utf8(&out).expect("utf-8 output");
        assert_eq!(
            text,
            format!("<?xml version=\"1.0\"?><rss><title>{VAN_PHONG}</title></rss>")
        );
    }
}

#[test]
fn feed_bytes_bomless_utf16() {
    let doc = format!("<?xml version=\"1.0\" encoding='UTF-16'?><feed>{VAN_PHONG}</feed>");
    let le: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let out = feed_bytes(&le, None);
    assert_eq!(
        std::str::from_utf8(&out).ok(),
        Some(format!("<?xml version=\"1.0\"?><feed>{VAN_PHONG}</feed>").as_str())
    );
}

#[test]
fn feed_bytes_utf8_bom_silences_other_declaration() {
    let doc =
        format!("\u{FEFF}<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss>{VAN_PHONG}</rss>");
    let out = feed_bytes(doc.as_bytes(), None);
    assert_eq!(
        std::str::from_utf8(&out).ok(),
        Some(format!("<?xml version=\"1.0\"?><rss>{VAN_PHONG}</rss>").as_str())
    );
    let agreeing =
        format!("\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>{VAN_PHONG}</rss>");
    assert!(matches!(
        feed_bytes(agreeing.as_bytes(), None),
        Cow::Borrowed(_)
    ));
}

#[test]
fn feed_bytes_utf8_passes_through() {
    let doc = format!("<rss><title>{VAN_PHONG}</title></rss>");
    assert!(matches!(
        feed_bytes(doc.as_bytes(), Some("utf-8")),
        Cow::Borrowed(_)
    ));
    assert!(matches!(feed_bytes(doc.as_bytes(), None), Cow::Borrowed(_)));
}

#[test]
fn feed_bytes_false_utf8_declaration_is_replaced_by_guess() {
    let mut xml = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><title>".to_vec();
    xml.extend_from_slice(CP1258_VAN_PHONG);
    xml.extend_from_slice(b"</title></rss>");
    let out = feed_bytes(&xml, Some("windows-1258"));
    let text: String = std::str::from_utf8(&out)
        .expect("utf-8 output")
        .nfc()
        .collect();
    assert_eq!(
        text,
        format!("<?xml version=\"1.0\"?><rss><title>{VAN_PHONG}</title></rss>")
    );
}

#[test]
fn feed_bytes_unknown_declared_label_uses_header() {
    let mut xml = b"<?xml version='1.0' encoding='x-no-such-charset'?><rss>".to_vec();
    xml.extend_from_slice(CP1258_VAN_PHONG);
    xml.extend_from_slice(b"</rss>");
    let out = feed_bytes(&xml, Some("windows-1258"));
    let text: String = std::str::from_utf8(&out)
        .expect("utf-8 output")
        .nfc()
        .collect();
    assert_eq!(text, format!("<?xml version='1.0'?><rss>{VAN_PHONG}</rss>"));
}

#[test]
fn feed_bytes_unlabelled_non_utf8_is_guessed() {
    let mut xml = b"<rss><title>".to_vec();
    for _ in 0..3 {
        xml.extend_from_slice(CP1258_VAN_PHONG);
        xml.extend_from_slice(b". ");
    }
    xml.extend_from_slice(b"</title></rss>");
    let out = feed_bytes(&xml, None);
    let text: String = std::str::from_utf8(&out)
        .expect("utf-8 output")
        .nfc()
        .collect();
    assert!(text.contains(VAN_PHONG), "{text}");
}

/// The point of `feed_bytes`: whatever it returns, feed-rs must read the right text.
#[test]
fn feed_bytes_output_parses_with_feed_rs() {
    let rss = |decl: &str, title: &[u8]| {
        [
            decl.as_bytes(),
            b"<rss version=\"2.0\"><channel><title>t</title><item><title>".as_slice(),
            title,
            b"</title></item></channel></rss>",
        ]
        .concat()
    };
    let utf16 = |bytes: Vec<u8>| {
        let text = String::from_utf8(bytes).expect("utf-8 template");
        utf16le_with_bom(&text)
    };
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        (
            "declared windows-1258",
            rss(
                "<?xml version=\"1.0\" encoding=\"windows-1258\"?>",
                CP1258_VAN_PHONG,
            ),
            None,
        ),
        (
            "header windows-1258",
            rss("<?xml version=\"1.0\"?>", CP1258_VAN_PHONG),
            Some("windows-1258"),
        ),
        (
            "unlabelled windows-1258",
            rss("", &[CP1258_VAN_PHONG, b". ", CP1258_VAN_PHONG].concat()),
            None,
        ),
        (
            "utf-16 BOM, declaration says windows-1252",
            utf16(rss(
                "<?xml version=\"1.0\" encoding=\"windows-1252\"?>",
                VAN_PHONG.as_bytes(),
            )),
            None,
        ),
        (
            "utf-8 BOM, declaration says iso-8859-1",
            [
                b"\xEF\xBB\xBF".as_slice(),
                &rss(
                    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>",
                    VAN_PHONG.as_bytes(),
                ),
            ]
            .concat(),
            None,
        ),
        (
            "plain utf-8, wrong header",
            rss("", VAN_PHONG.as_bytes()),
            Some("iso-8859-1"),
        ),
    ];
    for (name, body, header) in cases {
        let bytes = feed_bytes(&body, header);
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let title = feed
            .entries
            .first()
            .and_then(|e| e.title.as_ref())
            .map(|t| t.content.nfc().collect::<String>());
        assert!(
            title.as_deref().is_some_and(|t| t.starts_with(VAN_PHONG)),
            "{name}: {title:?}"
        );
    }
}
