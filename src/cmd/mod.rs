//! The one-shot subcommands that print reports for a person (`opml`, `probe`), apart
//! from the daemon's own start-up and dispatch in `main.rs`.

mod opml;
mod probe;

pub(crate) use opml::opml;
pub(crate) use probe::probe;
