//! Fixed word lists for near-duplicate fingerprints, all in folded form (see
//! `tokens::fold_syllable_into`: no diacritics, lower case, đ → d, final `y` → `i` after
//! a consonant).
//!
//! The lists are fixed rather than learned because fingerprints are stored: changing a
//! list changes every new fingerprint, so any edit here must bump
//! `fingerprint::FP_VERSION`.

/// Function syllables: so frequent in every Vietnamese text that matching them says
/// nothing. Weight 0 as single syllables.
pub(crate) const STOP: &[&str] = &[
    "va", "cua", "cac", "nhung", "la", "duoc", "co", "trong", "voi", "cho", "da", "de", "ve",
    "tai", "nay", "theo", "tu", "mot", "khi", "den", "tren", "cung", "nhu", "ra", "vao", "ngay",
    "thang", "nam", "do", "thi", "se", "dang", "rat", "nhieu", "hon", "sau", "truoc", "qua",
    "nham", "gom", "boi", "ma", "neu", "hoac", "nen", "lai", "con", "chi", "moi", "tat", "ca",
    "vi", "phia", "ong", "ba", "viec", "the", "nhat", "thoi", "bang", "hay", "len", "tung", "toi",
    "chung", "minh", "ho", "nao", "luc", "sang", "chieu", "dong", "cu", "hai", "tiep", "dieu",
    "ngoai", "cao", "lon", "nho", "khac", "thay", "mat", "huong", "nguoi", "phan", "hien", "ket",
    "bao", "gia",
];

/// Boilerplate of this domain: every board article says "Ban Quản lý", "khu công
/// nghiệp", "tỉnh", "đầu tư", "doanh nghiệp". Weight 1 (content syllables weigh 2).
pub(crate) const COMMON: &[&str] = &[
    "bql", "kcn", "kkt", "kcx", "kcnc", "ccn", "ubnd", "hdnd", "tnhh", "ctcp", "fdi", "tinh",
    "thanh", "pho", "ban", "quan", "li", "khu", "cong", "nghiep", "kinh", "te", "dau", "doanh",
    "du", "an", "phat", "trien", "hoat", "lam", "doan", "tac", "truong", "giam", "doc", "chu",
    "tich", "lanh", "dao", "dai", "dien", "so", "nganh", "don", "to", "chuc", "thuc", "hoi",
    "nghi", "khai", "nhiem", "vu", "hinh", "thu", "hut", "nha", "nuoc", "ti", "usd", "trieu",
    "von", "ki", "cap", "giay", "nhan", "tong", "dia", "quy", "uy", "vien", "tham", "buoi", "cuoc",
    "chuong", "trinh", "noi", "dung", "tang", "cuong", "hop", "trao", "doi", "nghiem", "tin",
    "tuc", "su", "kien", "phong", "tphcm", "tieu", "bieu", "phuong", "thuan", "loi", "kho", "khan",
    "vuong", "mac", "giai", "phap", "tro", "nang", "cau", "gop", "y", "tiem", "san", "xuat",
    "vung",
];

/// Multi-syllable terms written out or abbreviated interchangeably ("khu công nghiệp" /
/// "KCN"). Each maps to one token so both spellings produce the same shingles.
pub(crate) const PHRASES: &[(&[&str], &str)] = &[
    (&["thanh", "pho", "ho", "chi", "minh"], "tphcm"),
    (&["dau", "tu", "truc", "tiep", "nuoc", "ngoai"], "fdi"),
    (
        &["giay", "chung", "nhan", "dang", "ki", "dau", "tu"],
        "gcndkdt",
    ),
    (&["uy", "ban", "nhan", "dan"], "ubnd"),
    (&["hoi", "dong", "nhan", "dan"], "hdnd"),
    (&["khu", "cong", "nghe", "cao"], "kcnc"),
    (&["trach", "nhiem", "huu", "han"], "tnhh"),
    (&["cong", "ti", "co", "phan"], "ctcp"),
    (&["ba", "ria", "vung", "tau"], "brvt"),
    (&["thu", "tuc", "hanh", "chinh"], "tthc"),
    (&["phong", "chay", "chua", "chay"], "pccc"),
    (&["tp", "ho", "chi", "minh"], "tphcm"),
    (&["ban", "quan", "li"], "bql"),
    (&["khu", "cong", "nghiep"], "kcn"),
    (&["khu", "kinh", "te"], "kkt"),
    (&["khu", "che", "xuat"], "kcx"),
    (&["cum", "cong", "nghiep"], "ccn"),
    (&["thua", "thien", "hue"], "hue"),
    (&["tp", "hcm"], "tphcm"),
    (&["br", "vt"], "brvt"),
    (&["bqlkcn"], "bql"),
    (&["bqlkkt"], "bql"),
];

/// Capitalised words that are titles, institutions or sentence openers rather than
/// names; trimmed from the ends of a capitalised run ("Phó Trưởng Ban Hoàng Văn Mai" →
/// "Hoàng Văn Mai", "Ban Quản lý" → nothing).
pub(crate) const ENTITY_TRIM: &[&str] = &[
    "ban", "quan", "li", "khu", "cong", "nghiep", "kinh", "te", "doan", "tac", "truong", "pho",
    "giam", "doc", "chu", "tich", "uy", "vien", "bi", "thu", "tinh", "thanh", "so", "ngay", "sang",
    "chieu", "toi", "tai", "theo", "trong", "voi", "ve", "hoi", "nghi", "le", "dai", "tuong",
    "chinh", "phu", "bo", "cuc", "vu", "tong", "tap", "cang", "quoc", "trung", "tam", "hiep",
    "dang", "dong", "ngan", "hang", "ti", "ong", "ba", "cac", "de", "dau", "tu", "du", "an",
    "buoi", "den", "qua", "sau", "nhan", "nham", "cung", "hom", "day", "khi", "tren", "thuong",
    "truc", "lanh", "dao", "dien", "chi", "nhanh", "tp", "thi", "xa", "huyen", "phuong", "kcn",
    "kkt", "kcx", "kcnc", "ccn", "bql", "ubnd", "hdnd", "tnhh", "ctcp", "cp", "mot", "hai",
    "nhung", "thang", "quy", "ki", "doanh", "tin", "tuc", "su", "kien", "mtv", "jsc", "co", "ltd",
    "tphcm", "hcm", "cty", "trien", "khai", "thuc", "hien", "ket", "luan", "bao", "cao", "danh",
    "sach", "nha", "may", "lich", "xuc", "tien", "hop", "nhap", "khau", "xuat", "chung", "giay",
    "cap", "to", "chuc", "gia", "dinh", "quyet",
];

/// Capitalised runs that name no event: they appear in almost every article.
pub(crate) const ENTITY_STOP: &[&str] = &[
    "viet nam",
    "chinh phu",
    "quoc hoi",
    "dang",
    "nha nuoc",
    "internet",
    "online",
    "logistics",
    "website",
    "covid",
    "fdi",
    "usd",
    "vnd",
    "gdp",
    "pci",
    "par",
    "index",
    "sipas",
    "ddci",
    "ict",
    "esg",
    "oda",
];

/// Two-syllable-plus place names (the 34 provincial units, the 63 they absorbed, and
/// the partner countries boards name most), folded. Kept whole as names even though
/// their syllables are also titles or numbers elsewhere ("Hải"/"hai", "Đồng" in
/// "Hội đồng", "Thanh" in "Thanh tra"), which trimming would otherwise cut away.
pub(crate) const PLACES: &[&str] = &[
    "an giang",
    "ba ria vung tau",
    "bac giang",
    "bac kan",
    "bac lieu",
    "bac ninh",
    "ben tre",
    "binh dinh",
    "binh duong",
    "binh phuoc",
    "binh thuan",
    "ca mau",
    "can tho",
    "cao bang",
    "da nang",
    "dai loan",
    "dak lak",
    "dak nong",
    "dien bien",
    "dong nai",
    "dong thap",
    "gia lai",
    "ha giang",
    "ha nam",
    "ha noi",
    "ha tinh",
    "hai duong",
    "hai phong",
    "han quoc",
    "hau giang",
    "ho chi minh",
    "hoa binh",
    "hoa ki",
    "hung yen",
    "khanh hoa",
    "kien giang",
    "kon tum",
    "lai chau",
    "lam dong",
    "lang son",
    "lao cai",
    "long an",
    "nam dinh",
    "nghe an",
    "nhat ban",
    "ninh binh",
    "ninh thuan",
    "phu tho",
    "phu yen",
    "quang binh",
    "quang nam",
    "quang ngai",
    "quang ninh",
    "quang tri",
    "soc trang",
    "son la",
    "tay ninh",
    "thai binh",
    "thai nguyen",
    "thanh hoa",
    "thua thien hue",
    "tien giang",
    "tra vinh",
    "trung quoc",
    "tuyen quang",
    "vinh long",
    "vinh phuc",
    "yen bai",
];

// Keyed by bytes, so that a token's text is looked up without being checked as UTF-8
// again (tokens::Word).
type Set = std::collections::HashSet<&'static [u8], foldhash::fast::FixedState>;

/// The lists above as hash sets. `contains` on the slices compared a syllable with up to
/// ~150 strings, and every syllable of every fingerprint asks (2.6 % of a cold round's
/// CPU). The slices stay the reviewable source of truth.
struct Sets {
    stop: Set,
    common: Set,
    entity_trim: Set,
    entity_stop: Set,
    places: Set,
    phrases: std::collections::HashMap<&'static [u8], Vec<Phrase>, foldhash::fast::FixedState>,
}

static SETS: std::sync::LazyLock<Sets> = std::sync::LazyLock::new(|| {
    let set = |words: &[&'static str]| words.iter().map(|w| w.as_bytes()).collect::<Set>();
    let mut phrases = std::collections::HashMap::<_, Vec<_>, _>::default();
    for p in PHRASES {
        if let Some(first) = p.0.first() {
            phrases.entry(first.as_bytes()).or_default().push(*p);
        }
    }
    Sets {
        stop: set(STOP),
        common: set(COMMON),
        entity_trim: set(ENTITY_TRIM),
        entity_stop: set(ENTITY_STOP),
        places: set(PLACES),
        phrases,
    }
});

type Phrase = (&'static [&'static str], &'static str);

/// The [`PHRASES`] whose first syllable is `first`, in list order (so the longest of
/// those sharing a start is still tried first). Trying all of them at every token was
/// 2.4 % of a cold round's instructions.
pub(crate) fn phrases_starting(first: impl AsRef<[u8]>) -> &'static [Phrase] {
    SETS.phrases.get(first.as_ref()).map_or(&[], Vec::as_slice)
}

pub(crate) fn is_stop(s: impl AsRef<[u8]>) -> bool {
    SETS.stop.contains(s.as_ref())
}

pub(crate) fn is_common(s: impl AsRef<[u8]>) -> bool {
    SETS.common.contains(s.as_ref())
}

pub(crate) fn is_entity_trim(s: impl AsRef<[u8]>) -> bool {
    SETS.entity_trim.contains(s.as_ref())
}

pub(crate) fn is_entity_stop(s: impl AsRef<[u8]>) -> bool {
    SETS.entity_stop.contains(s.as_ref())
}

pub(crate) fn is_place(s: impl AsRef<[u8]>) -> bool {
    SETS.places.contains(s.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_lookups_answer_as_the_lists_do() {
        type Lookup = fn(&str) -> bool;
        let lists: [(&[&str], Lookup); 5] = [
            (STOP, |s| is_stop(s)),
            (COMMON, |s| is_common(s)),
            (ENTITY_TRIM, |s| is_entity_trim(s)),
            (ENTITY_STOP, |s| is_entity_stop(s)),
            (PLACES, |s| is_place(s)),
        ];
        let probes: Vec<&str> = lists
            .iter()
            .flat_map(|(l, _)| l.iter().copied())
            .chain([
                "",
                "khanh",
                "hoa",
                "khanh hoa x",
                "Khanh Hoa",
                "vsip",
                "tinh ",
            ])
            .collect();
        for (list, lookup) in lists {
            for p in &probes {
                assert_eq!(lookup(p), list.contains(p), "{p:?}");
            }
        }
        for p in &probes {
            let by_scan: Vec<Phrase> = PHRASES
                .iter()
                .filter(|(words, _)| words.first() == Some(p))
                .copied()
                .collect();
            assert_eq!(phrases_starting(p), by_scan.as_slice(), "{p:?}");
        }
        assert_eq!(phrases_starting("khu").len(), 4);
    }
}
