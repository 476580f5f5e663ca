//! The command line as users run it: check, poll, export, sources, on the offline demo.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zonewire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(args)
        .env_remove("ZONEWIRE_CONFIG")
        .output()
        .expect("run zonewire")
}

/// The demo config with its store moved into a temporary directory (the demo feeds are
/// still read from the repository through absolute file: URLs).
fn demo_config(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("config/demo.toml"))
        .unwrap()
        .replace(
            "data/demo.sled",
            &dir.join("demo.sled").display().to_string(),
        )
        .replace(
            "file:demo/",
            &format!("file://{}/config/demo/", root.display()),
        );
    let path = dir.join("demo.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn check_reports_every_error_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[poll]\ninterval = \"soon\"\n\n[[source]]\nid = \"a\"\nurl = \"file:///a\"\n\n[[source]]\nid = \"a\"\nprovince = \"Gondor\"\n",
    )
    .unwrap();
    let out = zonewire(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:2:12: poll.interval: bad duration \"soon\""),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:9:6: duplicate source id \"a\""),
        "{err}"
    );
    assert!(err.contains("unknown province \"Gondor\""), "{err}");
    assert!(err.contains("missing `url`"), "{err}");

    std::fs::write(&path, "[server]\nlisten = \"127.0.0.1:8080\"\nport = 80\n").unwrap();
    let out = zonewire(&["check", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("bad.toml:3:1: unknown field `port`"),
        "{}",
        stderr(&out)
    );

    let out = zonewire(&["check", "--config", "/nonexistent/zonewire.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/zonewire.toml"));

    // The shipped configs are valid.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cfg in ["config/zonewire.toml", "config/demo.toml"] {
        let out = zonewire(&["check", "--config", root.join(cfg).to_str().unwrap()]);
        assert!(out.status.success(), "{cfg}: {}", stderr(&out));
    }
}

#[test]
fn poll_export_and_sources_on_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let cfg = config.to_str().unwrap();
    let out = zonewire(&["poll", "--config", cfg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let squash = |s: String| {
        s.split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let text = squash(stdout(&out));
    assert!(text.contains("khanhhoa-bqlkkt new: 3 new"), "{text}");
    assert!(
        text.contains("hungyen-bqlkcn new: 3 new, 0 updated, 0 unchanged"),
        "{text}"
    );
    // Whichever board is polled second joins the first one's story.
    assert_eq!(
        text.matches("(1 merged into stories from other sources)")
            .count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("total: 4 sources, 10 new, 0 updated, 0 with errors"),
        "{text}"
    );
    let again = squash(stdout(&zonewire(&["poll", "--config", cfg])));
    assert!(again.contains("total: 4 sources, 0 new"), "{again}");
    assert!(again.contains("khanhhoa-bqlkkt unchanged"), "{again}");

    for (format, check) in [("rss", "<rss"), ("atom", "<feed"), ("json", "jsonfeed.org")] {
        let file = dir.path().join(format!("out.{format}"));
        let out = zonewire(&[
            "export",
            "--config",
            cfg,
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let body = std::fs::read_to_string(&file).unwrap();
        assert!(body.contains(check), "{format}: {body}");
        let feed = feed_rs::parser::parse(body.as_bytes()).unwrap();
        // Ten items, one story told by two boards.
        assert_eq!(feed.entries.len(), 9, "{format}");
    }
    let out = zonewire(&["export", "--config", cfg, "--province", "Thừa Thiên Huế"]);
    assert!(out.status.success());
    assert_eq!(
        feed_rs::parser::parse(out.stdout.as_slice())
            .unwrap()
            .entries
            .len(),
        0
    );
    let out = zonewire(&[
        "export",
        "--config",
        cfg,
        "--province",
        "Ninh Thuận",
        "--cooperation",
    ]);
    let feed = feed_rs::parser::parse(out.stdout.as_slice()).unwrap();
    assert_eq!(
        feed.entries.len(),
        1,
        "the visit is the one Khánh Hòa (Ninh Thuận is part of it) cooperation story"
    );
    let out = zonewire(&["export", "--config", cfg, "--q", "NGHI SON"]);
    let feed = feed_rs::parser::parse(out.stdout.as_slice()).unwrap();
    assert_eq!(feed.entries.len(), 2, "diacritic-insensitive search");
    let out = zonewire(&["export", "--config", cfg, "--province", "Atlantis"]);
    assert_eq!(out.status.code(), Some(1));

    let out = zonewire(&["sources", "--config", cfg]);
    assert!(out.status.success());
    let table = stdout(&out);
    assert!(!table.contains('\x1b'), "no colours when not a terminal");
    let row = table
        .lines()
        .find(|l| l.starts_with("thanhhoa-nghison"))
        .unwrap();
    assert!(
        row.contains("thanh-hoa") && row.contains("feed") && row.contains("unchanged"),
        "{row}"
    );
    assert!(row.split_whitespace().any(|w| w == "2"), "{row}");
}
