//! Beyond list pages: an article cut out of its page, a redesign that breaks the
//! selectors, suggestions on pages without presets, and a windows-1258 page.

use super::*;

#[test]
fn vnportal_article_hung_yen_board() {
    let a = extract_article(
        &fixture("vnportal_article.html"),
        &Url::parse(SEED_HY_LINK).unwrap(),
        &preset("vnportal"),
        now(),
    );
    assert_eq!(
        a.published,
        Some(vn(2025, 9, 8, 10, 15, 0)),
        "from `.post-date` \"date | N lượt xem\""
    );
    assert_eq!(a.title.as_deref(), Some(SEED_HY_TITLE));
    assert_eq!(a.canonical.as_deref(), Some(SEED_HY_LINK));
    assert_eq!(
        a.image.as_deref(),
        Some(
            "https://banqlkcn.hungyen.gov.vn/Uploads/images/tin-tuc/2025/09/08/doan-cong-tac-khanh-hoa.jpg"
        )
    );
    let body = a.body_html.unwrap();
    assert!(body.contains("Tác giả: Thu Hà"), "{body}");
    assert!(body.contains("Cảng Quốc tế Nam Vân Phong"));
    assert!(
        !body.contains("Tin liên quan") && !body.contains("Hội nghị đối thoại"),
        "{body}"
    );
}

#[test]
fn khanhhoa_seed_article_is_cut_and_cleaned() {
    let a = extract_article(
        &fixture("khanhhoa_article.html"),
        &Url::parse(KH_SEED_LINK).unwrap(),
        &preset("khanhhoa-board"),
        now(),
    );
    assert_eq!(a.title.as_deref(), Some(KH_SEED_TITLE));
    assert_eq!(
        a.published,
        Some(vn(2025, 9, 6, 0, 0, 0)),
        "\"Ngày 06/9/2025\" in the lead paragraph"
    );
    assert_eq!(a.canonical, None);
    let body = a.body_html.unwrap();
    // Kept: the text from the first to the last paragraph, images and captions.
    for kept in [
        "Ngày 06/9/2025, Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên",
        "Toàn cảnh buổi làm việc giữa Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên",
        "phát biểu tại buổi làm việc",
        "Đoàn công tác tham quan tại Cảng Quốc tế Nam Vân Phong",
        "trong năm 2025 và các năm tiếp theo.",
        "L.T.N.Dung",
        r#"src="/uploads/news/2025_09/h2.jpg""#,
        r#"src="/uploads/news/2025_09/h3.png""#,
        r#"src="/uploads/news/2025_09/h4.png""#,
    ] {
        assert!(body.contains(kept), "missing {kept:?} in {body}");
    }
    // Gone: image-size lines, the `| |` layout table, the related-news block.
    for gone in [
        "h2.jpg (229 KB)",
        "h3.png (826 KB)",
        "h4.png (1.09 MB)",
        "KB)",
        "<table",
        "Tin tức khác",
        "Hội nghị xúc tiến đầu tư vào Khu kinh tế Vân Phong năm 2025",
        "Ninh Thủy",
        "Suối Dầu",
    ] {
        assert!(!body.contains(gone), "{gone:?} still in {body}");
    }
    assert_eq!(body.matches("<img").count(), 3);
    // The sign-off is the last text left.
    let last_text = body.rfind("L.T.N.Dung").unwrap();
    assert!(!body[last_text..].contains("<p"), "{}", &body[last_text..]);
}

#[test]
fn redesigned_site_names_the_dead_selector() {
    let err = extract_list(
        &fixture("vnportal_redesigned.html"),
        &Url::parse(&format!("{HY}/chuyen-muc-tin-tuc-su-kien-c221-1.html")).unwrap(),
        &preset("vnportal"),
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ExtractError::NoItems {
            selector: "div.item-new".into()
        }
    );
    assert!(err.to_string().contains("div.item-new"));
}

#[test]
fn suggest_finds_news_items_not_menus_without_presets() {
    let page = Url::parse(&format!("{HY}/chuyen-muc-tin-tuc-su-kien-c221-1.html")).unwrap();
    let html = fixture("vnportal_list.html");
    let s = suggest(&html, &page);
    assert!(!s.is_empty());
    let first = &s[0];
    assert_eq!(first.item, "div.item-new");
    assert_eq!(first.title, "div.article-right > a.article-title");
    assert_eq!(first.link, format!("{}@href", first.title));
    assert_eq!(first.date.as_deref(), Some("span.article-date"));
    assert_eq!(
        first.count, 8,
        "eight blocks with a usable link (one repeats)"
    );
    assert_eq!(
        first.samples[0],
        (SEED_HY_TITLE.to_string(), SEED_HY_LINK.to_string())
    );
    assert_eq!(first.samples.len(), 3);

    // What it proposes extracts exactly what the hand-written preset does.
    let cfg = HtmlConfig {
        item: Some(first.item.clone()),
        title: Some(first.title.clone()),
        link: Some(first.link.clone()),
        date: first.date.clone(),
        ..HtmlConfig::default()
    };
    let from_suggestion =
        extract_list(&html, &page, &HtmlRules::compile(&cfg).unwrap(), now()).unwrap();
    let from_preset = extract_list(&html, &page, &preset("vnportal"), now()).unwrap();
    assert_eq!(triples(&from_suggestion), triples(&from_preset));
}

#[test]
fn suggest_on_other_platforms_matches_the_presets() {
    let cases = [
        (
            "bacninh_list.html",
            "http://www.izabacninh.gov.vn/tin-tuc/tin-hoat-dong-12/trang-1.html",
            "bacninh-iza",
        ),
        (
            "nukeviet_list.html",
            "https://dongnai.gov.vn/vi/news/kinh-te/",
            "nukeviet",
        ),
        (
            "sharepoint_list.html",
            "http://nghison.gov.vn/tinnoibat/Pages/default.aspx",
            "sharepoint",
        ),
        (
            "wordpress_list.html",
            "https://heza.gov.vn/category/tin-tuc/",
            "wordpress",
        ),
    ];
    for (file, page, name) in cases {
        let page = Url::parse(page).unwrap();
        let html = fixture(file);
        let s = suggest(&html, &page);
        let first = s.first().unwrap_or_else(|| panic!("{file}: no suggestion"));
        let cfg = HtmlConfig {
            item: Some(first.item.clone()),
            title: Some(first.title.clone()),
            link: Some(first.link.clone()),
            ..HtmlConfig::default()
        };
        let got = extract_list(&html, &page, &HtmlRules::compile(&cfg).unwrap(), now()).unwrap();
        let want = extract_list(&html, &page, &preset(name), now()).unwrap();
        let titles = |v: &[RawEntry]| {
            v.iter()
                .map(|e| (e.title.clone(), e.link.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(titles(&got), titles(&want), "{file}: suggestion {first:?}");
    }
}

#[test]
fn windows_1258_page_decoded_then_extracted() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/html/cp1258_list.html");
    let bytes = std::fs::read(path).unwrap();
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the fixture really is windows-1258"
    );
    let (decoded, had_errors) = encoding_rs::WINDOWS_1258.decode_without_bom_handling(&bytes);
    assert!(!had_errors);
    // windows-1258 carries tones as combining marks: the decoded text is not NFC.
    assert!(!unicode_normalization::is_nfc(&decoded));
    use unicode_normalization::UnicodeNormalization;
    let nfc: String = decoded.nfc().collect();

    let cfg = HtmlConfig {
        item: Some("table.tbl-tin tr.tin".into()),
        title: Some("a.tieude".into()),
        date: Some("span.ngay".into()),
        summary: Some("span.tomtat".into()),
        ..HtmlConfig::default()
    };
    let rules = HtmlRules::compile(&cfg).unwrap();
    let page = Url::parse("http://vanphong.gov.vn/tintuc.asp").unwrap();
    let want = [
        (
            "Tiếp nhận hồ sơ dự án đầu tư vào Khu kinh tế Vân Phong",
            "http://vanphong.gov.vn/chitiet.asp?id=1021",
            vn(2020, 5, 15, 11, 1, 0),
        ),
        (
            "Hội nghị triển khai nhiệm vụ năm 2020 của Ban Quản lý",
            "http://vanphong.gov.vn/chitiet.asp?id=1018",
            vn(2020, 1, 10, 8, 30, 0),
        ),
        (
            "Kiểm tra tiến độ dự án Nhà máy nhiệt điện Vân Phong 1",
            "http://vanphong.gov.vn/chitiet.asp?id=1012",
            vn(2019, 12, 26, 14, 15, 0),
        ),
        (
            "Thủy sản Ninh Hòa mở rộng nhà xưởng tại Cụm công nghiệp Đắc Lộc",
            "http://vanphong.gov.vn/chitiet.asp?id=1007",
            vn(2019, 12, 2, 16, 40, 0),
        ),
    ];
    let want: Vec<_> = want.iter().map(|(t, l, d)| (*t, *l, Some(*d))).collect();
    let got = extract_list(&nfc, &page, &rules, now()).unwrap();
    assert_eq!(triples(&got), want);
    assert_eq!(
        got[3].summary.as_deref(),
        Some("Doanh nghiệp đầu tư thêm 2 dây chuyền chế biến xuất khẩu.")
    );
    // Extraction normalises on its own too, so a caller that forgot NFC gets the same.
    let raw = extract_list(&decoded, &page, &rules, now()).unwrap();
    assert_eq!(triples(&raw), want);
}
