//! zonewire: watches Vietnamese industrial-zone and economic-zone boards and republishes
//! one clean, deduplicated feed.
//!
//! # Layout
//! Data flows one way (design.md):
//! `config` → `schedule` → `poller`, which runs `fetch` (+ `charset`) → `parse` (feeds) or
//! `extract` (HTML, with `dates`) → `normalize` (with `text`, `sanitize`, `urlnorm`,
//! `provinces`) → `archive` (dedup decisions with `dedup`; the in-memory catalog) →
//! `store` (sled, behind a trait) → `render` → `http`. `app` wires the commands together.

pub mod app;
pub mod archive;
pub mod charset;
pub mod config;
pub mod dates;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod heap;
pub mod http;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod poller;
pub mod provinces;
pub mod recover;
pub mod render;
pub mod sanitize;
pub mod schedule;
pub mod store;
pub mod text;
pub mod urlnorm;
