use super::*;

const WORDS: &[&str] = &[
    "ha", "noi", "hanoi", "khanh", "hoa", "hoang", "dau", "tu", "doan", "cong", "tac", "a", "oa",
    "2025", "kcn", "vsip", "nghi", "son", "da", "nang",
];

fn random_text(rng: &mut fastrand::Rng) -> String {
    let n = rng.usize(..12);
    let words: Vec<&str> = (0..n).map(|_| WORDS[rng.usize(..WORDS.len())]).collect();
    words.join(" ")
}

/// A phrase cut out of a text at random character offsets (partial words at both
/// ends), or made up from the vocabulary, or from outside it.
fn random_phrase(rng: &mut fastrand::Rng, texts: &[String]) -> String {
    match rng.u8(..3) {
        0 => {
            let t = &texts[rng.usize(..texts.len())];
            if t.is_empty() {
                return String::new();
            }
            let a = rng.usize(..t.len());
            let b = rng.usize(a..=t.len());
            t[a..b].trim().to_string()
        }
        1 => random_text(rng),
        _ => format!("{} zz", random_text(rng)).trim().to_string(),
    }
}

/// Check every text's round trip and every phrase's answer against `str::contains`.
fn check(rng: &mut fastrand::Rng, arena: &Texts, texts: &[String], spans: &[(usize, usize)]) {
    for (t, &(s, l)) in texts.iter().zip(spans) {
        assert_eq!(&arena.text(s, l), t, "round trip");
    }
    for _ in 0..40 {
        let q = random_phrase(rng, texts);
        let m = arena.matcher(&q);
        for (t, &(s, l)) in texts.iter().zip(spans) {
            assert_eq!(
                m.matches(arena.encoded(s, l)),
                t.contains(q.as_str()),
                "{q:?} in {t:?}"
            );
        }
    }
}

#[test]
fn matching_encoded_texts_equals_a_substring_search_of_the_folded_ones() {
    for seed in 0..300 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut texts: Vec<String> = (0..8).map(|_| random_text(&mut rng)).collect();
        let mut arena = Texts::default();
        let mut spans: Vec<(usize, usize)> = texts.iter().map(|t| arena.push(t)).collect();
        check(&mut rng, &arena, &texts, &spans);
        // Ranked by use and laid out in another order, as a load does; then more
        // texts, with words the ranking has not seen.
        let ranking = arena.ranking();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        rng.shuffle(&mut order);
        let mut bytes = Vec::new();
        for &i in &order {
            let (s, l) = spans[i];
            let start = bytes.len();
            arena.recode(&ranking, s, l, &mut bytes);
            spans[i] = (start, bytes.len() - start);
        }
        arena.finish_recode(ranking, bytes);
        check(&mut rng, &arena, &texts, &spans);
        for _ in 0..4 {
            let t = format!("{} w{}", random_text(&mut rng), rng.u8(..20))
                .trim()
                .to_string();
            spans.push(arena.push(&t));
            texts.push(t);
        }
        check(&mut rng, &arena, &texts, &spans);
    }
}

#[test]
fn codes_take_one_to_five_bytes_and_match_across_lengths() {
    let mut arena = Texts::default();
    let (s, l) = arena.push("a b c d e f g h i j k l m n");
    // In tests three ranks take each of 1, 2, 3 and 4 bytes; the rest take 5.
    assert_eq!(l, 3 + 3 * 2 + 3 * 3 + 3 * 4 + 2 * 5);
    let text = arena.encoded(s, l);
    assert!(arena.matcher("c d e f g h i j k l m n").matches(text));
    assert!(arena.matcher("l m n").matches(text));
    assert!(arena.matcher("n").matches(text));
    assert!(!arena.matcher("n a").matches(text));
    assert!(!arena.matcher("m l").matches(text));
}

#[test]
fn the_commonest_words_take_the_shortest_codes_after_ranking() {
    let mut arena = Texts::default();
    let (s, l) = arena.push("a b c d e f g h h h g g");
    let ranking = arena.ranking();
    let mut bytes = Vec::new();
    arena.recode(&ranking, s, l, &mut bytes);
    let len = bytes.len();
    arena.finish_recode(ranking, bytes);
    assert_eq!(arena.text(0, len), "a b c d e f g h h h g g");
    assert!(len < l, "{len} >= {l}");
    assert!(arena.matcher("h h g").matches(arena.encoded(0, len)));
    // g and h (three uses each) arrived seventh and eighth, three bytes each; ranked,
    // they take one, and a new word ranks last.
    assert_eq!(arena.push("g").1, 1);
    assert_eq!(arena.push("h").1, 1);
    assert_eq!(arena.push("z").1, 3);
}

#[test]
fn a_word_the_vocabulary_lacks_matches_nothing_without_a_scan() {
    let mut arena = Texts::default();
    arena.push("khanh hoa");
    assert!(matches!(arena.matcher("anh ho").kind, Kind::Seq(_)));
    assert!(matches!(arena.matcher("khanh hoa vang").kind, Kind::Never));
    assert!(matches!(arena.matcher("khanh zz hoa").kind, Kind::Never));
    assert!(matches!(arena.matcher("qq").kind, Kind::Never));
    assert!(matches!(arena.matcher("").kind, Kind::All));
}
