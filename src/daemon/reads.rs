//! Card reads beside the loop: each read runs on a blocking thread and reports back as
//! [`ReadEvent`]s on a channel the loop polls, tagged with the read's [`ReadId`] so the loop can drop
//! the result of a read it no longer waits for (card removed or re-inserted meanwhile, deadline
//! passed, shutdown). PC/SC cannot interrupt a transmit in flight: a read given up on is told to stop
//! at its next APDU and otherwise abandoned; its thread ends with the process at the latest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::card::{CardError, CardReport, CertRead, TransportError};

/// One read's outcome.
pub type ReadOutcome = Result<CardReport, CardError>;

/// How the daemon reaches cards: the real PC/SC one, or a stand-in in tests. Both methods block;
/// the loop calls them on blocking threads only.
pub trait CardReader: Send + Sync + 'static {
    /// Read the card in `reader`; `on_cert` as soon as the certificate is parsed (before the PIN
    /// counters). Should give up soon after `stop` is set.
    fn read(
        &self,
        reader: &str,
        stop: &AtomicBool,
        on_cert: &mut dyn FnMut(&CertRead),
    ) -> ReadOutcome;

    /// The readers holding a card now.
    fn readers_with_card(&self) -> Result<Vec<String>, CardError>;
}

/// Cards through pcscd, with a fresh PC/SC context per call (an old one never recovers from a
/// pcscd restart).
#[derive(Clone, Copy, Debug, Default)]
pub struct PcscCards;

impl CardReader for PcscCards {
    fn read(
        &self,
        reader: &str,
        stop: &AtomicBool,
        on_cert: &mut dyn FnMut(&CertRead),
    ) -> ReadOutcome {
        let started = std::time::Instant::now();
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| crate::pcsc::transport::reader_error(e, reader))?;
        let connecting = std::time::Instant::now();
        crate::pcsc::transport::read_reader_until(&ctx, reader, stop, &mut |cert| {
            // Timing for bench/daemon.rs: PC/SC context, then connect → certificate parsed (card I/O).
            tracing::debug!(
                reader,
                establish_us = (connecting - started).as_micros() as u64,
                io_us = connecting.elapsed().as_micros() as u64,
                "certificate read"
            );
            on_cert(cert);
        })
    }

    fn readers_with_card(&self) -> Result<Vec<String>, CardError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)
            .map_err(|e| crate::pcsc::transport::reader_error(e, ""))?;
        crate::pcsc::transport::readers_with_card(&ctx)
    }
}

/// Names one read, so a late answer is recognised as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReadId(pub u64);

/// A read in progress, as the loop holds it.
#[derive(Debug)]
pub struct Reading {
    pub id: ReadId,
    stop: Arc<AtomicBool>,
}

impl Reading {
    /// Tell the read to give up at its next APDU; its answer will be dropped.
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What the read threads (and their timers) tell the loop.
#[derive(Debug)]
pub enum ReadEvent {
    /// The certificate is known; the PIN counters follow.
    Cert {
        reader: String,
        id: ReadId,
        cert: CertRead,
    },
    /// The read ended (or passed its deadline, as `NoAnswer`).
    Done {
        reader: String,
        id: ReadId,
        outcome: ReadOutcome,
    },
    /// Time to try the card in `reader` again, if it is still the same insertion (`generation`).
    Retry { reader: String, generation: u64 },
    /// The answer to a Refresh's "which readers hold a card?".
    Listed {
        refresh: u64,
        readers: Result<Vec<String>, CardError>,
    },
}

/// Start reading `reader` beside the loop; the events go to `events`. After `deadline` the read is
/// reported as `NoAnswer` and told to stop.
pub fn spawn_read(
    cards: &Arc<dyn CardReader>,
    reader: String,
    id: ReadId,
    deadline: Duration,
    events: &mpsc::UnboundedSender<ReadEvent>,
) -> Reading {
    let stop = Arc::new(AtomicBool::new(false));
    let job = tokio::task::spawn_blocking({
        let (cards, reader, stop, events) =
            (cards.clone(), reader.clone(), stop.clone(), events.clone());
        move || {
            cards.read(&reader, &stop, &mut |cert| {
                let _ = events.send(ReadEvent::Cert {
                    reader: reader.clone(),
                    id,
                    cert: cert.clone(),
                });
            })
        }
    });
    let events = events.clone();
    let stop_on_deadline = stop.clone();
    tokio::spawn(async move {
        let outcome = match tokio::time::timeout(deadline, job).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(e)) => {
                tracing::error!(reader = %reader, error = %e, "the card reading thread failed");
                Err(CardError::Transport(TransportError::Reader(
                    "the card reading thread failed".into(),
                )))
            }
            Err(_) => {
                tracing::warn!(reader = %reader, ?deadline, "the card did not answer in time; giving up on this read");
                stop_on_deadline.store(true, Ordering::Relaxed);
                Err(CardError::Transport(TransportError::NoAnswer))
            }
        };
        let _ = events.send(ReadEvent::Done {
            reader,
            id,
            outcome,
        });
    });
    Reading { id, stop }
}

/// Ask which readers hold a card, beside the loop, within `deadline`.
pub fn spawn_list(
    cards: &Arc<dyn CardReader>,
    refresh: u64,
    deadline: Duration,
    events: &mpsc::UnboundedSender<ReadEvent>,
) {
    let job = tokio::task::spawn_blocking({
        let cards = cards.clone();
        move || cards.readers_with_card()
    });
    let events = events.clone();
    tokio::spawn(async move {
        let readers = match tokio::time::timeout(deadline, job).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) | Err(_) => Err(CardError::Transport(TransportError::NoAnswer)),
        };
        let _ = events.send(ReadEvent::Listed { refresh, readers });
    });
}

/// Tries of one insertion before the daemon stops retrying (about two minutes in all).
pub const MAX_ATTEMPTS: u32 = 8;

/// Wait before attempt `attempt + 1` (after `attempt` failures): 0.5 s doubling, at most 60 s.
pub fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1 << attempt.min(16));
    Duration::from_millis(ms.min(60_000))
}

/// Send `Retry` for this insertion after `delay`.
pub fn spawn_retry(
    reader: String,
    generation: u64,
    delay: Duration,
    events: &mpsc::UnboundedSender<ReadEvent>,
) {
    let events = events.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = events.send(ReadEvent::Retry { reader, generation });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(6), Duration::from_secs(32));
        assert_eq!(backoff(7), Duration::from_secs(60));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(60));
        let total: Duration = (0..MAX_ATTEMPTS - 1).map(backoff).sum();
        assert!(total < Duration::from_secs(180), "{total:?}");
    }
}
