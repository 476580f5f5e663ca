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

// Unix only: the config names the feed by an absolute `file://` path.
#[cfg(unix)]
#[test]
fn a_source_that_works_again_is_logged_as_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = dir.path().join("z.toml");
    std::fs::write(
        &config,
        format!(
            "[store]\npath = \"{}\"\n\n[[source]]\nid = \"kh\"\nurl = \"file://{}\"\n",
            dir.path().join("s.sled").display(),
            feed.display()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let poll = || zonewire(&["--log-level", "info", "poll", "--config", cfg]);
    let failed = poll();
    assert!(
        stderr(&failed).contains("poll failed"),
        "{}",
        stderr(&failed)
    );
    assert!(!stderr(&failed).contains("source recovered"));
    std::fs::copy(root.join("config/demo/khanhhoa-bqlkkt.xml"), &feed).unwrap();
    let recovered = poll();
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    assert!(
        stderr(&recovered).contains("source recovered"),
        "{}",
        stderr(&recovered)
    );
    // Said once: the next success is an ordinary one.
    let again = poll();
    assert!(
        !stderr(&again).contains("source recovered"),
        "{}",
        stderr(&again)
    );
}

#[cfg(unix)]
#[test]
fn sighup_and_reload_command_reload_the_running_daemon() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let config = demo_config(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let original = std::fs::read_to_string(&config).unwrap();
    let with_port = original.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    std::fs::write(&config, &with_port).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_zonewire"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Whatever happens in this test, the daemon does not outlive it.
    struct KillOnDrop(u32);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .arg(self.0.to_string())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _guard = KillOnDrop(child.id());
    let stderr_pipe = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |needle: &str| loop {
        // A generous guard, not a timing assumption: the daemon logs within milliseconds.
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(e) => panic!(
                "no log line with {needle:?} ({e}); saw:\n{}",
                seen.join("\n")
            ),
        }
    };
    wait_for("serving");
    // Drop the Đà Nẵng source and send SIGHUP.
    let without: String = with_port.replace(
        "[[source]]\nid       = \"danang-dseza\"",
        "[[disabled]]\nid = \"danang-dseza\"",
    );
    let without = without.split("[[disabled]]").next().unwrap().to_string()
        + &with_port[with_port
            .find("[[source]]\nid       = \"thanhhoa-nghison\"")
            .unwrap()..];
    std::fs::write(&config, &without).unwrap();
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let line = wait_for("config reloaded");
    assert!(line.contains("danang-dseza"), "{line}");
    // An invalid file is rejected and logged; the daemon keeps running.
    std::fs::write(&config, "[poll]\ninterval = \"never\"\n").unwrap();
    let out = zonewire(&[
        "reload",
        "--config",
        dir.path().join("demo.toml").to_str().unwrap(),
    ]);
    // `reload` reads the listen address from the (now invalid) file: it must say so.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    std::fs::write(&config, &without).unwrap();
    let out = zonewire(&["reload", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    wait_for("config reloaded");
    std::fs::write(&config, "[poll]\ninterval = \"never\"\n").unwrap();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    wait_for("new config rejected");
    // The rejection names the file's problem (on the following line of the message).
    let line = wait_for("interval");
    assert!(line.contains("never"), "{line}");
    let health = zonewire(&[
        "health",
        "--url",
        &format!("http://127.0.0.1:{port}/healthz"),
    ]);
    assert!(health.status.success(), "still serving after a bad reload");
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.wait().unwrap().success());
}
