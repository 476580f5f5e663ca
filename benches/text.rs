//! The per-item text work: Vietnamese dates, folding, canonical URLs, and the
//! near-duplicate lookup against 100k stored stories.
//!
//! Run: `cargo bench --bench text` (BENCHMARKS.md has the figures).

#[path = "../bench/gen.rs"]
mod generator;

use std::hint::black_box;

use chrono::{DateTime, FixedOffset, TimeZone};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use zonewire::dedup::{StoryIndex, fingerprint};
use zonewire::model::RawEntry;
use zonewire::normalize::normalize;
use zonewire::{dates, provinces, text, urlnorm};

const BASE: i64 = 1_790_000_000;

/// The date forms of vietnamese-sources.md §6, as boards print them.
const DATES: &[&str] = &[
    "27/11/2026 08:30",
    "Thứ Năm, 27/11/2026 - 08:30",
    "08:30 27/11/2026",
    "27-11-2026",
    "Ngày 27 tháng 11 năm 2026",
    "27/11/2026 8:30 SA",
    "Cập nhật: 2026-11-27 08:30:00",
    "Thu, 27 Nov 2026 08:30:00 +0700",
    "2026-11-27T08:30:00+07:00",
    "Sáng 27.11",
];

const URLS: &[&str] = &[
    "https://bqlkcn.hungyen.gov.vn/tin-tuc/doan-cong-tac-tinh-khanh-hoa-lam-viec-voi-ban-quan-ly-cac-kcn-123.html?utm_source=facebook&utm_medium=social&fbclid=IwAR0abc",
    "HTTP://WWW.KKT.KhanhHoa.gov.vn:80/vi/tin-tuc/../tin-tuc/Xuc-tien-dau-tu.aspx?ID=42&amp;page=1#top",
    "/tin-tuc/khởi-công-nhà-máy-linh-kiện-điện-tử.html",
    "https://dseza.danang.gov.vn/chi-tiet-tin-tuc?id=9876&lang=vi&_ga=2.1.2.3",
    "http://bqlkkt.thanhhoa.gov.vn/portal/Pages/2025-9-6/Hoi-nghi-xuc-tien-dau-tu-vao-KKT-Nghi-Son.aspx",
];

fn now() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .and_then(|z| z.timestamp_opt(BASE, 0).single())
        .expect("constant date")
}

fn small(c: &mut Criterion) {
    let now = now();
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Elements(DATES.len() as u64));
    g.bench_function("parse_vn_date_x10_forms", |b| {
        b.iter(|| {
            DATES
                .iter()
                .filter(|d| dates::parse_vn_date(black_box(d), now).is_some())
                .count()
        })
    });
    let it = generator::item(7, 3, BASE);
    let paragraph = format!("{} {}", it.title, it.summary);
    g.throughput(Throughput::Bytes(paragraph.len() as u64));
    g.bench_function("fold_title_and_summary", |b| {
        b.iter(|| text::fold(black_box(&paragraph)))
    });
    let base = url::Url::parse("https://bqlkcn.hungyen.gov.vn/tin-tuc/").expect("url");
    g.throughput(Throughput::Elements(URLS.len() as u64));
    g.bench_function("canonicalize_x5_urls", |b| {
        b.iter(|| {
            URLS.iter()
                .filter_map(|u| urlnorm::canonicalize(black_box(u), Some(&base)))
                .count()
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("fingerprint_one_item", |b| {
        b.iter(|| fingerprint(black_box(&it.title), black_box(&it.summary)))
    });
    // What normalize hands the province tagger: title, sapo and the body's text.
    let tag_text = format!(
        "{}\n{}\n{}",
        it.title,
        it.summary,
        text::html_to_text(&it.body_html)
    );
    g.bench_function("provinces_tag_one_item", |b| {
        b.iter(|| provinces::tag(black_box(&tag_text)))
    });
    // One whole item through normalize (sanitise, text, dates, provinces, fingerprint,
    // keys, search text): the per-item cost of a first poll, parsing excluded.
    let raw = RawEntry {
        guid: Some(format!(
            "{}/tin/{}.html",
            "https://bqlkcn.hungyen.gov.vn", it.slug
        )),
        title: it.title.clone(),
        link: Some(format!(
            "https://bqlkcn.hungyen.gov.vn/tin/{}.html",
            it.slug
        )),
        published: FixedOffset::east_opt(7 * 3600)
            .and_then(|z| z.timestamp_opt(it.published, 0).single()),
        summary: Some(it.summary.clone()),
        content: Some(it.body_html.clone()),
        ..RawEntry::default()
    };
    let utc_now = now.with_timezone(&chrono::Utc);
    g.bench_function("normalize_one_item", |b| {
        b.iter(|| {
            normalize(
                black_box(raw.clone()),
                "s7",
                Some("hung-yen"),
                &base,
                utc_now,
            )
        })
    });
    g.finish();
}

/// 100k stored stories from 2,000 sources. `span_days` spreads their dates: ~730 days is
/// what 100k items mean for this product (a few hundred a day); 19 days is a dense worst
/// case where the ±3-day window holds ~37k candidates.
fn index(span_days: i64) -> StoryIndex {
    let zone = FixedOffset::east_opt(7 * 3600).expect("offset");
    let mut idx = StoryIndex::new();
    let n = 100_000i64;
    for k in 0..n {
        let (source, item) = ((k / 50) as usize, (k % 50) as usize);
        let it = generator::item(source, item, BASE);
        let t = BASE - k * span_days * 86_400 / n;
        let published = zone.timestamp_opt(t, 0).single().expect("time");
        let id = format!("i{k}");
        idx.insert(
            &id,
            &id,
            &format!("s{source}"),
            published,
            &fingerprint(&it.title, &it.summary),
        );
    }
    idx
}

fn near_duplicates(c: &mut Criterion) {
    let zone = FixedOffset::east_opt(7 * 3600).expect("offset");
    // Probes: new items from sources not in the index, dated in the middle of the range.
    let probes: Vec<_> = (0..16)
        .map(|i| {
            let it = generator::item(900_000 + i, i, BASE);
            fingerprint(&it.title, &it.summary)
        })
        .collect();
    let mut g = c.benchmark_group("story_index_100k");
    g.sample_size(20);
    for span in [730i64, 19] {
        let idx = index(span);
        let when = zone
            .timestamp_opt(BASE - span * 86_400 / 2, 0)
            .single()
            .expect("time");
        g.throughput(Throughput::Elements(probes.len() as u64));
        g.bench_function(format!("find_x16_span_{span}d"), |b| {
            b.iter(|| {
                probes
                    .iter()
                    .filter(|fp| idx.find("probe", when, black_box(fp)).is_some())
                    .count()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = small, near_duplicates
}
criterion_main!(benches);
