use super::*;

fn parse(text: &str) -> Result<Config, Vec<ConfigProblem>> {
    Config::parse(text, Path::new("test.toml")).map_err(|e| match e {
        ConfigError::Invalid { problems, .. } => problems,
        other => panic!("unexpected {other}"),
    })
}

#[test]
fn minimal_config_gets_defaults() {
    let c = parse("[[source]]\nid = \"a\"\nurl = \"file:///tmp/a.xml\"\n").unwrap();
    assert_eq!(c.server.listen, "127.0.0.1:8080");
    assert_eq!(c.server.base_url, "http://127.0.0.1:8080");
    assert_eq!(c.poll.interval, Duration::from_secs(1800));
    assert_eq!(c.poll.fetch.max_body, 10 << 20);
    assert_eq!(c.sources.len(), 1);
    assert_eq!(c.sources[0].interval, Duration::from_secs(1800));
    assert_eq!(c.sources[0].kind, SourceKind::Auto);
}

#[test]
fn unknown_key_is_named_with_position() {
    let p = parse("[poll]\ninterval = \"5m\"\ncolour = \"blue\"\n").unwrap_err();
    assert_eq!(p.len(), 1);
    assert!(p[0].message.contains("colour"), "{:?}", p);
    assert_eq!(p[0].line, 3);
}

#[test]
fn every_semantic_error_is_reported_with_lines() {
    let text = "\
[poll]
interval = \"often\"
max_body = \"lots\"

[[source]]
id = \"a\"
url = \"file:///a\"

[[source]]
id = \"a\"
url = \"file:///b\"

[[source]]
id = \"c\"
name = \"no url\"

[[source]]
id = \"d\"
url = \"ftp://x/\"
interval = \"3 fortnights\"
";
    let p = parse(text).unwrap_err();
    let msgs: Vec<String> = p
        .iter()
        .map(|p| format!("{}: {}", p.line, p.message))
        .collect();
    let all = msgs.join("\n");
    assert!(
        all.contains("2: poll.interval: bad duration \"often\""),
        "{all}"
    );
    assert!(all.contains("3: poll.max_body: bad size"), "{all}");
    assert!(all.contains("10: duplicate source id \"a\""), "{all}");
    assert!(all.contains("source \"c\": missing `url`"), "{all}");
    assert!(
        all.contains("19: source \"d\": url scheme \"ftp\""),
        "{all}"
    );
    assert!(
        all.contains("20: source \"d\": interval: bad duration"),
        "{all}"
    );
    assert_eq!(p.len(), 6, "{all}");
}

#[test]
fn sizes() {
    assert_eq!(parse_size("10MiB"), Some(10 << 20));
    assert_eq!(parse_size("512 KB"), Some(512_000));
    assert_eq!(parse_size("123"), Some(123));
    assert_eq!(parse_size("1.5MB"), None);
    assert_eq!(parse_size("MB"), None);
}
