//! Logging setup: tracing to journald when stderr is the journal (started by systemd), else to stderr.
//! stdout is reserved for program output.

use tracing::Level;
use tracing_subscriber::{filter::Targets, prelude::*};

/// Install the global subscriber. `verbose` is the count of `-v` flags; RUST_LOG overrides it.
/// RUST_LOG is a level or a comma-separated list of `target=level` (`mynawatch=debug,zbus=trace`):
/// tracing-subscriber's `Targets`, which needs no regex engine in the binary (EnvFilter's span and
/// field filters are not needed to debug one small daemon).
pub fn init(verbose: u8) {
    let default = Targets::new().with_target(
        "mynawatch",
        match verbose {
            0 => Level::INFO,
            1 => Level::DEBUG,
            _ => Level::TRACE,
        },
    );
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.is_empty() => v.parse::<Targets>().unwrap_or_else(|e| {
            eprintln!("mynawatch: ignoring invalid RUST_LOG={v:?}: {e}");
            default
        }),
        _ => default,
    };
    let registry = tracing_subscriber::registry().with(filter);
    if stderr_is_journal() {
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

/// Is stderr the journal stream systemd connected us to? `JOURNAL_STREAM` alone is not enough: it is
/// inherited by everything a service starts (a terminal started as a user service passes it to every
/// shell in it), so compare it with stderr's device and inode, as systemd.exec(5) says to.
fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;

    let Some(var) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    match std::fs::File::from(fd).metadata() {
        Ok(meta) => journal_stream_is(&var.to_string_lossy(), meta.dev(), meta.ino()),
        Err(_) => false,
    }
}

/// Does a `JOURNAL_STREAM` value ("DEVICE:INODE", both decimal) name this device and inode?
fn journal_stream_is(var: &str, dev: u64, ino: u64) -> bool {
    let Some((d, i)) = var.split_once(':') else {
        return false;
    };
    d.parse() == Ok(dev) && i.parse() == Ok(ino)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_stream_must_match_device_and_inode() {
        assert!(journal_stream_is("8:123456", 8, 123456));
        assert!(!journal_stream_is("8:123456", 8, 123457));
        assert!(!journal_stream_is("9:123456", 8, 123456));
        assert!(!journal_stream_is("", 8, 123456));
        assert!(!journal_stream_is("8", 8, 123456));
        assert!(!journal_stream_is("x:y", 8, 123456));
    }
}
