use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use super::*;

fn slug(name: &str) -> Option<&'static str> {
    resolve(name).map(|p| p.slug)
}

// ---------- the table ----------

#[test]
fn table_has_34_units_and_63_old_provinces_each_once() {
    assert_eq!(all().len(), 34);
    let cities = all().iter().filter(|p| p.kind == "thành phố").count();
    let provinces = all().iter().filter(|p| p.kind == "tỉnh").count();
    assert_eq!((cities, provinces), (6, 28));
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for p in all() {
        for old in p.merged_from {
            if let Some(other) = seen.insert(old, p.slug) {
                panic!("{old} is in both {other} and {}", p.slug);
            }
        }
    }
    assert_eq!(seen.len(), 63);
}

#[test]
fn names_are_nfc_traditional_tone_and_slugs_derive_from_them() {
    for p in all() {
        for s in std::iter::once(&p.name).chain(p.merged_from) {
            assert_eq!(s.nfc().collect::<String>(), *s, "{s} is not NFC");
            assert!(
                !s.contains("oà") && !s.contains("oá"),
                "{s}: new-style tone"
            );
        }
        assert_eq!(p.slug, syllables::key(p.name).replace(' ', "-"));
        assert!(p.slug.is_ascii());
        assert_eq!(by_slug(p.slug), Some(p));
    }
    assert_eq!(by_slug("khanh-hoa").map(|p| p.name), Some("Khánh Hòa"));
    assert_eq!(by_slug("thua-thien-hue"), None);
    assert_eq!(by_slug("Khánh Hòa"), None);
}

/// The reference list lives outside the repository; CI lays `shared/` beside it.
#[test]
fn table_matches_reference_fixture() {
    let path = Path::new("../shared/fixtures/provinces_2025.tsv");
    let Ok(tsv) = std::fs::read_to_string(path) else {
        eprintln!(
            "SKIP table_matches_reference_fixture: {} not found",
            path.display()
        );
        return;
    };
    let mut reference: HashMap<String, (String, BTreeSet<String>)> = HashMap::new();
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "bad fixture line {line:?}");
        if cols[0] == "new_unit_name" {
            continue;
        }
        let merged = cols[2].split(';').map(|s| s.trim().to_string()).collect();
        reference.insert(cols[0].to_string(), (cols[1].to_string(), merged));
    }
    assert_eq!(reference.len(), 34);
    let total: usize = reference.values().map(|(_, m)| m.len()).sum();
    assert_eq!(total, 63);
    for p in all() {
        let Some((kind, merged)) = reference.get(p.name) else {
            panic!("{} is not in the fixture", p.name);
        };
        assert_eq!(p.kind, kind, "{}", p.name);
        let ours: BTreeSet<String> = p.merged_from.iter().map(|s| s.to_string()).collect();
        assert_eq!(&ours, merged, "{}", p.name);
    }
}

#[test]
fn every_spelling_maps_to_one_unit() {
    let mut keys: HashMap<String, &str> = HashMap::new();
    let spellings = all()
        .iter()
        .flat_map(|p| {
            std::iter::once((p.name, p.slug)).chain(p.merged_from.iter().map(|o| (*o, p.slug)))
        })
        .chain(data::ALIASES.iter().map(|a| (a.spelling, a.slug)));
    for (spelling, slug) in spellings {
        assert!(by_slug(slug).is_some(), "alias to unknown slug {slug}");
        let key = syllables::key(spelling);
        if let Some(other) = keys.insert(key.clone(), slug) {
            assert_eq!(other, slug, "{key} maps to two units");
        }
        let joined = key.replace(' ', "");
        if let Some(other) = keys.insert(joined.clone(), slug) {
            assert_eq!(other, slug, "{joined} maps to two units");
        }
    }
    for (spelling, _) in data::TIERS {
        assert!(
            keys.contains_key(&syllables::key(spelling)),
            "tier for unknown {spelling}"
        );
    }
    for phrase in data::BLOCKED {
        assert!(
            !keys.contains_key(&syllables::key(phrase)),
            "blocked {phrase} is a name"
        );
    }
}

// ---------- resolve ----------

#[test]
fn resolve_aliases() {
    let cases: &[(&str, &str)] = &[
        ("TP.HCM", "ho-chi-minh"),
        ("TPHCM", "ho-chi-minh"),
        ("TP HCM", "ho-chi-minh"),
        ("Tp. HCM", "ho-chi-minh"),
        ("TP. Hồ Chí Minh", "ho-chi-minh"),
        ("Thành phố Hồ Chí Minh", "ho-chi-minh"),
        ("Thành Phố Hồ Chí Minh", "ho-chi-minh"),
        ("Sài Gòn", "ho-chi-minh"),
        ("HCMC", "ho-chi-minh"),
        ("HCM", "ho-chi-minh"),
        ("Ho Chi Minh City", "ho-chi-minh"),
        ("ho-chi-minh", "ho-chi-minh"),
        ("hochiminh", "ho-chi-minh"),
        ("Bà Rịa - Vũng Tàu", "ho-chi-minh"),
        ("Bà Rịa-Vũng Tàu", "ho-chi-minh"),
        ("Bà Rịa – Vũng Tàu", "ho-chi-minh"),
        ("BR-VT", "ho-chi-minh"),
        ("BRVT", "ho-chi-minh"),
        ("baria-vungtau", "ho-chi-minh"),
        ("tỉnh Bình Dương", "ho-chi-minh"),
        ("Thừa Thiên Huế", "hue"),
        ("Thừa Thiên - Huế", "hue"),
        ("tỉnh Thừa Thiên Huế", "hue"),
        ("Thành phố Huế", "hue"),
        ("Hue", "hue"),
        ("Thủ đô Hà Nội", "ha-noi"),
        ("Thủ Đô Hà Nội", "ha-noi"),
        ("Hanoi", "ha-noi"),
        ("Hà Nội City", "ha-noi"),
        ("Dak Lak", "dak-lak"),
        ("Daklak", "dak-lak"),
        ("Đăk Lăk", "dak-lak"),
        ("ĐẮK LẮK", "dak-lak"),
        ("Đắk Nông", "lam-dong"),
        ("Dak Nong", "lam-dong"),
        ("Thái Bình", "hung-yen"),
        ("Ninh Thuận", "khanh-hoa"),
        ("Quảng Nam", "da-nang"),
        ("Khánh Hoà", "khanh-hoa"),
        ("Khánh Hòa", "khanh-hoa"),
        ("khanh hoa", "khanh-hoa"),
        ("KHÁNH HÒA", "khanh-hoa"),
        ("Tỉnh Khánh Hòa", "khanh-hoa"),
        ("khanhhoa", "khanh-hoa"),
        ("Thanh Hoá", "thanh-hoa"),
        ("tỉnh Thanh Hóa", "thanh-hoa"),
        ("Hoà Bình", "phu-tho"),
        ("Kontum", "quang-ngai"),
        ("Bắc Cạn", "thai-nguyen"),
        ("Long An Province", "tay-ninh"),
        ("  tp.  Cần   Thơ ", "can-tho"),
    ];
    for (input, want) in cases {
        assert_eq!(slug(input), Some(*want), "resolve({input:?})");
    }
}

#[test]
fn resolve_every_name_in_every_form() {
    for p in all() {
        let folded = crate::text::fold(p.name);
        let forms = [
            p.name.to_string(),
            p.slug.to_string(),
            folded.clone(),
            p.name.to_uppercase(),
            format!("tỉnh {}", p.name),
            format!("Tỉnh {}", p.name),
            format!("TP.{}", p.name),
            format!("TP {}", p.name),
            format!("thành phố {}", p.name),
            format!("Thành Phố {folded}"),
        ];
        for f in &forms {
            assert_eq!(slug(f), Some(p.slug), "resolve({f:?})");
        }
        for old in p.merged_from {
            for f in [
                old.to_string(),
                crate::text::fold(old),
                format!("tỉnh {old}"),
            ] {
                assert_eq!(slug(&f), Some(p.slug), "resolve({f:?})");
            }
        }
    }
}

#[test]
fn resolve_rejects_non_provinces() {
    for input in [
        "",
        "tỉnh",
        "TP.",
        "Lào",
        "Paris",
        "Hà",
        "Vũng Tàu Bà Rịa",
        "Nam",
    ] {
        assert_eq!(slug(input), None, "resolve({input:?})");
    }
}

// ---------- tag ----------

fn tags(text: &str) -> Vec<&'static str> {
    tag(text)
}

#[test]
fn seed_article_tags_hung_yen_then_khanh_hoa() {
    let dir = Path::new("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!(
            "SKIP seed_article_tags_hung_yen_then_khanh_hoa: {} not found",
            dir.display()
        );
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let Some(first) = files.first() else {
        eprintln!(
            "SKIP seed_article_tags_hung_yen_then_khanh_hoa: no .txt in {}",
            dir.display()
        );
        return;
    };
    let text = std::fs::read_to_string(first).expect("seed is UTF-8 text");
    assert_eq!(tags(&text), vec!["hung-yen", "khanh-hoa"]);
}

#[test]
fn tag_positives() {
    let cases: &[(&str, &[&str])] = &[
        ("Đoàn công tác tỉnh Thái Bình", &["hung-yen"]),
        ("KCN của TP.HCM", &["ho-chi-minh"]),
        ("Tp.HCM và TPHCM, TP HCM", &["ho-chi-minh"]),
        ("tại TP. Hồ Chí Minh", &["ho-chi-minh"]),
        ("Thành phố Hồ Chí Minh", &["ho-chi-minh"]),
        ("KCN Phú Mỹ, tỉnh Bà Rịa - Vũng Tàu (cũ)", &["ho-chi-minh"]),
        (
            "Bà Rịa-Vũng Tàu, BR-VT, BRVT, Bình Dương và TP.HCM",
            &["ho-chi-minh"],
        ),
        ("TỈNH KHÁNH HÒA", &["khanh-hoa"]),
        ("BAN QUẢN LÝ KHU KINH TẾ TỈNH KHÁNH HOÀ", &["khanh-hoa"]),
        ("Khánh Hoà thu hút đầu tư", &["khanh-hoa"]),
        ("tỉnh Hòa Bình", &["phu-tho"]),
        ("Tỉnh Hoà Bình", &["phu-tho"]),
        ("Thừa Thiên Huế", &["hue"]),
        ("tỉnh Thừa Thiên - Huế", &["hue"]),
        ("Cố đô Huế đón khách", &["hue"]),
        ("Lào Cai và Yên Bái", &["lao-cai"]),
        ("Kon Tum, Quảng Ngãi", &["quang-ngai"]),
        ("Sơn La", &["son-la"]),
        ("Đắk Nông", &["lam-dong"]),
        ("Đăk Lăk", &["dak-lak"]),
        ("Quảng Nam, Đà Nẵng", &["da-nang"]),
        ("tỉnh Nam Định", &["ninh-binh"]),
        ("tỉnh An Giang", &["an-giang"]),
        ("Cao Bằng.", &["cao-bang"]),
        ("Long An thu hút FDI", &["tay-ninh"]),
        ("Khánh Hòa, Hà Nội và Khánh Hòa", &["khanh-hoa", "ha-noi"]),
        ("Sở Công Thương Hà Nội", &["ha-noi"]),
        ("Ban Quản Lý Đà Nẵng", &["da-nang"]),
        ("Hà Nam Ninh", &["ninh-binh"]),
        ("Bắc Ninh Bình", &["ninh-binh"]),
        ("Quảng Trị", &["quang-tri"]),
        (
            "investors in Ha Noi and Ho Chi Minh City",
            &["ha-noi", "ho-chi-minh"],
        ),
        ("Binh Duong province", &["ho-chi-minh"]),
        ("thủ đô Hà Nội", &["ha-noi"]),
        ("Hải Phòng – Hải Dương", &["hai-phong"]),
        ("Báo Khánh Hòa đưa tin", &["khanh-hoa"]),
        ("Nha Trang, Khánh Hòa", &["khanh-hoa"]),
        ("Tỉnh ủy Long An", &["tay-ninh"]),
        ("Khu kinh tế Vân Phong (Khánh Hòa)", &["khanh-hoa"]),
        ("tỉnh Kha\u{301}nh Ho\u{300}a", &["khanh-hoa"]),
        ("tỉnh Khánh\u{200B} Hòa và Hưng\u{AD}Yên", &["khanh-hoa"]),
        ("“Đồng Nai” và «Cần Thơ»", &["dong-nai", "can-tho"]),
    ];
    for (text, want) in cases {
        assert_eq!(tags(text), *want, "tag({text:?})");
    }
}

#[test]
fn tag_negatives() {
    let cases: &[&str] = &[
        "Hiệp định hòa bình",
        "Hòa bình và phát triển",
        "phường Hòa Bình, quận Hai Bà Trưng",
        "Tập đoàn Hòa Bình",
        "ông Nguyễn Thái Bình, Giám đốc",
        "ÔNG NGUYỄN THÁI BÌNH",
        "anh Thái Bình cho biết",
        "Trần Văn Bình Định phát biểu",
        "Ông Nguyễn Bình Định",
        "Bà Trần Thị Hà Giang",
        "chị Hà Giang cho biết",
        "Công ty Vĩnh Long An cho biết",
        "hợp tác với Lào và Campuchia",
        "châu Á - Thái Bình Dương",
        "đường Nguyễn Huệ",
        "chị Huệ",
        "Chủ tịch Hồ Chí Minh",
        "tư tưởng Hồ Chí Minh",
        "xa lộ Hà Nội",
        "sông Hà Giang",
        "cao bằng nhau",
        "chiến thắng Điện Biên Phủ",
        // A blocked phrase starting without a capital still consumes what follows.
        "vùng thái Bình Dương",
        "chiến thắng điện Biên Phủ",
        "Hải Dương Trần",
        "đại dương bao la, hải dương học",
        "Thái Nguyên Hùng",
        "khanh hoa",
    ];
    for text in cases {
        assert_eq!(tags(text), Vec::<&str>::new(), "tag({text:?})");
    }
}

#[test]
fn tag_finds_every_unit_and_old_province_after_a_prefix() {
    for p in all() {
        let prefix = if p.kind == "tỉnh" {
            "tỉnh"
        } else {
            "thành phố"
        };
        assert_eq!(
            tags(&format!("tại {prefix} {}.", p.name)),
            vec![p.slug],
            "{}",
            p.name
        );
        for old in p.merged_from {
            assert_eq!(tags(&format!("UBND tỉnh {old} cũ")), vec![p.slug], "{old}");
        }
    }
}

#[test]
fn tag_on_long_text_keeps_first_mention_order() {
    let filler = "các doanh nghiệp trong khu công nghiệp đã ổn định sản xuất. ".repeat(200);
    let text = format!("{filler}tỉnh Khánh Hòa {filler} TP.HCM {filler} tỉnh Khánh Hòa, Hà Nội");
    assert_eq!(tags(&text), vec!["khanh-hoa", "ho-chi-minh", "ha-noi"]);
}
