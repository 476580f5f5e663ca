//! Republishing, end to end: three boards (RSS, Atom, JSON Feed; Vietnamese text, dates
//! in +07:00, GMT and Z) are polled from a fixture server, and every output the daemon
//! serves is read back by independent parsers: feed-rs and the `rss` crate for all
//! formats, Python's feedparser for the RSS, xmllint with the RFC 4287 RELAX NG grammar
//! for the Atom. Also: filters, paging, conditional GET, single-flight rendering, the
//! HTML page, source health, province counts and the OPML round trip through the CLI.
//!
//! The external checkers skip with a message when absent locally; under `CI=true`
//! (`.ci/run` installs them) a missing checker fails the test instead.

mod common;
#[path = "republish/formats.rs"]
mod formats;
#[path = "republish/http.rs"]
mod http;
#[path = "republish/pages.rs"]
mod pages;
#[path = "republish/support.rs"]
mod support;
