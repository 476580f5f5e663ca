//! zonewire: watches Vietnamese industrial-zone and economic-zone boards and republishes
//! one clean, deduplicated feed.
//!
//! # Layout
//! Data flows one way (design.md):
//! `config` → `scheduler` → `fetch` (+ `charset`) → `parse` (feeds) / `extract` (HTML,
//! with `dates`) → `normalize` (with `text`, `sanitize`, `urlnorm`, `provinces`) →
//! `dedup` → `store` → `render` → `http`.

pub mod charset;
pub mod dates;
pub mod dedup;
pub mod extract;
pub mod fetch;
pub mod model;
pub mod provinces;
pub mod render;
pub mod sanitize;
pub mod text;
pub mod urlnorm;
