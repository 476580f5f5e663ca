//! Finding province names in running text.
//!
//! The text is split into syllables once; a map from folded n-grams (n ≤ 5) of every
//! known spelling is probed at each syllable, longest first. A candidate is a match only
//! when every syllable of it
//! - starts with a capital letter in the original (proper nouns are capitalised in
//!   Vietnamese; all-caps titles count), and
//! - is either written without diacritics (unaccented/English text) or carries the same
//!   letters and tone as a known spelling, tone placement aside — so `Huệ` (a given name,
//!   `Nguyễn Huệ` street) never reads as `Huế`.
//!
//! Then context decides, looking at the syllable just before (separated by spaces only):
//! - a person: an honorific (`ông`, `bà`, `anh`, `chị` …) or a capitalised surname or
//!   middle name (`Nguyễn Thái Bình`, `Lê Thị Hà Giang`) rejects it;
//! - a smaller place or a street: `xã`, `phường`, `huyện`, `đường`, `phố`, `sông` …
//!   rejects it (`phường Hòa Bình`, `đường Hà Nội`), but `thành phố` is a prefix;
//! - `Tier::Weak` names (also common given names or words) need a prefix (`tỉnh`, `TP`,
//!   `thành phố`, `thủ đô`) or must stand alone, with no capitalised syllable right
//!   before or after (`Vĩnh Long An` is a name, not two provinces);
//! - `Tier::Prefixed` names (`Hòa Bình`, bare `Hồ Chí Minh`) need the prefix.
//!
//! Two candidates that overlap (`Bắc Ninh Bình`) are both dropped, unless the first starts
//! with a compass word, which then reads as "northern …" and the second one wins.
//! `data::BLOCKED` phrases (`Thái Bình Dương`, the Pacific) are consumed without a tag.

use std::collections::HashMap;
use std::sync::LazyLock;

use foldhash::fast::RandomState;

use super::data::{self, Tier};
use super::syllables::{self, Sep, Syllable, signature};

const MAX_N: usize = 5;

struct Entry {
    /// `None` for a blocked phrase.
    slug: Option<&'static str>,
    tier: Tier,
    /// Per syllable, the accepted signatures (from all spellings sharing this key).
    sigs: Vec<HashSet<String>>,
}

// Every syllable of every text is probed here: with std's SipHash the probes were over a
// third of `candidate_at`. The tables hold only our own spellings (texts are looked up,
// never inserted), so a hash without SipHash's flooding resistance is safe.
type HashSet<T> = std::collections::HashSet<T, RandomState>;

struct TagIndex {
    entries: HashMap<String, Entry, RandomState>,
    /// Folded syllables that can start an entry: most syllables are skipped on one probe.
    starts: HashSet<String>,
    /// Those that start a blocked phrase, the only entries a syllable without a capital
    /// can start: lower-case `năm`, `an`, `hòa` are everywhere and start place names.
    /// Two of them, so a list beats hashing every lower-case syllable.
    blocked_starts: Vec<String>,
}

fn add(
    index: &mut TagIndex,
    spelling: &str,
    slug: Option<&'static str>,
    tiers: &HashMap<String, Tier>,
) {
    let split = syllables::split(spelling);
    let syls = split.syllables();
    if syls.is_empty() || syls.len() > MAX_N {
        return;
    }
    let key = syllables::key(spelling);
    index.starts.insert(syls[0].folded.to_string());
    if slug.is_none() && !index.blocked_starts.iter().any(|b| b == syls[0].folded) {
        index.blocked_starts.push(syls[0].folded.to_string());
    }
    let tier = tiers.get(&key).copied().unwrap_or(Tier::Strong);
    let entry = index.entries.entry(key).or_insert_with(|| Entry {
        slug,
        tier,
        sigs: vec![HashSet::default(); syls.len()],
    });
    for (set, s) in entry.sigs.iter_mut().zip(&syls) {
        if !s.ascii {
            set.insert(signature(&s.lower()));
        }
    }
}

static INDEX: LazyLock<TagIndex> = LazyLock::new(|| {
    let tiers: HashMap<String, Tier> = data::TIERS
        .iter()
        .map(|(s, t)| (syllables::key(s), *t))
        .collect();
    let mut index = TagIndex {
        entries: HashMap::default(),
        starts: HashSet::default(),
        blocked_starts: Vec::new(),
    };
    for phrase in data::BLOCKED {
        add(&mut index, phrase, None, &tiers);
    }
    for p in super::all() {
        add(&mut index, p.name, Some(p.slug), &tiers);
        for old in p.merged_from {
            add(&mut index, old, Some(p.slug), &tiers);
        }
    }
    for a in data::ALIASES.iter().filter(|a| a.tag) {
        add(&mut index, a.spelling, Some(a.slug), &tiers);
    }
    index
});

/// Words (lower case, with diacritics) that, right before a name, make it a person's.
const HONORIFICS: &[&str] = &[
    "ông", "bà", "anh", "chị", "em", "cô", "chú", "bác", "cháu", "cụ", "thầy", "mr", "mrs", "ms",
];

/// Capitalised surnames and middle names: right before a name, it is a person's name.
const NAME_SYLLABLES: &[&str] = &[
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ",
    "hồ", "ngô", "dương", "lý", "đinh", "trương", "trịnh", "lương", "văn", "thị", "hữu", "đình",
];

/// Smaller places and things named after provinces (`phường Hòa Bình`, `xa lộ Hà Nội`).
/// `thị xã`/`thị trấn` end in `xã`/`trấn`; `phố` is special-cased for `thành phố`.
const PLACE_WORDS: &[&str] = &[
    "xã",
    "phường",
    "huyện",
    "quận",
    "trấn",
    "ấp",
    "thôn",
    "làng",
    "khóm",
    "đường",
    "phố",
    "lộ",
    "ngõ",
    "hẻm",
    "kiệt",
    "cầu",
    "chợ",
    "sông",
    "hồ",
    "núi",
    "đèo",
    "ga",
    "street",
];

const COMPASS: &[&str] = &["bắc", "nam", "đông", "tây"];

/// Words that may follow a weak name without making it part of a longer proper noun.
const SUFFIX_OK: &[&str] = &["province", "city", "provincial"];

/// `word` written as in the list, or its unaccented spelling.
fn is_word(s: &Syllable, list: &[&str]) -> bool {
    list.iter()
        .any(|w| s.lower_is(w) || (s.ascii && s.folded == crate::text::fold(w)))
}

struct Candidate<'i> {
    start: usize,
    len: usize,
    entry: &'i Entry,
}

fn joinable(syls: &[Syllable], k: usize) -> bool {
    match syls[k].sep_before {
        Sep::Space | Sep::Join => true,
        Sep::DotSpace => syls[k - 1].folded == "tp",
        Sep::Start | Sep::Hard => false,
    }
}

/// Longest entry starting at `i` whose syllables pass the case and diacritic checks.
/// `key` is scratch space, reused across calls: a fresh String here grew once or twice
/// for every capitalised syllable of every text (~30 allocations an item).
fn candidate_at<'i>(
    index: &'i TagIndex,
    syls: &[Syllable],
    i: usize,
    key: &mut String,
) -> Option<Candidate<'i>> {
    // An entry with a slug needs a capital on every syllable (`fits` below).
    let folded = syls[i].folded;
    let can_start = if syls[i].caps {
        index.starts.contains(folded)
    } else {
        index.blocked_starts.iter().any(|b| b == folded)
    };
    if !can_start {
        return None;
    }
    let mut max = 1;
    while max < MAX_N && i + max < syls.len() && joinable(syls, i + max) {
        max += 1;
    }
    // One key string, probed by its prefixes: a String per n-gram was most of the
    // allocations of tagging.
    key.clear();
    let mut ends = [0usize; MAX_N];
    for (n, s) in syls[i..i + max].iter().enumerate() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(s.folded);
        ends[n] = key.len();
    }
    (0..max).rev().find_map(|n| {
        let entry = index.entries.get(key.get(..ends[n])?)?;
        let span = &syls[i..=i + n];
        let fits = entry.slug.is_none()
            || span
                .iter()
                .zip(&entry.sigs)
                .all(|(s, sigs)| s.caps && (s.ascii || sigs.contains(&signature(&s.lower()))));
        fits.then_some(Candidate {
            start: i,
            len: n + 1,
            entry,
        })
    })
}

/// The syllable before `i`, when only spaces separate them.
fn neighbour_before<'a, 's>(syls: &'a [Syllable<'s>], i: usize) -> Option<&'a Syllable<'s>> {
    (i > 0 && syls[i].sep_before == Sep::Space).then(|| &syls[i - 1])
}

fn has_prefix(syls: &[Syllable], i: usize) -> bool {
    if i == 0 || !joinable(syls, i) {
        return false;
    }
    let prev = &syls[i - 1];
    let before_prev = neighbour_before(syls, i - 1);
    match prev.folded {
        "tp" => true,
        "tinh" => prev.ascii || prev.lower_is("tỉnh"),
        "pho" => before_prev.is_some_and(|s| s.folded == "thanh"),
        "do" => before_prev.is_some_and(|s| s.folded == "thu"),
        _ => false,
    }
}

fn accept(syls: &[Syllable], c: &Candidate<'_>) -> bool {
    let i = c.start;
    let prefixed = has_prefix(syls, i);
    let prev = neighbour_before(syls, i);
    if let Some(p) = prev {
        if is_word(p, HONORIFICS) {
            return false;
        }
        // "Ban Quản Lý" is an office, not the surname Lý.
        let quan_ly =
            p.folded == "ly" && neighbour_before(syls, i - 1).is_some_and(|s| s.folded == "quan");
        if p.caps && is_word(p, NAME_SYLLABLES) && !quan_ly {
            return false;
        }
        if is_word(p, PLACE_WORDS) && !prefixed {
            return false;
        }
    }
    match c.entry.tier {
        Tier::Strong => true,
        Tier::Prefixed => prefixed,
        Tier::Weak => {
            let end = i + c.len;
            let left_ok = prev.is_none_or(|p| !p.caps || is_word(p, COMPASS));
            let right_ok = syls
                .get(end)
                .filter(|s| s.sep_before == Sep::Space)
                .is_none_or(|s| !s.caps || is_word(s, SUFFIX_OK));
            prefixed || (left_ok && right_ok)
        }
    }
}

pub(super) fn tag(text: &str) -> Vec<&'static str> {
    let index = &*INDEX;
    let split = syllables::split(text);
    let syls = split.syllables();
    let mut out: Vec<&'static str> = Vec::new();
    let mut key = String::new();
    let mut i = 0;
    while i < syls.len() {
        let Some(c) = candidate_at(index, &syls, i, &mut key) else {
            i += 1;
            continue;
        };
        let Some(slug) = c.entry.slug else {
            i += c.len;
            continue;
        };
        let end = c.start + c.len;
        let overlap = (i + 1..end)
            .filter_map(|j| candidate_at(index, &syls, j, &mut key))
            .find(|o| o.start + o.len > end);
        if let Some(o) = overlap {
            i = if is_word(&syls[i], COMPASS) {
                o.start
            } else {
                o.start + o.len
            };
            continue;
        }
        if accept(&syls, &c) {
            if !out.contains(&slug) {
                out.push(slug);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}
