//! The product's own province table, written from Resolution 202/2025/QH15 (in force
//! 1 July 2025): 6 centrally-run cities and 28 provinces, ordered by slug. In each
//! `merged_from` the namesake old province (when there is one) comes first.
//!
//! Old names use the names in force just before the merger: Huế had already become a
//! centrally-run city ("Huế", not "Thừa Thiên Huế") on 1 January 2025.

use super::Province;

const CITY: &str = "thành phố";
const PROVINCE: &str = "tỉnh";

const fn unit(
    slug: &'static str,
    name: &'static str,
    kind: &'static str,
    merged_from: &'static [&'static str],
) -> Province {
    Province {
        slug,
        name,
        kind,
        merged_from,
    }
}

pub(super) static UNITS: [Province; 34] = [
    unit(
        "an-giang",
        "An Giang",
        PROVINCE,
        &["An Giang", "Kiên Giang"],
    ),
    unit("bac-ninh", "Bắc Ninh", PROVINCE, &["Bắc Ninh", "Bắc Giang"]),
    unit("ca-mau", "Cà Mau", PROVINCE, &["Cà Mau", "Bạc Liêu"]),
    unit(
        "can-tho",
        "Cần Thơ",
        CITY,
        &["Cần Thơ", "Hậu Giang", "Sóc Trăng"],
    ),
    unit("cao-bang", "Cao Bằng", PROVINCE, &["Cao Bằng"]),
    unit("da-nang", "Đà Nẵng", CITY, &["Đà Nẵng", "Quảng Nam"]),
    unit("dak-lak", "Đắk Lắk", PROVINCE, &["Đắk Lắk", "Phú Yên"]),
    unit("dien-bien", "Điện Biên", PROVINCE, &["Điện Biên"]),
    unit(
        "dong-nai",
        "Đồng Nai",
        PROVINCE,
        &["Đồng Nai", "Bình Phước"],
    ),
    unit(
        "dong-thap",
        "Đồng Tháp",
        PROVINCE,
        &["Đồng Tháp", "Tiền Giang"],
    ),
    unit("gia-lai", "Gia Lai", PROVINCE, &["Gia Lai", "Bình Định"]),
    unit("ha-noi", "Hà Nội", CITY, &["Hà Nội"]),
    unit("ha-tinh", "Hà Tĩnh", PROVINCE, &["Hà Tĩnh"]),
    unit("hai-phong", "Hải Phòng", CITY, &["Hải Phòng", "Hải Dương"]),
    unit(
        "ho-chi-minh",
        "Hồ Chí Minh",
        CITY,
        &["Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"],
    ),
    unit("hue", "Huế", CITY, &["Huế"]),
    unit("hung-yen", "Hưng Yên", PROVINCE, &["Hưng Yên", "Thái Bình"]),
    unit(
        "khanh-hoa",
        "Khánh Hòa",
        PROVINCE,
        &["Khánh Hòa", "Ninh Thuận"],
    ),
    unit("lai-chau", "Lai Châu", PROVINCE, &["Lai Châu"]),
    unit(
        "lam-dong",
        "Lâm Đồng",
        PROVINCE,
        &["Lâm Đồng", "Bình Thuận", "Đắk Nông"],
    ),
    unit("lang-son", "Lạng Sơn", PROVINCE, &["Lạng Sơn"]),
    unit("lao-cai", "Lào Cai", PROVINCE, &["Lào Cai", "Yên Bái"]),
    unit("nghe-an", "Nghệ An", PROVINCE, &["Nghệ An"]),
    unit(
        "ninh-binh",
        "Ninh Bình",
        PROVINCE,
        &["Ninh Bình", "Nam Định", "Hà Nam"],
    ),
    unit(
        "phu-tho",
        "Phú Thọ",
        PROVINCE,
        &["Phú Thọ", "Hòa Bình", "Vĩnh Phúc"],
    ),
    unit(
        "quang-ngai",
        "Quảng Ngãi",
        PROVINCE,
        &["Quảng Ngãi", "Kon Tum"],
    ),
    unit("quang-ninh", "Quảng Ninh", PROVINCE, &["Quảng Ninh"]),
    unit(
        "quang-tri",
        "Quảng Trị",
        PROVINCE,
        &["Quảng Trị", "Quảng Bình"],
    ),
    unit("son-la", "Sơn La", PROVINCE, &["Sơn La"]),
    unit("tay-ninh", "Tây Ninh", PROVINCE, &["Tây Ninh", "Long An"]),
    unit(
        "thai-nguyen",
        "Thái Nguyên",
        PROVINCE,
        &["Thái Nguyên", "Bắc Kạn"],
    ),
    unit("thanh-hoa", "Thanh Hóa", PROVINCE, &["Thanh Hóa"]),
    unit(
        "tuyen-quang",
        "Tuyên Quang",
        PROVINCE,
        &["Tuyên Quang", "Hà Giang"],
    ),
    unit(
        "vinh-long",
        "Vĩnh Long",
        PROVINCE,
        &["Vĩnh Long", "Bến Tre", "Trà Vinh"],
    ),
];

/// Other spellings of a unit or of an old province. `tag: false` keeps a spelling out of
/// text tagging because it is too short or too generic to trust inside running text.
pub(super) struct Alias {
    pub spelling: &'static str,
    pub slug: &'static str,
    pub tag: bool,
}

const fn alias(spelling: &'static str, slug: &'static str) -> Alias {
    Alias {
        spelling,
        slug,
        tag: true,
    }
}

const fn resolve_only(spelling: &'static str, slug: &'static str) -> Alias {
    Alias {
        spelling,
        slug,
        tag: false,
    }
}

pub(super) static ALIASES: &[Alias] = &[
    alias("TP.HCM", "ho-chi-minh"),
    alias("TPHCM", "ho-chi-minh"),
    alias("HCMC", "ho-chi-minh"),
    alias("Ho Chi Minh City", "ho-chi-minh"),
    alias("Sài Gòn", "ho-chi-minh"),
    alias("Saigon", "ho-chi-minh"),
    alias("BR-VT", "ho-chi-minh"),
    alias("BRVT", "ho-chi-minh"),
    resolve_only("HCM", "ho-chi-minh"),
    alias("Thừa Thiên Huế", "hue"),
    alias("Hanoi", "ha-noi"),
    alias("Danang", "da-nang"),
    alias("Haiphong", "hai-phong"),
    // Đắk was written Đắc/Đăk before the 2005 spelling decision and still is, often.
    alias("Đăk Lăk", "dak-lak"),
    alias("Đắc Lắc", "dak-lak"),
    alias("Daklak", "dak-lak"),
    alias("Đăk Nông", "lam-dong"),
    alias("Đắc Nông", "lam-dong"),
    alias("Daknong", "lam-dong"),
    alias("Kontum", "quang-ngai"),
    alias("Bắc Cạn", "thai-nguyen"),
    // 1976–1991 province made of Hà Nam, Nam Định and Ninh Bình: all now in Ninh Bình.
    // Listing it also stops "Hà Nam Ninh" from tagging Hà Nam alone.
    alias("Hà Nam Ninh", "ninh-binh"),
];

/// How much context a name needs before `tag` trusts it (see `tagger` for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    /// Distinctive: capitalised and not part of a person's or street's name is enough.
    Strong,
    /// Also a common given name, word or commune name: needs a "tỉnh"/"TP" prefix or
    /// must stand alone (no capitalised neighbour).
    Weak,
    /// Mostly means something else: needs the "tỉnh"/"TP"/"thành phố" prefix.
    Prefixed,
}

/// Spellings that are not `Tier::Strong`; compared after folding. Weak ones are also
/// common given names (`Hải Dương`, `Hà Giang`, `Thái Bình`), words, or the names of
/// many wards and companies; names whose only risk is a full person's name stay strong,
/// since the surname rule covers them (`Nguyễn Khánh Hòa`).
pub(super) static TIERS: &[(&str, Tier)] = &[
    // "hòa bình" is peace, and Hòa Bình names wards, companies and parks everywhere.
    ("Hòa Bình", Tier::Prefixed),
    // Bare "Hồ Chí Minh" is usually the President (tư tưởng, Chủ tịch, Đoàn TNCS …).
    ("Hồ Chí Minh", Tier::Prefixed),
    ("Thái Bình", Tier::Weak),
    ("Bình Định", Tier::Weak),
    ("Bình Dương", Tier::Weak),
    ("Bình Phước", Tier::Weak),
    ("Bình Thuận", Tier::Weak),
    ("Ninh Bình", Tier::Weak),
    ("Quảng Bình", Tier::Weak),
    ("Long An", Tier::Weak),
    ("Vĩnh Long", Tier::Weak),
    ("Vĩnh Phúc", Tier::Weak),
    ("Hà Giang", Tier::Weak),
    ("Hà Nam", Tier::Weak),
    ("Nam Định", Tier::Weak),
    ("Hải Dương", Tier::Weak),
    ("An Giang", Tier::Weak),
    ("Kiên Giang", Tier::Weak),
    ("Hậu Giang", Tier::Weak),
    ("Tiền Giang", Tier::Weak),
    ("Thái Nguyên", Tier::Weak),
    ("Phú Yên", Tier::Weak),
    ("Phú Thọ", Tier::Weak),
    ("Cao Bằng", Tier::Weak),
];

/// Capitalised phrases that contain a province name but are something else; a match on
/// one of these consumes it and tags nothing.
pub(super) static BLOCKED: &[&str] = &[
    // The Pacific Ocean: contains both Thái Bình and Bình Dương.
    "Thái Bình Dương",
    // The battle, and a street in every city, far more often than Điện Biên's capital.
    "Điện Biên Phủ",
];
