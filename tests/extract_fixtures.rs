//! Extraction of realistic Vietnamese board pages (tests/fixtures/html), through the
//! public API only: every preset's list pages here; articles, redesign detection,
//! suggestions and a windows-1258 page in `extract_fixtures/pages.rs`.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, TimeZone};
use url::Url;
use zonewire::extract::{
    ExtractError, HtmlConfig, HtmlRules, extract_article, extract_list, feed_links, suggest,
};
use zonewire::model::{RawEntry, vn_offset};

#[path = "extract_fixtures/pages.rs"]
mod pages;

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
