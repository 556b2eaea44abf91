//! Logging setup: tracing to journald when started by systemd (JOURNAL_STREAM set), else to stderr.
//! stdout is reserved for program output.

use tracing_subscriber::{filter::EnvFilter, prelude::*};

/// Install the global subscriber. `verbose` is the count of `-v` flags; RUST_LOG overrides it.
pub fn init(verbose: u8) {
    let default = match verbose {
        0 => "mynawatch=info",
        1 => "mynawatch=debug",
        _ => "mynawatch=trace",
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => EnvFilter::try_new(&v).unwrap_or_else(|e| {
            eprintln!("mynawatch: ignoring invalid RUST_LOG={v:?}: {e}");
            EnvFilter::new(default)
        }),
        _ => EnvFilter::new(default),
    };
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        if let Ok(journald) = tracing_journald::layer() {
            registry
                .with(journald.with_syslog_identifier("mynawatch".into()))
                .init();
            return;
        }
    }
    registry
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false),
        )
        .init();
}
