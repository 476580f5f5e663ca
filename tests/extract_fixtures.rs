//! Extraction of realistic Vietnamese board pages (tests/fixtures/html), through the
//! public API only: every preset, article cleaning, redesign detection, suggestions and
//! a windows-1258 page.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeZone};
use url::Url;
use zonewire::extract::{
    ExtractError, HtmlConfig, HtmlRules, extract_article, extract_list, feed_links, suggest,
};
use zonewire::model::{RawEntry, vn_offset};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/html")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
    vn_offset().with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn now() -> DateTime<FixedOffset> {
    vn(2026, 7, 15, 10, 0, 0)
}

fn preset(name: &str) -> HtmlRules {
    HtmlRules::compile(&HtmlConfig {
        preset: Some(name.into()),
        ..HtmlConfig::default()
    })
    .unwrap()
}

fn list(file: &str, page: &str, rules: &HtmlRules) -> Vec<RawEntry> {
    extract_list(&fixture(file), &Url::parse(page).unwrap(), rules, now()).unwrap()
}

/// (title, link, published) of every entry.
fn triples(entries: &[RawEntry]) -> Vec<(&str, &str, Option<DateTime<FixedOffset>>)> {
    entries
        .iter()
        .map(|e| {
            (
                e.title.as_str(),
                e.link.as_deref().unwrap_or(""),
                e.published,
            )
        })
        .collect()
}

const HY: &str = "https://banqlkcn.hungyen.gov.vn";
const SEED_HY_TITLE: &str =
    "Đoàn công tác Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên học tập kinh nghiệm tại Khánh Hòa";
const SEED_HY_LINK: &str = "https://banqlkcn.hungyen.gov.vn/doan-cong-tac-ban-quan-ly-cac-khu-cong-nghiep-tinh-hung-yen-hoc-tap-kinh-nghiem-tai-khanh-hoa-c57120.html";

#[test]
fn vnportal_list_hung_yen_board() {
    let got = list(
        "vnportal_list.html",
        &format!("{HY}/chuyen-muc-tin-tuc-su-kien-c221-1.html"),
        &preset("vnportal"),
    );
    let want = [
        (
            SEED_HY_TITLE,
            SEED_HY_LINK.to_string(),
            Some(vn(2025, 9, 8, 0, 0, 0)),
        ),
        (
            "Ban Quản lý các KCN tỉnh tổ chức Hội nghị đối thoại với doanh nghiệp FDI năm 2025",
            format!(
                "{HY}/ban-quan-ly-cac-kcn-tinh-to-chuc-hoi-nghi-doi-thoai-voi-doanh-nghiep-fdi-nam-2025-c57096.html"
            ),
            Some(vn(2025, 8, 29, 0, 0, 0)),
        ),
        (
            "Khởi công xây dựng Nhà máy sản xuất linh kiện điện tử tại KCN Phố Nối A",
            format!(
                "{HY}/khoi-cong-xay-dung-nha-may-san-xuat-linh-kien-dien-tu-tai-kcn-pho-noi-a-c57081.html"
            ),
            Some(vn(2025, 8, 25, 0, 0, 0)),
        ),
        (
            // No date element: the date comes from the title ("ngày 6/6/2024 (thứ 5)").
            "Lịch làm việc của Lãnh đạo Ban ngày 6/6/2024 (thứ 5)",
            format!("{HY}/lich-lam-viec-cua-lanh-dao-ban-ngay-6-6-2024-thu-5-c48812.html"),
            Some(vn(2024, 6, 6, 0, 0, 0)),
        ),
        (
            "Tuyên truyền, phổ biến pháp luật về lao động cho công nhân KCN Thăng Long II",
            format!(
                "{HY}/tuyen-truyen-pho-bien-phap-luat-ve-lao-dong-cho-cong-nhan-kcn-thang-long-ii-c57042.html"
            ),
            Some(vn(2025, 8, 20, 0, 0, 0)),
        ),
        (
            // "Đang cập nhật" is no date; the SharePoint-era URL carries 2020-6-10.
            "Công tác quản lý nhà nước về xây dựng trong các KCN: Thực trạng và giải pháp",
            format!(
                "{HY}/portal/Pages/2020-6-10/cong-tac-quan-ly-nha-nuoc-ve-xay-dung-trong-cac-kcn-thuc-trang-va-giai-phap-c2139.html"
            ),
            Some(vn(2020, 6, 10, 0, 0, 0)),
        ),
        (
            "Ban Quản lý các KCN tỉnh làm việc với Tập đoàn Hòa Phát về dự án mở rộng",
            format!(
                "{HY}/ban-quan-ly-cac-kcn-tinh-lam-viec-voi-tap-doan-hoa-phat-ve-du-an-mo-rong-c57010.html"
            ),
            Some(vn(2025, 8, 15, 0, 0, 0)),
        ),
    ];
    let want: Vec<_> = want.iter().map(|(t, l, d)| (*t, l.as_str(), *d)).collect();
    // The repeated Phố Nối A block and the `javascript:` item are gone; the menu, the
    // "Tin nổi bật" box and the pager are not items.
    assert_eq!(triples(&got), want);
    assert_eq!(
        got[0].image.as_deref(),
        Some(
            "https://banqlkcn.hungyen.gov.vn/Uploads/images/tin-tuc/2025/09/08/doan-cong-tac-khanh-hoa.jpg"
        )
    );
    assert!(
        got[0]
            .summary
            .as_deref()
            .unwrap()
            .starts_with("Từ ngày 05 đến ngày 07/9/2025, Đoàn công tác")
    );
    assert_eq!(got[3].summary, None, "an empty brief is no summary");
    assert_eq!(got[3].image, None);
    assert!(got.iter().all(|e| e.unparsed_date.is_none()));
}

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
fn bacninh_list_uses_base_href() {
    let got = list(
        "bacninh_list.html",
        "http://www.izabacninh.gov.vn/tin-tuc/tin-hoat-dong-12/trang-1.html",
        &preset("bacninh-iza"),
    );
    let base = "http://www.izabacninh.gov.vn/tin-tuc/tin-hoat-dong-12";
    let want = [
        (
            "Ban Quản lý các KCN tỉnh Bắc Ninh tiếp đoàn doanh nghiệp Hàn Quốc",
            "ban-quan-ly-cac-kcn-tinh-bac-ninh-tiep-doan-doanh-nghiep-han-quoc-2871.html",
            vn(2025, 9, 5, 14, 20, 0),
        ),
        (
            "Trao Giấy chứng nhận đầu tư cho 11 dự án tại KCN Quang Châu",
            "trao-giay-chung-nhan-dau-tu-cho-11-du-an-tai-kcn-quang-chau-2866.html",
            vn(2025, 9, 3, 9, 5, 0),
        ),
        (
            "Công bố quyết định hợp nhất Ban Quản lý các KCN tỉnh Bắc Giang và tỉnh Bắc Ninh",
            "hop-nhat-ban-quan-ly-cac-kcn-bac-giang-va-bac-ninh-2790.html",
            vn(2025, 7, 1, 8, 0, 0),
        ),
        (
            "Tập huấn an toàn, vệ sinh lao động cho doanh nghiệp KCN Yên Phong",
            "tap-huan-an-toan-ve-sinh-lao-dong-cho-doanh-nghiep-kcn-yen-phong-2752.html",
            vn(2025, 6, 20, 15, 45, 0),
        ),
        (
            "KCN VSIP Bắc Ninh đón nhà đầu tư thứ 100",
            "kcn-vsip-bac-ninh-don-nha-dau-tu-thu-100-2731.html",
            vn(2025, 6, 12, 10, 30, 0),
        ),
        (
            "Hội nghị tổng kết công tác năm 2024, triển khai nhiệm vụ năm 2025",
            "hoi-nghi-tong-ket-cong-tac-nam-2024-2650.html",
            vn(2025, 1, 10, 16, 10, 0),
        ),
    ];
    let want_links: Vec<String> = want.iter().map(|(_, l, _)| format!("{base}/{l}")).collect();
    let want: Vec<_> = want
        .iter()
        .zip(&want_links)
        .map(|((t, _, d), l)| (*t, l.as_str(), Some(*d)))
        .collect();
    assert_eq!(triples(&got), want);
    assert_eq!(
        got[0].image.as_deref(),
        Some("http://www.izabacninh.gov.vn/upload/news/2025/09/han-quoc.jpg")
    );
    assert_eq!(got[3].image, None);
    assert_eq!(
        got[4].summary.as_deref(),
        Some("Nhà đầu tư thứ 100 là một doanh nghiệp Nhật Bản sản xuất linh kiện ô tô.")
    );
}

#[test]
fn nukeviet_list_and_its_feeds() {
    let page = "https://dongnai.gov.vn/vi/news/kinh-te/";
    let got = list("nukeviet_list.html", page, &preset("nukeviet"));
    let n = "https://dongnai.gov.vn/vi/news/kinh-te";
    let want = [
        (
            "Khu công nghiệp Becamex Bình Phước thu hút thêm 3 dự án mới",
            format!("{n}/khu-cong-nghiep-becamex-binh-phuoc-thu-hut-them-3-du-an-moi-6812.html"),
            vn(2025, 9, 8, 14, 35, 10),
        ),
        (
            "Ban Quản lý các Khu công nghiệp Đồng Nai đối thoại với doanh nghiệp",
            format!(
                "{n}/ban-quan-ly-cac-khu-cong-nghiep-dong-nai-doi-thoai-voi-doanh-nghiep-6805.html"
            ),
            vn(2025, 9, 5, 9, 12, 44),
        ),
        (
            "Đồng Nai và Bình Phước hoàn tất hợp nhất Ban Quản lý các khu công nghiệp",
            format!(
                "{n}/dong-nai-va-binh-phuoc-hoan-tat-hop-nhat-ban-quan-ly-cac-khu-cong-nghiep-6650.html"
            ),
            vn(2025, 7, 1, 12, 5, 0),
        ),
        (
            "Khởi công hạ tầng Khu công nghiệp Long Đức 3",
            format!("{n}/khoi-cong-ha-tang-khu-cong-nghiep-long-duc-3-6631.html"),
            vn(2025, 6, 24, 8, 0, 0),
        ),
        (
            "Xuất khẩu của doanh nghiệp KCN tăng 12% trong 6 tháng đầu năm",
            format!("{n}/xuat-khau-cua-doanh-nghiep-kcn-tang-12-trong-6-thang-dau-nam-6610.html"),
            vn(2025, 6, 15, 16, 30, 0),
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, l, d)| (*t, l.as_str(), Some(*d)))
        .collect();
    assert_eq!(
        triples(&got),
        want,
        "the related list and the 'Tin xem nhiều' box are not items"
    );
    assert_eq!(
        got[0].image.as_deref(),
        Some("https://dongnai.gov.vn/assets/news/2025_09/becamex.jpg")
    );
    assert_eq!(got[2].image, None);
    assert_eq!(
        got[2].summary.as_deref(),
        Some(
            "Từ ngày 01/7/2025, Ban Quản lý các khu công nghiệp tỉnh Đồng Nai (mới) đi vào hoạt động."
        ),
        "the admin 'Sửa' paragraph is not the summary"
    );
    assert_eq!(
        feed_links(&fixture("nukeviet_list.html"), &Url::parse(page).unwrap()),
        [
            "https://dongnai.gov.vn/vi/news/rss/",
            "https://dongnai.gov.vn/vi/news/rss/kinh-te/"
        ]
    );
}

#[test]
fn wordpress_list_and_root_feed() {
    let page = "https://heza.gov.vn/category/tin-tuc/";
    let got = list("wordpress_list.html", page, &preset("wordpress"));
    let h = "https://heza.gov.vn";
    let want = [
        (
            "Phóng sự: Ban Quản lý Khu kinh tế Hải Phòng nỗ lực trong thu hút FDI",
            format!("{h}/phong-su-ban-quan-ly-khu-kinh-te-hai-phong-no-luc-trong-thu-hut-fdi/"),
            vn(2025, 9, 8, 9, 15, 0),
        ),
        (
            "Trao Giấy chứng nhận đăng ký đầu tư cho dự án tại KCN DEEP C III",
            format!("{h}/trao-giay-chung-nhan-dang-ky-dau-tu-cho-du-an-tai-kcn-deep-c-iii/"),
            vn(2025, 9, 4, 16, 40, 27),
        ),
        (
            "Hợp nhất Ban Quản lý các KCN tỉnh Hải Dương vào Ban Quản lý Khu kinh tế Hải Phòng",
            format!("{h}/hai-duong-va-hai-phong-hop-nhat-ban-quan-ly-khu-kinh-te/"),
            vn(2025, 7, 1, 8, 0, 0),
        ),
        (
            "Khu kinh tế ven biển phía Nam Hải Phòng được thành lập",
            format!("{h}/khu-kinh-te-ven-bien-phia-nam-hai-phong-duoc-thanh-lap/"),
            vn(2025, 6, 20, 14, 5, 0),
        ),
        // datetime="2025-06-02T07:30:00+00:00": the explicit UTC offset is honoured.
        (
            "Hội nghị xúc tiến đầu tư vào Hải Phòng tổ chức tại Nhật Bản",
            format!("{h}/hoi-nghi-xuc-tien-dau-tu-tai-nhat-ban-2025/"),
            vn(2025, 6, 2, 14, 30, 0),
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, l, d)| (*t, l.as_str(), Some(*d)))
        .collect();
    assert_eq!(triples(&got), want);
    assert_eq!(
        got[0].image.as_deref(),
        Some(
            "https://i0.wp.com/heza.gov.vn/wp-content/uploads/2025/09/fdi.jpg?resize=300%2C200&ssl=1"
        ),
        "the lazy-load data-src, not the data: placeholder"
    );
    assert_eq!(
        got[0].summary.as_deref(),
        Some(
            "8 tháng năm 2025, thành phố Hải Phòng thu hút hơn 2,1 tỷ USD vốn FDI vào các khu công nghiệp, khu kinh tế…"
        )
    );
    assert_eq!(
        feed_links(&fixture("wordpress_list.html"), &Url::parse(page).unwrap()),
        [
            "https://heza.gov.vn/category/tin-tuc/feed/",
            "https://heza.gov.vn/feed/"
        ]
    );
}

#[test]
fn sharepoint_list_nghi_son() {
    let got = list(
        "sharepoint_list.html",
        "http://nghison.gov.vn/tinnoibat/Pages/default.aspx",
        &preset("sharepoint"),
    );
    let p = "http://nghison.gov.vn/tinnoibat/Pages";
    let want = [
        (
            "Khởi công dự án nhà máy sản xuất phụ tùng ô tô tại KCN Lễ Môn",
            format!("{p}/20180111083111.aspx"),
            vn(2018, 1, 11, 8, 31, 0),
        ),
        (
            "Hội nghị tổng kết công tác năm 2017 của Ban Quản lý Khu kinh tế Nghi Sơn",
            format!("{p}/20180109154502.aspx"),
            vn(2018, 1, 9, 15, 45, 0),
        ),
        // No date on the list: the page name is yyyyMMddHHmmss.
        (
            "Thông báo lịch tiếp công dân tháng 01 năm 2018",
            format!("{p}/20180105100030.aspx"),
            vn(2018, 1, 5, 10, 0, 30),
        ),
        (
            "Liên hợp lọc hóa dầu Nghi Sơn chuẩn bị vận hành thương mại",
            format!("{p}/20171228091500.aspx"),
            vn(2017, 12, 28, 9, 15, 0),
        ),
        (
            "Cảng Nghi Sơn đón tàu trọng tải 50.000 tấn",
            format!("{p}/20171220140000.aspx"),
            vn(2017, 12, 20, 12, 0, 0),
        ),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, l, d)| (*t, l.as_str(), Some(*d)))
        .collect();
    assert_eq!(triples(&got), want);
}

const KH_SEED_LINK: &str = "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/doan-cong-tac-ban-quan-ly-cac-khu-cong-nghiep-tinh-hung-yen-den-tham-lam-viec-tai-ban-quan-ly-khu-kinh-te-va-khu-cong-nghiep-tinh-khanh-hoa.html";
const KH_SEED_TITLE: &str = "ĐOÀN CÔNG TÁC BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP TỈNH HƯNG YÊN ĐẾN THĂM, LÀM VIỆC TẠI BAN QUẢN LÝ KHU KINH TẾ VÀ KHU CÔNG NGHIỆP TỈNH KHÁNH HÒA";

#[test]
fn khanhhoa_board_list() {
    let rules = preset("khanhhoa-board");
    assert!(rules.follow);
    let got = list(
        "khanhhoa_list.html",
        "https://bqlkktkcn.khanhhoa.gov.vn/tin-van.html",
        &rules,
    );
    let k = "https://bqlkktkcn.khanhhoa.gov.vn/article";
    let want = [
        (KH_SEED_TITLE.to_string(), KH_SEED_LINK.to_string()),
        (
            "HỘI NGHỊ XÚC TIẾN ĐẦU TƯ VÀO KHU KINH TẾ VÂN PHONG NĂM 2025".into(),
            format!("{k}/tin-van/hoi-nghi-xuc-tien-dau-tu-vao-khu-kinh-te-van-phong-nam-2025.html"),
        ),
        (
            "CẤP GIẤY CHỨNG NHẬN ĐĂNG KÝ ĐẦU TƯ DỰ ÁN NHÀ MÁY NĂNG LƯỢNG TÁI TẠO TẠI NINH THỦY"
                .into(),
            format!(
                "{k}/tin-van/cap-giay-chung-nhan-dang-ky-dau-tu-du-an-nha-may-nang-luong-tai-tao-ninh-thuy.html"
            ),
        ),
        (
            "KIỂM TRA CÔNG TÁC BẢO VỆ MÔI TRƯỜNG TẠI KCN SUỐI DẦU".into(),
            format!("{k}/tin-tuc/kiem-tra-cong-tac-bao-ve-moi-truong-tai-kcn-suoi-dau.html"),
        ),
        (
            "THÔNG BÁO LỊCH TIẾP CÔNG DÂN THÁNG 9/2025".into(),
            format!("{k}/tin-van/thong-bao-lich-tiep-cong-dan-thang-9-2025.html"),
        ),
    ];
    let got_pairs: Vec<(String, String)> = got
        .iter()
        .map(|e| (e.title.clone(), e.link.clone().unwrap()))
        .collect();
    // Thumbnails (no text), "Xem tiếp" and the "Tin xem nhiều" box repeat these links.
    assert_eq!(got_pairs, want);
    assert!(
        got.iter()
            .all(|e| e.published.is_none() && e.unparsed_date.is_none())
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
