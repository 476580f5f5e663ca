//! Small builders for render tests.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};

use super::{FeedMeta, Sources};
use crate::model::{Item, SourceInfo, Story, vn_offset};

pub const TITLE_VI: &str = "Khánh Hòa và Hưng Yên hợp tác phát triển khu công nghiệp";
pub const ALSO_REPORTED_VI: &str = "Cũng được đưa tin bởi";

pub fn vn(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::FixedOffset> {
    vn_offset()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid test date")
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid test date")
}

/// A plain item of `source` tagged with one province.
pub fn item_in(source: &str, id: &str, province: &str) -> Item {
    Item {
        id: id.to_string(),
        source: source.to_string(),
        title: format!("Tin {id}"),
        link: format!("https://{source}.example.vn/tin/{id}"),
        published: vn(2025, 9, 5, 9, 0),
        date_is_first_seen: false,
        first_seen: utc(2025, 9, 5, 3, 0),
        updated: None,
        summary: format!("Tóm tắt {id}"),
        content_html: None,
        authors: vec![],
        categories: vec![],
        image: None,
        provinces: vec![province.to_string()],
        revisions: vec![],
    }
}

pub fn sources() -> Sources {
    let mut m = HashMap::new();
    for (id, name, url, province, kind) in [
        (
            "kh",
            "BQL Khu kinh tế Vân Phong",
            "https://kkt.khanhhoa.gov.vn/rss",
            Some("khanh-hoa"),
            "feed",
        ),
        (
            "hy",
            "Ban quản lý các KKT tỉnh Hưng Yên",
            "https://bqlkcn.hungyen.gov.vn/tin-tuc",
            Some("hung-yen"),
            "html",
        ),
        (
            "dn",
            "BQL KCN Đồng Nai",
            "https://dongnai.example.vn/feed",
            Some("dong-nai"),
            "auto",
        ),
    ] {
        m.insert(
            id.to_string(),
            SourceInfo {
                id: id.to_string(),
                name: name.to_string(),
                url: url.to_string(),
                province: province.map(str::to_string),
                kind: kind.to_string(),
            },
        );
    }
    m
}

pub fn meta() -> FeedMeta {
    let mut province_names = HashMap::new();
    for (slug, name) in [
        ("khanh-hoa", "Khánh Hòa"),
        ("hung-yen", "Hưng Yên"),
        ("dong-nai", "Đồng Nai"),
        ("an-giang", "An Giang"),
    ] {
        province_names.insert(slug.to_string(), name.to_string());
    }
    FeedMeta {
        title: "Tin khu công nghiệp — tổng hợp".to_string(),
        description: "Tin các ban quản lý KCN, KKT".to_string(),
        base_url: "http://127.0.0.1:8080".to_string(),
        self_url: "http://127.0.0.1:8080/feed.xml?province=khanh-hoa&cooperation=1".to_string(),
        next_url: Some(
            "http://127.0.0.1:8080/feed.xml?province=khanh-hoa&cooperation=1&before=2025-09-05T09:00:00%2B07:00"
                .to_string(),
        ),
        updated: utc(2025, 9, 6, 3, 0),
        ttl_minutes: 30,
        province_names,
    }
}

/// Meta, two stories (a two-province story reported by two boards, then a one-province
/// story), sources.
pub fn fixture() -> (FeedMeta, Vec<Story>, Sources) {
    let mut lead = item_in("kh", "a1b2c3", "khanh-hoa");
    lead.title = TITLE_VI.to_string();
    lead.link = "https://kkt.khanhhoa.gov.vn/tin/hop-tac?id=7&lang=vi".to_string();
    lead.published = vn(2025, 9, 6, 8, 30);
    lead.updated = Some(utc(2025, 9, 6, 2, 0));
    lead.summary = "Tóm tắt <ngắn> & rõ".to_string();
    lead.content_html = Some("<p>Đoàn công tác tỉnh Hưng Yên thăm KKT Vân Phong.</p>".to_string());
    lead.authors = vec!["Minh Anh".to_string(), "Thu Hà".to_string()];
    lead.categories = vec!["Đầu tư".to_string()];
    lead.image = Some("https://kkt.khanhhoa.gov.vn/img/a.jpg".to_string());
    lead.provinces = vec!["khanh-hoa".to_string(), "hung-yen".to_string()];

    let mut other = item_in("hy", "d4e5f6", "hung-yen");
    other.title = "Hưng Yên thăm Khánh Hòa".to_string();
    other.link = "https://bqlkcn.hungyen.gov.vn/tin/1".to_string();
    other.published = vn(2025, 9, 6, 9, 15);
    other.provinces = vec!["hung-yen".to_string(), "khanh-hoa".to_string()];

    let single = item_in("dn", "0f0f0f", "dong-nai");
    let stories = vec![
        Story {
            lead,
            others: vec![other],
        },
        Story {
            lead: single,
            others: vec![],
        },
    ];
    (meta(), stories, sources())
}
