use chrono::{DateTime, FixedOffset, TimeZone, Utc};

use super::*;

/// An instant written in +07:00.
fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<FixedOffset> {
    vn_offset().with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// The fixed "now" every table uses: 15 July 2026, 10:00 in Vietnam.
fn now() -> DateTime<FixedOffset> {
    vn(2026, 7, 15, 10, 0, 0)
}

#[test]
fn every_documented_form() {
    let cases: &[(&str, DateTime<FixedOffset>)] = &[
        ("Ngày 06/9/2025", vn(2025, 9, 6, 0, 0, 0)),
        ("ngày 03/6/2024", vn(2024, 6, 3, 0, 0, 0)),
        ("ngày 6/6/2024 (thứ 5)", vn(2024, 6, 6, 0, 0, 0)),
        ("Thứ Bảy, 26/01/2019 19:26", vn(2019, 1, 26, 19, 26, 0)),
        ("22/09/2022 15:15", vn(2022, 9, 22, 15, 15, 0)),
        ("Thứ Năm - 11/01/2018 08:31 SA", vn(2018, 1, 11, 8, 31, 0)),
        ("Thứ Năm - 11/01/2018 08:31 CH", vn(2018, 1, 11, 20, 31, 0)),
        ("Thứ Hai - 15/01/2018 12:05 SA", vn(2018, 1, 15, 0, 5, 0)),
        ("13/01/2026 19:15", vn(2026, 1, 13, 19, 15, 0)),
        ("(29/06/2026, 14:49)", vn(2026, 6, 29, 14, 49, 0)),
        ("15/05/2020, 11:01", vn(2020, 5, 15, 11, 1, 0)),
        (
            "Thứ hai, 15/1/2024, 08:30 (GMT+7)",
            vn(2024, 1, 15, 8, 30, 0),
        ),
        ("05/10/2026 15:42 GMT+7", vn(2026, 10, 5, 15, 42, 0)),
        ("29/12/2025 22:32 GMT+7", vn(2025, 12, 29, 22, 32, 0)),
        (
            "Thứ 6, 29/09/2023 | 10:18:56 [GMT +7]",
            vn(2023, 9, 29, 10, 18, 56),
        ),
        (
            "Chủ nhật, 20/02/2022 | 21:36:16 (GMT +7)",
            vn(2022, 2, 20, 21, 36, 16),
        ),
        (
            "Thứ sáu, 24/05/2024 07:49 (GMT+7)",
            vn(2024, 5, 24, 7, 49, 0),
        ),
        ("18/08/2025 4:27 PM (GMT+7)", vn(2025, 8, 18, 16, 27, 0)),
        ("18/08/2025 12:10 PM", vn(2025, 8, 18, 12, 10, 0)),
        ("16:03 | 15/06/2020", vn(2020, 6, 15, 16, 3, 0)),
        ("ngày 10 tháng 08 năm 2016", vn(2016, 8, 10, 0, 0, 0)),
        (
            "Hà Nội, ngày 22 tháng 11 năm 2002",
            vn(2002, 11, 22, 0, 0, 0),
        ),
        ("2025-09-06", vn(2025, 9, 6, 0, 0, 0)),
        ("2025-09-06 08:30", vn(2025, 9, 6, 8, 30, 0)),
        ("2025-09-06T08:30:00+07:00", vn(2025, 9, 6, 8, 30, 0)),
        ("2025-09-06T01:30:00Z", vn(2025, 9, 6, 8, 30, 0)),
        ("2025-09-06T01:30:00.250Z", vn(2025, 9, 6, 8, 30, 0)),
        ("2025-09-06T03:30:00+02:00", vn(2025, 9, 6, 8, 30, 0)),
        ("2025-09-06T08:30:00", vn(2025, 9, 6, 8, 30, 0)),
        ("Mon, 4 May 2026 02:05:12 GMT", vn(2026, 5, 4, 9, 5, 12)),
        (
            "Wed, 19 Apr 2017 19:49:15 +0700",
            vn(2017, 4, 19, 19, 49, 15),
        ),
        (
            "Wed, 19 Apr 2017 12:49:15 -0000",
            vn(2017, 4, 19, 19, 49, 15),
        ),
        ("19 Apr 2017 12:49 UT", vn(2017, 4, 19, 19, 49, 0)),
        (
            "Wednesday, 19 April 2017 19:49:15 ICT",
            vn(2017, 4, 19, 19, 49, 15),
        ),
        ("06/09/2025 | 1.234 lượt xem", vn(2025, 9, 6, 0, 0, 0)),
        ("08/09/2025 10:15 | 532 lượt xem", vn(2025, 9, 8, 10, 15, 0)),
        ("08/09/2025 02:35:10 PM", vn(2025, 9, 8, 14, 35, 10)),
        ("Cập nhật lúc 8h30 ngày 06/9/2025", vn(2025, 9, 6, 8, 30, 0)),
        ("Ngày đăng: 16.06.2020", vn(2020, 6, 16, 0, 0, 0)),
        ("15/06/20", vn(2020, 6, 15, 0, 0, 0)),
        (
            "Sáng ngày 06/9/2025, Đoàn Công tác của Ban Quản lý các Khu công nghiệp tỉnh Hưng Yên đến làm việc",
            vn(2025, 9, 6, 0, 0, 0),
        ),
        (
            "Ban Quản lý các KCN tỉnh tổ chức Hội nghị sơ kết ngày 03/6/2024 tại trụ sở",
            vn(2024, 6, 3, 0, 0, 0),
        ),
    ];
    for (text, want) in cases {
        let got = parse_vn_date(text, now());
        assert_eq!(got, Some(*want), "input {text:?}");
    }
}

#[test]
fn year_less_dates_take_the_nearest_past_year() {
    // now = 15/07/2026
    let cases: &[(&str, DateTime<FixedOffset>, DateTime<FixedOffset>)] = &[
        ("Ngày 16.6", now(), vn(2026, 6, 16, 0, 0, 0)),
        ("Sáng 14.9", now(), vn(2025, 9, 14, 0, 0, 0)),
        ("Ngày 15.7", now(), vn(2026, 7, 15, 0, 0, 0)),
        ("Ngày 16.7", now(), vn(2025, 7, 16, 0, 0, 0)),
        (
            "Chiều 31/12",
            vn(2027, 1, 2, 8, 0, 0),
            vn(2026, 12, 31, 0, 0, 0),
        ),
        ("Ngày 29.2", now(), vn(2024, 2, 29, 0, 0, 0)),
        ("16/6", now(), vn(2026, 6, 16, 0, 0, 0)),
        ("09:15 16/6", now(), vn(2026, 6, 16, 9, 15, 0)),
    ];
    for (text, at, want) in cases {
        assert_eq!(
            parse_vn_date(text, *at),
            Some(*want),
            "input {text:?} at {at}"
        );
    }
}

#[test]
fn nfd_and_odd_whitespace() {
    use unicode_normalization::UnicodeNormalization;
    let nfd: String = "Thứ Bảy,\u{00A0}26/01/2019\u{00A0}19:26".nfd().collect();
    assert_ne!(nfd, "Thứ Bảy, 26/01/2019 19:26");
    assert_eq!(parse_vn_date(&nfd, now()), Some(vn(2019, 1, 26, 19, 26, 0)));
    let nfd_yearless: String = "Ngày\u{202F}16.6".nfd().collect();
    assert_eq!(
        parse_vn_date(&nfd_yearless, now()),
        Some(vn(2026, 6, 16, 0, 0, 0))
    );
    assert_eq!(
        parse_vn_date("ngày\u{200B} 10 tháng 08 năm 2016", now()),
        Some(vn(2016, 8, 10, 0, 0, 0))
    );
    assert_eq!(
        parse_vn_date("\t22/09/2022\u{3000}15:15\n", now()),
        Some(vn(2022, 9, 22, 15, 15, 0))
    );
}

#[test]
fn rejects_impossible_and_non_dates() {
    let cases = [
        "",
        "   ",
        "32/13/2025",
        "31/02/2025",
        "00/05/2025",
        "15/00/2025",
        "25/12/2025 25:61",
        "Đang cập nhật",
        "Lượt xem: 1234",
        "tăng 1.5 lần so với cùng kỳ",
        "Nghị quyết 202/2025/QH15",
        "Quyết định số 1625/QĐ-TTg",
        "192.168.1.1",
        "2025-13-40",
        "15/06/20201",
        "06/9-2025",
        "Tỷ số 16-6",
    ];
    for text in cases {
        assert_eq!(parse_vn_date(text, now()), None, "input {text:?}");
    }
}

#[test]
fn never_month_first() {
    // 05/10 is 5 October, never May 10; 13/01 would be impossible month-first.
    assert_eq!(
        parse_vn_date("05/10/2026", now()),
        Some(vn(2026, 10, 5, 0, 0, 0))
    );
    assert_eq!(parse_vn_date("01/13/2026", now()), None);
}

#[test]
fn weekday_is_ignored_even_when_wrong() {
    // 26/01/2019 was a Saturday; a page that says Monday still gets the written date.
    assert_eq!(
        parse_vn_date("Thứ Hai, 26/01/2019 19:26", now()),
        Some(vn(2019, 1, 26, 19, 26, 0))
    );
    assert_eq!(
        parse_vn_date("T2, 26/01/2019", now()),
        Some(vn(2019, 1, 26, 0, 0, 0))
    );
    assert_eq!(
        parse_vn_date("CN, 26/01/2019", now()),
        Some(vn(2019, 1, 26, 0, 0, 0))
    );
}

#[test]
fn dates_in_urls() {
    let cases: &[(&str, Option<DateTime<FixedOffset>>)] = &[
        (
            "http://banqlkcn.hungyen.gov.vn/portal/Pages/2020-6-10/cong-tac-quan-ly-nha-nuoc-ve-xay-dung-trong-cac-kcn-thuc-trang-va-giai-phap-c2139.html",
            Some(vn(2020, 6, 10, 0, 0, 0)),
        ),
        (
            "http://nghison.gov.vn/tinnoibat/Pages/20180111083111.aspx",
            Some(vn(2018, 1, 11, 8, 31, 11)),
        ),
        (
            "https://hanoi.gov.vn/tin-tuc-su-kien/ha-noi-phat-trien-kcn-4250410182811455.htm",
            Some(vn(2025, 4, 10, 18, 28, 11)),
        ),
        (
            "https://heza.gov.vn/2024/06/05/hoi-nghi-xuc-tien-dau-tu/",
            Some(vn(2024, 6, 5, 0, 0, 0)),
        ),
        ("/2024/06/05/slug", Some(vn(2024, 6, 5, 0, 0, 0))),
        // Implausible years and impossible dates are ignored.
        ("http://x.gov.vn/Pages/19800111083111.aspx", None),
        ("http://x.gov.vn/3024/06/05/slug", None),
        ("http://x.gov.vn/portal/Pages/2020-13-10/x.html", None),
        ("http://x.gov.vn/tin-tuc/slug-4251340182811455.htm", None),
        (
            "https://bqlkktkcn.khanhhoa.gov.vn/article/tin-van/doan-cong-tac.html",
            None,
        ),
        (
            "https://dongnai.gov.vn/en/news/tin-tuc/many-options-4043.html",
            None,
        ),
    ];
    for (url, want) in cases {
        assert_eq!(date_from_url(url), *want, "url {url}");
    }
}

#[test]
fn feed_timestamps_are_lenient() {
    let utc = |y, mo, d, h, mi, s| Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap();
    let cases: &[(&str, DateTime<Utc>)] = &[
        ("Mon, 4 May 2026 02:05:12 GMT", utc(2026, 5, 4, 2, 5, 12)),
        (
            "Wed, 19 Apr 2017 19:49:15 +0700",
            utc(2017, 4, 19, 12, 49, 15),
        ),
        (
            "Wed, 19 Apr 2017 19:49:15 -0000",
            utc(2017, 4, 19, 19, 49, 15),
        ),
        ("Wed, 19 Apr 2017 19:49:15 UT", utc(2017, 4, 19, 19, 49, 15)),
        (
            "Wed, 19 Apr 2017 19:49:15 GMT+7",
            utc(2017, 4, 19, 12, 49, 15),
        ),
        (
            "Wed, 19 Apr 2017 19:49:15 ICT",
            utc(2017, 4, 19, 12, 49, 15),
        ),
        ("Wed, 19 Apr 2017 19:49 +0700", utc(2017, 4, 19, 12, 49, 0)),
        (
            "Wednesday, 19 April 2017 19:49:15 +0700",
            utc(2017, 4, 19, 12, 49, 15),
        ),
        ("2022-11-15T20:15:04+07:00", utc(2022, 11, 15, 13, 15, 4)),
        ("2022-11-15T20:15:04", utc(2022, 11, 15, 13, 15, 4)),
        ("2022-11-15 20:15:04", utc(2022, 11, 15, 13, 15, 4)),
        ("15/11/2022 20:15", utc(2022, 11, 15, 13, 15, 0)),
        ("Thứ ba, 15/11/2022 - 20:15", utc(2022, 11, 15, 13, 15, 0)),
    ];
    for (text, want) in cases {
        assert_eq!(parse_feed_timestamp(text), Some(*want), "input {text:?}");
    }
    assert_eq!(parse_feed_timestamp("not a date"), None);
}
