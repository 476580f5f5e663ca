//! The one folding function, for keys and search: fold rules, the per-character table
//! that makes them cheap, and the byte view the syllable splitter scans with. Apart from
//! the text hygiene of `mod.rs` because the two change for different reasons: hygiene
//! follows what portals publish, folding is a matching contract (stored keys and
//! fingerprints depend on it).

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::is_invisible;

/// Fold for keys and search: case-folded, diacritics removed, đ/Đ/Ð → d, whitespace
/// collapsed. `Khánh Hòa`, `Khánh Hoà`, `KHÁNH HÒA`, `khanh hoa` all fold to `khanh hoa`.
///
/// Exact rules: canonical decomposition, combining marks dropped (so NFC, NFD and
/// half-decomposed input meet, and old/new tone placement `hòa`/`hoà` meets too),
/// `đ Đ Ð ð Ɖ` → `d` (they have no decomposition), full Unicode lower-casing; letters and
/// digits are kept, invisible characters (ZWSP, soft hyphen, BOM…) are dropped without a
/// trace, and every other run of characters (spaces, punctuation, symbols) becomes one
/// space; the result is trimmed. So `TP.HCM` → `tp hcm`, `BR-VT` → `br vt`,
/// `06/9/2025` → `06 9 2025`. Apply it to both haystack and needle.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`] appending to a caller-owned buffer, for hot loops that want to reuse it.
pub fn fold_into(s: &str, out: &mut String) {
    let mut w = FoldWriter {
        out,
        start: 0,
        pending_space: false,
    };
    w.start = w.out.len();
    let table: &[Folded] = &FOLD_TABLE;
    for c in s.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                w.push(c.to_ascii_lowercase());
            } else {
                w.pending_space = true;
            }
        } else {
            match table.get(c as usize).copied().unwrap_or(Folded::SLOW) {
                Folded::SLOW => fold_char(c, &mut w),
                Folded::DROP => {}
                Folded::SPACE => w.pending_space = true,
                Folded(b) => w.push(char::from(b)),
            }
        }
    }
}

/// [`fold_into`] one character at a time, for a caller that scans the text itself (the
/// syllable splitter): the character's fold when it is one ASCII letter or digit, and
/// `None` when it is anything else (nothing, a break, several characters), in which case
/// the caller folds the whole word with [`fold_into`].
#[derive(Clone, Copy)]
pub(crate) struct ByteFold(&'static [Folded]);

impl ByteFold {
    pub(crate) fn new() -> Self {
        Self(&FOLD_TABLE)
    }

    #[inline]
    pub(crate) fn byte(self, c: char) -> Option<u8> {
        if c.is_ascii() {
            return if c.is_ascii_alphanumeric() {
                u8::try_from(c.to_ascii_lowercase()).ok()
            } else {
                None
            };
        }
        match self.0.get(c as usize) {
            Some(&Folded(b)) if b > Folded::SPACE.0 => Some(b),
            _ => None,
        }
    }
}

/// The non-ASCII case of [`fold_into`], for one character.
fn fold_char(c: char, w: &mut FoldWriter<'_>) {
    if c.is_whitespace() {
        w.pending_space = true;
    } else if !is_invisible(c) {
        // `decompose_canonical` emits through a callback: no buffer per character, and
        // canonical reordering is irrelevant because every mark is dropped anyway.
        decompose_canonical(c, |d| w.push_decomposed(d));
    }
}

/// What [`fold_char`] does with one character, when it is one simple thing: an ASCII
/// letter or digit, nothing, or a word break. Vietnamese letters are precomposed
/// characters whose canonical decomposition (a table search, then another per mark)
/// was most of the cost of folding; almost all of them fold to one ASCII letter.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Folded(u8);

impl Folded {
    /// Not one simple thing (several characters, non-ASCII): ask [`fold_char`].
    const SLOW: Folded = Folded(0);
    const DROP: Folded = Folded(1);
    const SPACE: Folded = Folded(2);
}

/// Every character below this (Latin-1, Latin Extended-A/B, IPA, the combining marks,
/// Greek, Cyrillic … and Latin Extended Additional, where most Vietnamese letters live)
/// has its answer in [`FOLD_TABLE`].
const FOLD_TABLE_END: usize = 0x1F00;

/// Built by running [`fold_char`] on each character, so that the table cannot disagree
/// with it (a test also compares every entry with the slow path in context).
static FOLD_TABLE: std::sync::LazyLock<Vec<Folded>> = std::sync::LazyLock::new(|| {
    (0..FOLD_TABLE_END)
        .map(|cp| {
            let Some(c) = char::from_u32(cp as u32).filter(|c| !c.is_ascii()) else {
                return Folded::SLOW;
            };
            let mut out = String::new();
            let mut w = FoldWriter {
                out: &mut out,
                start: 0,
                pending_space: false,
            };
            fold_char(c, &mut w);
            let pending = w.pending_space;
            match (out.as_bytes(), pending) {
                ([], false) => Folded::DROP,
                ([], true) => Folded::SPACE,
                ([b], false) if b.is_ascii_alphanumeric() => Folded(*b),
                _ => Folded::SLOW,
            }
        })
        .collect()
});

struct FoldWriter<'a> {
    out: &'a mut String,
    start: usize,
    pending_space: bool,
}

impl FoldWriter<'_> {
    // Called per character of every folded text; out of line it was 3 % of a round's
    // instructions.
    #[inline]
    fn push(&mut self, c: char) {
        if self.pending_space && self.out.len() > self.start {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }

    fn push_decomposed(&mut self, d: char) {
        if is_combining_mark(d) {
            return;
        }
        if matches!(d, 'đ' | 'Đ' | 'Ð' | 'ð' | 'Ɖ') {
            self.push('d');
        } else if d.is_alphanumeric() {
            for l in d.to_lowercase() {
                // `İ` lower-cases to `i` + U+0307; the mark must go too.
                if !is_combining_mark(l) {
                    self.push(l);
                }
            }
        } else {
            self.pending_space = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_variants_meet() {
        let variants = [
            "Khánh Hòa",
            "Khánh Hoà",
            "KHÁNH HÒA",
            "khanh hoa",
            "Kha\u{301}nh Ho\u{300}a",
            "Kha\u{301}nh Hoa\u{300}",
            "  Khánh\u{A0}\u{A0}Hòa  ",
            "khánh-hòa",
        ];
        for v in variants {
            assert_eq!(fold(v), "khanh hoa", "input {v:?}");
        }
        // Half-decomposed: precomposed ô followed by a combining acute.
        assert_eq!(fold("Tô\u{301}ng"), fold("Tống"));
        assert_eq!(fold("Tống"), "tong");
    }

    #[test]
    fn fold_table() {
        let cases: &[(&str, &str)] = &[
            ("ĐÀ NẴNG", "da nang"),
            ("Á Ðông", "a dong"),
            ("đường ðến", "duong den"),
            ("TP.HCM", "tp hcm"),
            ("Bà Rịa - Vũng Tàu", "ba ria vung tau"),
            ("Số: 115/TB-BQLKKT", "so 115 tb bqlkkt"),
            ("Thuỵ Hương", "thuy huong"),
            ("Thụy Khuê", "thuy khue"),
            ("Ư Ơ ư ơ Ă ă", "u o u o a a"),
            ("Khánh\u{200B}Hòa", "khanhhoa"),
            ("công\u{AD}nghiệp", "congnghiep"),
            ("İstanbul", "istanbul"),
            ("«Tin mới»…", "tin moi"),
            ("2025", "2025"),
            ("", ""),
            (" ,.- ", ""),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), *want, "input {input:?}");
            assert_eq!(fold(&fold(input)), fold(input), "idempotent {input:?}");
        }
    }

    /// `fold_into` without its table: every non-ASCII character through `fold_char`.
    fn fold_slow(s: &str) -> String {
        let mut out = String::new();
        let mut w = FoldWriter {
            out: &mut out,
            start: 0,
            pending_space: false,
        };
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                w.push(c.to_ascii_lowercase());
            } else if c.is_ascii() {
                w.pending_space = true;
            } else {
                fold_char(c, &mut w);
            }
        }
        out
    }

    #[test]
    fn fold_table_answers_like_the_slow_path_for_every_character() {
        let mut simple = 0;
        for cp in 0x80..FOLD_TABLE_END as u32 + 64 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            // Alone, between letters, after a space and before a combining mark: the
            // pending-space and drop cases only show in context.
            for text in [
                format!("{c}"),
                format!("a{c}b"),
                format!("a {c}b"),
                format!("x{c}\u{301}y"),
            ] {
                assert_eq!(fold(&text), fold_slow(&text), "U+{cp:04X} in {text:?}");
            }
            simple += usize::from(
                FOLD_TABLE
                    .get(cp as usize)
                    .is_some_and(|f| *f != Folded::SLOW),
            );
        }
        // Every Vietnamese letter is answered by the table.
        for c in "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ".chars()
        {
            for c in [c].into_iter().chain(c.to_uppercase()) {
                assert!(
                    FOLD_TABLE
                        .get(c as usize)
                        .is_some_and(|f| *f != Folded::SLOW),
                    "{c} takes the slow path"
                );
            }
        }
        assert!(simple > 1000, "only {simple} characters in the table");
    }

    #[test]
    fn fold_into_appends() {
        let mut buf = String::from("x ");
        fold_into(", Hòa", &mut buf);
        assert_eq!(buf, "x hoa");
    }
}
