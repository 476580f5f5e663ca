//! Stable-toolchain harness for the fuzz target bodies (no libFuzzer, no nightly).
//!
//! Each test replays `seeds/<target>/`, `regressions/<target>/` and any directories in
//! `ZONEWIRE_FUZZ_CORPUS` (colon-separated, read recursively), then mutates the seeds
//! blindly: `ZONEWIRE_FUZZ_ITERS` inputs (default 300), or for `ZONEWIRE_FUZZ_SECS`
//! seconds when set. `ZONEWIRE_FUZZ_RNG` fixes the mutation seed. A panicking mutated input
//! is written to `artifacts/<target>/crash-<hash>`, so it can be replayed with
//! `cargo fuzz run <target> <file>` or added to `regressions/`. The first failure stops a
//! target; with `ZONEWIRE_FUZZ_KEEP_GOING=1` it runs on and lists one input per kind of
//! failure at the end.
//!
//! This is a smoke test, not a fuzzer: without coverage feedback it finds shallow bugs
//! only. It exists because `cargo fuzz` needs nightly features (README, "Fuzzing").

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Inputs larger than this in an extra corpus are skipped: libFuzzer's default `-max_len`
/// is far smaller, and huge pages only slow the blind mutator down.
const MAX_INPUT: u64 = 1 << 20;

/// Fragments worth splicing in: markup, entities, Vietnamese date words, URL syntax, and
/// characters that stress Unicode handling (combining marks, zero-width, special casing).
const DICTIONARY: &[&[u8]] = &[
    b"<item>",
    b"</item>",
    b"<entry>",
    b"<title>",
    b"<link>",
    b"<pubDate>",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version=\"1.0\" encoding=\"windows-1258\"?>",
    b"\xEF\xBB\xBF",
    b"&amp;",
    b"&#x",
    b"&#",
    b"&nbsp;",
    b";",
    "ngày".as_bytes(),
    "tháng".as_bytes(),
    "năm".as_bytes(),
    "Thứ Hai,".as_bytes(),
    b"/",
    b"-",
    b".",
    b":",
    b"+07:00",
    b" GMT",
    b"%",
    b"%C4%91",
    b"%2F",
    b"//",
    b"http://",
    b"https://",
    b"?",
    b"#!",
    b"=",
    b"&utm_source=",
    b"<script>",
    b"</script>",
    b"<a href=\"",
    b"\"",
    b"'",
    b"<img src=",
    b"javascript:",
    b"<iframe src=\"https://www.youtube.com/embed/x\">",
    b"<svg><script>",
    b"<style>",
    b"<!--",
    b"-->",
    b"<base href=\"",
    "\u{301}".as_bytes(),
    "\u{200B}".as_bytes(),
    "\u{AD}".as_bytes(),
    "İ".as_bytes(),
    "ẞ".as_bytes(),
    "ǅ".as_bytes(),
    "Ð".as_bytes(),
    b"\xC3",
    b"\xFF",
    b"\0",
];

/// xorshift64*: deterministic for a given seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out);
        } else if p.metadata().is_ok_and(|m| m.len() <= MAX_INPUT) {
            out.push(p);
        }
    }
}

fn hash(data: &[u8]) -> u64 {
    // FNV-1a: stable across runs, unlike std's randomly keyed hasher.
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Failures seen so far, by panic location (one per kind of bug), with how many inputs hit
/// each and the first report.
type Failures = Vec<(String, usize, String)>;

/// Inputs saved per kind of failure in keep-going mode: enough to see the variety.
const SAVED_PER_KIND: usize = 20;

thread_local! {
    /// Where the last panic on this thread happened, recorded by the quiet hook.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
    /// Set while a target body runs: only those panics are kept quiet.
    static IN_BODY: Cell<bool> = const { Cell::new(false) };
}

static QUIET_HOOK: Once = Once::new();

/// Replace std's hook, which would print every one of thousands of panicking inputs, by
/// one that only records where the panic happened; `run_one` reports each kind once.
fn install_quiet_hook() {
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_BODY.with(Cell::get) {
                return previous(info);
            }
            let at = info
                .location()
                .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
            LAST_PANIC.with(|p| *p.borrow_mut() = at);
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "non-string panic".to_string())
}

/// Run `body` on `input`. A panicking mutated input is saved under `artifacts/`; the
/// failure is reported once per kind (panic location) and, unless
/// `ZONEWIRE_FUZZ_KEEP_GOING` is set, stops the run.
fn run_one(
    target: &str,
    body: zonewire_fuzz::Target,
    input: &[u8],
    origin: &str,
    save: bool,
    failures: &mut Failures,
) {
    IN_BODY.with(|b| b.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| body(input)));
    IN_BODY.with(|b| b.set(false));
    let Err(payload) = result else {
        return;
    };
    let msg = panic_message(payload.as_ref());
    let kind = LAST_PANIC.with(|p| p.borrow().clone());
    let seen = failures.iter_mut().find(|(k, _, _)| *k == kind).map(|f| {
        f.1 += 1;
        f.1
    });
    if let Some(count) = seen {
        if save && count <= SAVED_PER_KIND {
            save_input(target, input);
        }
        return;
    }
    let saved = if save {
        save_input(target, input)
    } else {
        "from a file".to_string()
    };
    let shown: String = input.escape_ascii().to_string().chars().take(600).collect();
    let report = format!(
        "{target} panicked at {kind} on {origin}; input {saved}; {} bytes: b\"{shown}\"\n  {msg}",
        input.len()
    );
    eprintln!("{report}");
    failures.push((kind, 1, report));
    if std::env::var_os("ZONEWIRE_FUZZ_KEEP_GOING").is_none() {
        panic!("{target}: a fuzz input failed (above)");
    }
}

fn save_input(target: &str, input: &[u8]) -> String {
    let dir = fuzz_dir().join("artifacts").join(target);
    let path = dir.join(format!("crash-{:016x}", hash(input)));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input)) {
        Ok(()) => format!("saved to {}", path.display()),
        Err(e) => format!("not saved ({e})"),
    }
}

fn mutate(rng: &mut Rng, pool: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = [
                    0, 0xFF, b'<', b'>', b'&', b'%', b'/', b'#', b'\n', 0x80, 0xC3, b'9',
                ][rng.below(12)];
            }
            2 | 3 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())];
                let at = rng.below(len + 1);
                input.splice(at..at, token.iter().copied());
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let chunk = input[a..b].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            6 => {
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + 1 + rng.below(256)).min(other.len());
                    let at = rng.below(len + 1);
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ if len > 1 => input.truncate(rng.below(len)),
            _ => input.push(rng.next() as u8),
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn replay_and_mutate(target: &str) {
    install_quiet_hook();
    let (_, body) = zonewire_fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("target is listed in TARGETS");
    let mut files = Vec::new();
    files_under(&fuzz_dir().join("seeds").join(target), &mut files);
    let seed_count = files.len();
    files_under(&fuzz_dir().join("regressions").join(target), &mut files);
    if let Ok(extra) = std::env::var("ZONEWIRE_FUZZ_CORPUS") {
        for dir in extra.split(':').filter(|d| !d.is_empty()) {
            if Path::new(dir).is_dir() {
                files_under(Path::new(dir), &mut files);
            } else {
                eprintln!("{target}: extra corpus {dir} is absent; skipped");
            }
        }
    }
    assert!(seed_count > 0, "{target}: no seeds in seeds/{target}/");

    let mut failures = Failures::new();
    let mut pool = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("corpus file is readable");
        run_one(
            target,
            *body,
            &data,
            &f.display().to_string(),
            false,
            &mut failures,
        );
        pool.push(data);
    }

    let rng_seed = env_u64("ZONEWIRE_FUZZ_RNG").unwrap_or(0x5EED_2026);
    let mut rng = Rng(rng_seed.max(1));
    let budget = env_u64("ZONEWIRE_FUZZ_SECS").map(Duration::from_secs);
    let iters = env_u64("ZONEWIRE_FUZZ_ITERS").unwrap_or(300);
    let start = Instant::now();
    let mut done = 0u64;
    let mut input = Vec::new();
    loop {
        match budget {
            Some(b) if start.elapsed() >= b => break,
            None if done >= iters => break,
            _ => {}
        }
        // Mostly fresh from a seed; sometimes stack more mutations on the last input.
        if done.is_multiple_of(4) || input.is_empty() || input.len() > 1 << 16 {
            input.clone_from(&pool[rng.below(pool.len())]);
        }
        mutate(&mut rng, &pool, &mut input);
        run_one(
            target,
            *body,
            &input,
            &format!("mutation {done} (ZONEWIRE_FUZZ_RNG={rng_seed})"),
            true,
            &mut failures,
        );
        done += 1;
    }
    eprintln!(
        "{target}: {} corpus files, {done} mutated inputs in {:.1?}",
        files.len(),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{target}: {} kind(s) of failure:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|(_, n, r)| format!("[{n} input(s)] {r}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn feed_ingest() {
    replay_and_mutate("feed_ingest");
}

#[test]
fn html_extract() {
    replay_and_mutate("html_extract");
}

#[test]
fn dates() {
    replay_and_mutate("dates");
}

#[test]
fn urlnorm() {
    replay_and_mutate("urlnorm");
}

#[test]
fn text() {
    replay_and_mutate("text");
}
