//! Hostile documents through the daemon's poll path: a 32 MiB field, 100k items, deep
//! nesting, entity expansion and external entities. Each is rejected or truncated with
//! a clear per-source error or warning, never a crash, never a file read.

mod common;

use std::path::Path;

use common::{Reply, TestServer};
use zonewire::app;
use zonewire::config::Config;
use zonewire::poller::PollStatus;

fn config(server: &TestServer, store: &Path, max_body: &str) -> Config {
    let mut text = format!(
        "[store]\npath = \"{}\"\n[poll]\nallow_private = true\nmax_body = \"{max_body}\"\ntimeout = \"60s\"\n",
        store.display()
    );
    for id in ["big-field", "many-items", "deep", "laughs", "xxe"] {
        text.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nurl = \"{}\"\nkind = \"feed\"\n",
            server.url(&format!("/{id}.xml"))
        ));
    }
    Config::parse(&text, Path::new("hostile.toml")).unwrap()
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>x</title>{items}</channel></rss>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_are_contained() {
    let server = TestServer::start().await;
    let big = rss(&format!(
        "<item><title>Lớn</title><link>http://h.test/1</link><description>{}</description></item>",
        "a".repeat(32 << 20)
    ));
    server.route("/big-field.xml", Reply::ok(big));
    let mut many = String::with_capacity(100_000 * 80);
    for i in 0..100_000 {
        many.push_str(&format!(
            "<item><title>Tin {i}</title><link>http://h.test/{i}</link></item>"
        ));
    }
    server.route("/many-items.xml", Reply::ok(rss(&many)));
    let depth = 200_000;
    let deep = rss(&format!(
        "<item><title>Sâu</title><link>http://h.test/deep</link><description>{}{}</description></item>",
        "<x>".repeat(depth),
        "</x>".repeat(depth)
    ));
    server.route("/deep.xml", Reply::ok(deep));
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>Cười &lol9;</title><link>http://h.test/lol</link></item></channel></rss>"#;
    server.route("/laughs.xml", Reply::ok(laughs));
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = secret_dir.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{}"><!ENTITY net SYSTEM "{}">]>
<rss version="2.0"><channel><title>x</title><item><title>Bí mật &xxe; &net;</title><link>http://h.test/xxe</link><description>&xxe;</description></item></channel></rss>"#,
        secret.display(),
        server.url("/exfiltrate")
    );
    server.route("/xxe.xml", Reply::ok(xxe));

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server, &dir.path().join("s.sled"), "10MiB");
    let out = app::poll_once(&cfg, &[]).await.unwrap();
    let get = |id: &str| out.iter().find(|o| o.source == id).unwrap().clone();

    // 32 MiB in one field: over the body cap, a clear error.
    match get("big-field").status {
        PollStatus::Error(e) => assert!(e.contains("cap"), "{e}"),
        other => panic!("{other:?}"),
    }
    // 100k items (≈8 MB): kept to the first MAX_ENTRIES, the rest dropped with a warning.
    let many = get("many-items");
    assert_eq!(many.status, PollStatus::New, "{many:?}");
    assert_eq!(many.report.new, zonewire::parse::MAX_ENTRIES);
    // Deep nesting: no stack overflow; the item is kept or the source fails cleanly.
    let deep = get("deep");
    assert!(
        matches!(deep.status, PollStatus::New | PollStatus::Error(_)),
        "{deep:?}"
    );
    // Entities are never expanded, internal or external; nothing is read or fetched.
    assert_eq!(get("laughs").status, PollStatus::New);
    assert_eq!(get("xxe").status, PollStatus::New);
    assert_eq!(
        server.hits("/exfiltrate"),
        0,
        "an external entity caused a request"
    );
    let archive = app::open_archive(&cfg).unwrap();
    let page = archive
        .query(&zonewire::archive::Query {
            source: Some("xxe".into()),
            ..Default::default()
        })
        .unwrap();
    let item = &page.stories[0].lead;
    assert!(
        !item.title.contains("TOP-SECRET") && !item.summary.contains("TOP-SECRET"),
        "{item:?}"
    );
    let page = archive
        .query(&zonewire::archive::Query {
            source: Some("laughs".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        page.stories[0].lead.title.len() < 200,
        "{:?}",
        page.stories[0].lead.title
    );
}
