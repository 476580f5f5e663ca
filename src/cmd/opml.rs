use crate::{Failure, OpmlCommand, write_output};
use zonewire::config::Config;

pub(crate) fn opml(command: OpmlCommand) -> Result<(), Failure> {
    use std::io::IsTerminal;
    use zonewire::opml::ImportLine;
    match command {
        OpmlCommand::Export { config, output } => {
            let config = Config::load(&config.config)?;
            let infos: Vec<_> = config.sources.iter().map(|s| s.info()).collect();
            let xml = zonewire::render::opml(&config.server.title, &config.server.base_url, &infos);
            write_output(output, xml.as_bytes())
        }
        OpmlCommand::Import { file, config } => {
            let config = Config::load(&config.config)?;
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = indicatif::ProgressBar::new(0);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} outlines")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let lines = zonewire::opml::import(&config, &file, |done, total| match &bar {
                Some(bar) => {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                }
                // Not a terminal: a plain line now and then, for logs.
                None if done % 500 == 0 || done == total => eprintln!("{done}/{total} outlines"),
                None => {}
            })
            .map_err(|e| Failure::Input(e.to_string()))?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let mut added = 0;
            for line in &lines {
                match line {
                    ImportLine::Added { id, url } => {
                        added += 1;
                        println!("added      {id}  {url}");
                    }
                    ImportLine::Duplicate { url, reason } => {
                        println!("duplicate  {url}  ({reason})")
                    }
                    ImportLine::Invalid { url, reason } => println!("invalid    {url}  ({reason})"),
                }
            }
            println!(
                "{added} of {} outlines added to {}; run `zonewire reload` (or send SIGHUP) to poll them",
                lines.len(),
                config.path.display()
            );
            Ok(())
        }
    }
}
