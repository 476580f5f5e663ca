use std::collections::HashMap;

use super::*;
use crate::archive::Query;
use crate::dedup;

fn entry(
    published: i64,
    story: &str,
    source: &str,
    provinces: &[&str],
    search: &str,
) -> IndexEntry {
    IndexEntry {
        published,
        source: source.into(),
        provinces: provinces.iter().map(|p| p.to_string()).collect(),
        story: story.into(),
        search: search.into(),
        fingerprint: dedup::fingerprint("", ""),
        digest: 0,
    }
}

fn leads(c: &Catalog) -> Vec<String> {
    c.page(&Query {
        limit: usize::MAX,
        ..Query::default()
    })
    .0
    .into_iter()
    .map(|(lead, _)| lead)
    .collect()
}

#[test]
fn an_earlier_report_takes_the_lead() {
    let mut c = Catalog::default();
    c.insert("b", &entry(200, "b", "s1", &[], "x"));
    assert_eq!(leads(&c), ["b"]);
    c.insert("a", &entry(100, "b", "s2", &[], "y"));
    let (page, _) = c.page(&Query::default());
    assert_eq!(page, [("a".to_string(), vec!["b".to_string()])]);
    // Same second: the smaller id leads.
    c.insert("0", &entry(100, "b", "s3", &[], "z"));
    assert_eq!(leads(&c), ["0"]);
    assert_eq!(c.members("b").unwrap(), ["b", "a", "0"]);
}

#[test]
fn removing_the_lead_hands_the_story_to_the_next_earliest() {
    let mut c = Catalog::default();
    c.insert("x", &entry(300, "x", "s1", &[], ""));
    c.insert("y", &entry(100, "x", "s1", &[], ""));
    c.insert("z", &entry(200, "x", "s1", &[], ""));
    c.insert("w", &entry(250, "w", "s1", &[], ""));
    assert_eq!(leads(&c), ["w", "y"]);
    c.remove("y");
    assert_eq!(leads(&c), ["w", "z"]);
    c.remove("z");
    assert_eq!(leads(&c), ["x", "w"]);
    c.remove("x");
    assert_eq!(leads(&c), ["w"]);
    assert_eq!(c.members("x"), None);
    assert_eq!(c.len(), 1);
}

#[test]
fn an_update_moves_an_item_between_stories_and_in_time() {
    let mut c = Catalog::default();
    c.insert("a", &entry(100, "a", "s1", &["p"], "old"));
    c.insert("b", &entry(200, "a", "s1", &[], ""));
    c.insert("a", &entry(300, "c", "s2", &["q"], "new"));
    assert_eq!(c.story_of("a").as_deref(), Some("c"));
    assert_eq!(leads(&c), ["a", "b"]);
    assert_eq!(c.members("a").unwrap(), ["b"]);
    assert_eq!(c.len(), 2);
    assert_eq!(
        c.source_counts(),
        HashMap::from([("s1".into(), 1), ("s2".into(), 1)])
    );
    assert_eq!(c.province_counts(), HashMap::from([("q".into(), 1)]));
    let old = Query {
        q: Some("old".into()),
        ..Query::default()
    };
    assert!(c.page(&old).0.is_empty());
}

#[test]
fn pruning_most_items_compacts_and_keeps_the_rest() {
    let mut c = Catalog::loading();
    for i in 0..2_000 {
        let story = format!("i{}", i - i % 3);
        let mut e = entry(i, &story, "s1", &["p", "q"], "chu de dau tu");
        e.digest = 7_000 + i as u64;
        c.insert(&format!("i{i}"), &e);
    }
    c.finish_load();
    let names_before = c.names.len();
    for i in 0..1_900 {
        c.remove(&format!("i{i}"));
    }
    assert_eq!(c.len(), 100);
    assert!(c.names.len() < names_before / 4, "the interner was rebuilt");
    assert!(c.search.len() < 100 * 20, "the search arena was rebuilt");
    let (page, _) = c.page(&Query {
        limit: 2,
        ..Query::default()
    });
    assert_eq!(page[0].0, "i1998");
    assert_eq!(c.members("i1998").unwrap(), ["i1998", "i1999"]);
    assert_eq!(c.members("i1899").unwrap(), ["i1900", "i1901"]);
    assert_eq!(c.province_counts()["p"], 100);
    assert_eq!(
        c.digest_of("i1998"),
        Some(8_998),
        "digests survive compaction"
    );
    assert_eq!(c.digest_of("i5"), None, "removed");
    assert!(c.knows_digest(8_998) && !c.knows_digest(7_005));
}

/// The catalog as it was: maps of strings, the lead found per query. Every operation
/// of the real one is checked against it.
#[derive(Default)]
struct Model {
    entries: HashMap<String, IndexEntry>,
    stories: HashMap<String, Vec<String>>,
}

impl Model {
    fn insert(&mut self, id: &str, e: &IndexEntry) {
        self.remove(id);
        self.stories
            .entry(e.story.clone())
            .or_default()
            .push(id.to_string());
        self.entries.insert(id.to_string(), e.clone());
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.entries.remove(id)
            && let Some(m) = self.stories.get_mut(&old.story)
        {
            m.retain(|x| x != id);
            if m.is_empty() {
                self.stories.remove(&old.story);
            }
        }
    }

    fn lead_of(&self, story: &str) -> Option<&str> {
        self.stories
            .get(story)?
            .iter()
            .min_by_key(|m| (self.entries[m.as_str()].published, m.as_str()))
            .map(|s| s.as_str())
    }

    fn matches(q: &Query, members: &[&IndexEntry]) -> bool {
        if let Some(p) = &q.province
            && !members.iter().any(|m| m.provinces.contains(p))
        {
            return false;
        }
        if let Some(s) = &q.source
            && !members.iter().any(|m| &m.source == s)
        {
            return false;
        }
        if let Some(t) = &q.q
            && !members.iter().any(|m| m.search.contains(t.as_str()))
        {
            return false;
        }
        if q.cooperation {
            let mut all: Vec<&String> = members.iter().flat_map(|m| &m.provinces).collect();
            all.sort();
            all.dedup();
            if all.len() < 2 {
                return false;
            }
        }
        true
    }

    fn page(&self, q: &Query) -> (Vec<(String, Vec<String>)>, Option<i64>) {
        let mut order: Vec<(i64, &str)> = self
            .entries
            .iter()
            .map(|(id, e)| (e.published, id.as_str()))
            .filter(|(t, _)| *t < q.before.unwrap_or(i64::MAX))
            .collect();
        order.sort();
        let mut picked: Vec<(String, Vec<String>, i64)> = Vec::new();
        let mut next = None;
        for (ts, id) in order.into_iter().rev() {
            let story = &self.entries[id].story;
            if self.lead_of(story) != Some(id) {
                continue;
            }
            let members: Vec<&IndexEntry> = self.stories[story]
                .iter()
                .map(|m| &self.entries[m])
                .collect();
            if !Model::matches(q, &members) {
                continue;
            }
            if picked.len() >= q.limit && picked.last().is_some_and(|p| p.2 != ts) {
                next = picked.last().map(|p| p.2);
                break;
            }
            let mut others: Vec<(i64, String)> = self.stories[story]
                .iter()
                .filter(|m| *m != id)
                .map(|m| (self.entries[m].published, m.clone()))
                .collect();
            others.sort();
            picked.push((
                id.to_string(),
                others.into_iter().map(|o| o.1).collect(),
                ts,
            ));
        }
        (picked.into_iter().map(|(l, o, _)| (l, o)).collect(), next)
    }

    fn counts(&self) -> (HashMap<String, usize>, HashMap<String, usize>) {
        let (mut p, mut s) = (HashMap::new(), HashMap::new());
        for e in self.entries.values() {
            for x in &e.provinces {
                *p.entry(x.clone()).or_insert(0) += 1;
            }
            *s.entry(e.source.clone()).or_insert(0) += 1;
        }
        (p, s)
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, list: &[&'a str]) -> &'a str {
    list[rng.usize(..list.len())]
}

const IDS: &[&str] = &[
    "i1", "i10", "i2", "i3", "a", "b9", "c", "i11", "z", "y", "x0", "x",
];
const PROVINCES: &[&str] = &["khanh-hoa", "hung-yen", "ha-noi"];
const SOURCES: &[&str] = &["s1", "s2", "s3"];
const WORDS: &[&str] = &["ha noi", "khanh hoa", "dau tu", "ha", "doan cong tac"];

fn random_entry(rng: &mut fastrand::Rng, id: &str) -> IndexEntry {
    let story = if rng.bool() { id } else { pick(rng, IDS) };
    let provinces: Vec<&str> = (0..rng.usize(..4)).map(|_| pick(rng, PROVINCES)).collect();
    let search: Vec<&str> = (0..rng.usize(..4)).map(|_| pick(rng, WORDS)).collect();
    entry(
        rng.i64(0..6) * 100,
        story,
        pick(rng, SOURCES),
        &provinces,
        &search.join(" "),
    )
}

fn random_query(rng: &mut fastrand::Rng) -> Query {
    Query {
        province: rng
            .bool()
            .then(|| pick(rng, &["khanh-hoa", "hung-yen", "ha-noi", "none"]).to_string()),
        source: (rng.u8(..4) == 0).then(|| pick(rng, &["s1", "s2", "s9"]).to_string()),
        q: rng.bool().then(|| {
            pick(
                rng,
                &[
                    "ha",
                    "noi kh",
                    "",
                    "dau tu",
                    "vang",
                    "a noi dau",
                    "oa d",
                    "a",
                ],
            )
            .to_string()
        }),
        cooperation: rng.u8(..4) == 0,
        limit: rng.usize(..5),
        before: rng.bool().then(|| rng.i64(0..7) * 100),
    }
}

#[test]
fn behaves_like_the_string_catalog_it_replaced() {
    for seed in 0..200 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut model = Model::default();
        let mut real = if rng.bool() {
            Catalog::loading()
        } else {
            Catalog::default()
        };
        let loading = real.loading;
        for step in 0..60 {
            let id = pick(&mut rng, IDS);
            if rng.u8(..4) == 0 {
                model.remove(id);
                real.remove(id);
            } else {
                let e = random_entry(&mut rng, id);
                model.insert(id, &e);
                real.insert(id, &e);
            }
            if loading && step == 30 {
                real.finish_load();
            }
            if real.loading {
                continue;
            }
            assert_eq!(real.len(), model.entries.len(), "seed {seed} step {step}");
            for id in IDS {
                assert_eq!(
                    real.members(id),
                    model.stories.get(*id).cloned(),
                    "members of {id}, seed {seed} step {step}"
                );
                assert_eq!(
                    real.story_of(id),
                    model.entries.get(*id).map(|e| e.story.clone())
                );
            }
            let (p, s) = model.counts();
            assert_eq!(real.province_counts(), p);
            assert_eq!(real.source_counts(), s);
            for _ in 0..5 {
                let q = random_query(&mut rng);
                assert_eq!(
                    real.page(&q),
                    model.page(&q),
                    "{q:?}, seed {seed} step {step}"
                );
            }
        }
    }
}

/// After a load the entries and their search texts sit in the order queries read them:
/// newest lead first, its members right after it, whatever order the store handed the
/// entries over in.
#[test]
fn a_load_lays_entries_and_search_texts_out_in_walk_order() {
    let mut c = Catalog::loading();
    // Ids in the store's (hash) order are unrelated to time: insert scrambled.
    for k in [7u32, 2, 9, 0, 5, 3, 8, 1, 6, 4] {
        let id = format!("i{k}");
        let story = format!("i{}", k - k % 2);
        c.insert(
            &id,
            &entry(i64::from(k) * 100, &story, "s1", &[], &format!("text {k}")),
        );
    }
    c.finish_load();
    let mut offsets = Vec::new();
    let mut syms = Vec::new();
    for &(_, lead) in c.leads.iter().rev() {
        for m in c.member_syms(c.entry(lead).story) {
            let e = c.entry(m);
            offsets.push(e.search_start);
            syms.push(m);
            assert_eq!(c.search_text(e), format!("text {}", &c.names.get(m)[1..]));
        }
    }
    assert_eq!(offsets.len(), 10);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    // The entries a walk reads are numbered in walk order too.
    assert_eq!(syms, (0..10).collect::<Vec<u32>>());
    assert_eq!(c.members("i4").unwrap(), ["i5", "i4"]);
    let q = Query {
        q: Some("text 3".into()),
        ..Query::default()
    };
    assert_eq!(
        c.page(&q).0,
        vec![("i2".to_string(), vec!["i3".to_string()])]
    );
}

/// A load ranks its words once `RANK_SAMPLE` entries are in, then encodes the rest with
/// that ranking (new words last); texts and answers stay the same throughout.
#[test]
fn a_load_ranks_words_after_a_sample_and_keeps_answering() {
    let mut c = Catalog::loading();
    let text = |k: u32| format!("chung w{k} chung x{}", k % 3);
    for k in 0..20u32 {
        c.insert(
            &format!("i{k}"),
            &entry(i64::from(k), &format!("i{k}"), "s1", &[], &text(k)),
        );
        assert_eq!(
            c.search.is_ranked(),
            k as usize + 1 >= RANK_SAMPLE,
            "after {k}"
        );
    }
    c.finish_load();
    for k in 0..20u32 {
        let sym = c.names.find(&format!("i{k}")).unwrap();
        assert_eq!(c.search_text(c.entry(sym)), text(k));
    }
    let ids = |q: &str| -> Vec<String> {
        let query = Query {
            q: Some(q.into()),
            limit: 100,
            ..Query::default()
        };
        c.page(&query).0.into_iter().map(|(lead, _)| lead).collect()
    };
    assert_eq!(ids("w15 chung"), ["i15"]);
    assert_eq!(
        ids("chung x1"),
        ["i19", "i16", "i13", "i10", "i7", "i4", "i1"]
    );
    assert_eq!(ids("chung w1").len(), 11); // w1, w10…w19
    assert_eq!(ids("1 chung"), ["i11", "i1"]);
    assert!(ids("x1 w").is_empty());
    assert!(ids("w3 x").is_empty());
}

#[test]
fn older_than_lists_live_items_oldest_first_up_to_a_limit() {
    let mut c = Catalog::default();
    c.insert("c", &entry(300, "c", "s1", &[], "x"));
    c.insert("a2", &entry(100, "a2", "s1", &[], "x"));
    c.insert("a1", &entry(100, "c", "s2", &[], "x"));
    c.insert("b", &entry(200, "b", "s1", &[], "x"));
    c.insert("d", &entry(400, "d", "s1", &[], "x"));
    assert_eq!(c.older_than(400, 10), ["a1", "a2", "b", "c"]);
    assert_eq!(c.older_than(400, 3), ["a1", "a2", "b"]);
    assert_eq!(c.older_than(101, 1), ["a1"]);
    assert!(c.older_than(100, 10).is_empty());
    // Removed items are gone from it, and an update moves an item in time.
    c.remove("a1");
    c.insert("d", &entry(50, "d", "s1", &[], "x"));
    assert_eq!(c.older_than(400, 10), ["d", "a2", "b", "c"]);
}
