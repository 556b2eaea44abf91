//! The reader monitor: one named thread blocks in `SCardGetStatusChange` (for [`LONG_WAIT`]) on every
//! reader plus the PnP pseudo-reader and turns what pcscd reports into [`ReaderEvent`]s on a tokio
//! channel. Idle means zero wake-ups; shutdown uses `SCardCancel`.
//!
//! pcscd may be absent at start, restarted or stopped: the monitor then says so once
//! ([`ReaderEvent::ServiceDown`] and one warning), drops its context and re-establishes one with
//! backoff (1 s doubling to 30 s), then reports the readers again.

use std::ffi::CString;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use pcsc::{Context, Error as PcscError, ReaderState, Scope, State, PNP_NOTIFICATION};
use tokio::sync::mpsc::{error::TrySendError, Sender};

/// What happened to the readers, in order of occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The whole reader list: sent on start (and after pcscd comes back) and whenever it changes.
    Readers(Vec<String>),
    /// A card is now in `reader` (also sent at start for cards already present).
    CardInserted { reader: String },
    /// The card left `reader`, or the reader itself was unplugged with a card in it.
    CardRemoved { reader: String },
    /// pcscd is not running or went away. `CardRemoved` was sent first for every card that was
    /// present. No readers are known until the next `Readers`; the monitor keeps retrying.
    ServiceDown,
}

/// First and longest wait between attempts to reach pcscd.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often `shutdown` repeats `SCardCancel`: a cancel only wakes a call already blocked, so one
/// that lands between two calls is lost and must be repeated.
const CANCEL_EVERY: Duration = Duration::from_millis(100);
/// How long one `SCardGetStatusChange` may block. Not INFINITE: libpcsclite turns an infinite wait
/// into a `poll` that wakes every 60 s to re-check pcscd, while a finite one is a single `poll` of
/// that length (winscard_clnt.c; seen with strace: 3 wake-ups a minute vs none). 0x7FFF_FFFF ms,
/// about 24.8 days, is the longest `poll(2)` takes; when it ends, the loop simply waits again.
pub const LONG_WAIT: Duration = Duration::from_millis(0x7FFF_FFFF);
/// Wait between retries while the event channel is full.
const FULL_RETRY: Duration = Duration::from_millis(50);

/// Handle to the monitor thread. Dropping it shuts the thread down too.
pub struct Monitor {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Start the monitor thread. Events go to `tx`; the thread ends when `tx`'s receiver is dropped
/// (noticed at the next event) or on [`Monitor::shutdown`].
pub fn spawn(tx: Sender<ReaderEvent>) -> io::Result<Monitor> {
    let shared = Arc::new(Shared {
        flags: Mutex::new(Flags::default()),
        wake: Condvar::new(),
        ctx: Mutex::new(None),
    });
    let thread = std::thread::Builder::new()
        .name("pcsc-monitor".into())
        .spawn({
            let shared = Arc::clone(&shared);
            move || {
                let _exit = ExitGuard(&shared);
                Runner {
                    shared: &shared,
                    tx,
                    down: false,
                    backoff: BACKOFF_FIRST,
                }
                .run();
            }
        })?;
    Ok(Monitor {
        shared,
        thread: Some(thread),
    })
}

impl Monitor {
    /// Stop the thread and wait for it (blocking; about 100 ms at most in practice). From async
    /// code call it through `tokio::task::spawn_blocking`.
    pub fn shutdown(mut self) {
        self.stop();
    }

    /// Has the thread ended (after `shutdown`, or because the event receiver was dropped)? The
    /// daemon learns it from the closed channel; this is for tests that watch the thread.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let mut flags = self.shared.flags();
        flags.stop = true;
        self.shared.wake.notify_all();
        while !flags.exited {
            drop(flags);
            let ctx = lock(&self.shared.ctx).clone();
            if let Some(ctx) = ctx {
                // Err = nothing was blocked or the context is dead: the loop re-checks `exited`.
                let _ = ctx.cancel();
            }
            flags = self.shared.flags();
            flags = self
                .shared
                .wake
                .wait_timeout_while(flags, CANCEL_EVERY, |f| !f.exited)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(flags);
        if thread.join().is_err() {
            tracing::error!("the reader monitor thread panicked");
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Default)]
struct Flags {
    stop: bool,
    exited: bool,
}

struct Shared {
    flags: Mutex<Flags>,
    /// Signals both `stop` (to the thread's backoff sleep) and `exited` (to `shutdown`).
    wake: Condvar,
    /// The thread's current context, so `shutdown` can cancel a blocked call.
    ctx: Mutex<Option<Context>>,
}

impl Shared {
    fn flags(&self) -> MutexGuard<'_, Flags> {
        lock(&self.flags)
    }

    fn stopped(&self) -> bool {
        self.flags().stop
    }

    /// Sleep up to `d`; false if told to stop (at once, not after `d`).
    fn sleep(&self, d: Duration) -> bool {
        let flags = self
            .wake
            .wait_timeout_while(self.flags(), d, |f| !f.stop)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        !flags.stop
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Marks the thread as exited however it ends (even by panic), so `shutdown` never waits forever.
struct ExitGuard<'a>(&'a Shared);

impl Drop for ExitGuard<'_> {
    fn drop(&mut self) {
        *lock(&self.0.ctx) = None;
        self.0.flags().exited = true;
        self.0.wake.notify_all();
    }
}

/// Why one context's watch ended.
enum End {
    /// Shutdown requested or nobody listens any more.
    Stop,
    /// The context is unusable (pcscd gone, restarted, …).
    Lost(PcscError),
}

/// What the monitor knows about one reader (parallel to its `ReaderState`).
struct Reader {
    name: String,
    present: bool,
    /// pcsc-lite's per-reader insert/remove counter, once known.
    events: Option<u32>,
}

struct Runner<'a> {
    shared: &'a Shared,
    tx: Sender<ReaderEvent>,
    /// `ServiceDown` already sent for the current outage.
    down: bool,
    backoff: Duration,
}

impl Runner<'_> {
    fn run(&mut self) {
        loop {
            if self.shared.stopped() {
                return;
            }
            let err = match Context::establish(Scope::User) {
                Ok(ctx) => {
                    *lock(&self.shared.ctx) = Some(ctx.clone());
                    let end = self.watch(&ctx);
                    *lock(&self.shared.ctx) = None;
                    match end {
                        End::Stop => return,
                        End::Lost(err) => err,
                    }
                }
                Err(err) => err,
            };
            if !self.service_down(err) || !self.shared.sleep(self.backoff) {
                return;
            }
            self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Report an outage once; false if the receiver is gone.
    fn service_down(&mut self, err: PcscError) -> bool {
        if self.down {
            tracing::debug!(error = %err, retry_in = ?self.backoff, "pcscd still unavailable");
            return true;
        }
        self.down = true;
        tracing::warn!(
            error = %err,
            "cannot reach pcscd (not running or restarted); retrying with backoff"
        );
        self.send(ReaderEvent::ServiceDown)
    }

    /// Follow readers and cards on `ctx` until it fails or the monitor stops.
    fn watch(&mut self, ctx: &Context) -> End {
        // states[0] is the PnP pseudo-reader; states[i + 1] belongs to readers[i].
        let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
        let mut readers: Vec<Reader> = Vec::new();
        let mut reported: Option<Vec<String>> = None;
        loop {
            let names = match ctx.list_readers_owned() {
                Ok(names) => names,
                Err(err) => return self.lost(err, &readers),
            };
            if self.down {
                tracing::info!("connected to pcscd");
                self.down = false;
            }
            self.backoff = BACKOFF_FIRST;
            let names: Vec<(String, CString)> = names
                .into_iter()
                .map(|c| (c.to_string_lossy().into_owned(), c))
                .collect();

            // Forget readers that are gone; a card in one is removed with it.
            let mut i = 0;
            while i < readers.len() {
                if names.iter().any(|(n, _)| *n == readers[i].name) {
                    i += 1;
                    continue;
                }
                let gone = readers.remove(i);
                states.remove(i + 1);
                tracing::debug!(reader = %gone.name, "reader unplugged");
                if gone.present && !self.send(ReaderEvent::CardRemoved { reader: gone.name }) {
                    return End::Stop;
                }
            }
            for (name, cname) in &names {
                if !readers.iter().any(|r| r.name == *name) {
                    tracing::debug!(reader = %name, "reader found");
                    states.push(ReaderState::new(cname.clone(), State::UNAWARE));
                    readers.push(Reader {
                        name: name.clone(),
                        present: false,
                        events: None,
                    });
                }
            }
            let list: Vec<String> = names.into_iter().map(|(n, _)| n).collect();
            if reported.as_ref() != Some(&list) {
                if !self.send(ReaderEvent::Readers(list.clone())) {
                    return End::Stop;
                }
                reported = Some(list);
            }

            for s in &mut states {
                s.sync_current_state();
            }
            if self.shared.stopped() {
                return End::Stop;
            }
            match ctx.get_status_change(LONG_WAIT, &mut states) {
                Ok(()) => {}
                // Shutdown (or a re-scan request): the flag says which.
                Err(PcscError::Cancelled) if self.shared.stopped() => return End::Stop,
                Err(PcscError::Cancelled | PcscError::Timeout) => continue,
                Err(err) => return self.lost(err, &readers),
            }

            for (state, reader) in states[1..].iter().zip(readers.iter_mut()) {
                for ev in card_events(state.event_state(), state.event_count(), reader) {
                    if !self.send(ev) {
                        return End::Stop;
                    }
                }
            }
        }
    }

    /// The context failed: every card is gone with it.
    fn lost(&mut self, err: PcscError, readers: &[Reader]) -> End {
        for r in readers.iter().filter(|r| r.present) {
            if !self.send(ReaderEvent::CardRemoved {
                reader: r.name.clone(),
            }) {
                return End::Stop;
            }
        }
        End::Lost(err)
    }

    /// Deliver `ev`; false if the receiver is gone or shutdown was requested while the channel was full.
    fn send(&self, mut ev: ReaderEvent) -> bool {
        loop {
            match self.tx.try_send(ev) {
                Ok(()) => return true,
                Err(TrySendError::Closed(_)) => {
                    tracing::debug!("reader event receiver dropped; monitor exits");
                    return false;
                }
                // Not `blocking_send`: a full channel must not keep `shutdown` waiting forever.
                Err(TrySendError::Full(back)) => {
                    ev = back;
                    if !self.shared.sleep(FULL_RETRY) {
                        return false;
                    }
                }
            }
        }
    }
}

/// Card events for one reader from the event state and insert/remove counter that
/// `get_status_change` reported; updates `reader`.
fn card_events(ev: State, count: u32, reader: &mut Reader) -> Vec<ReaderEvent> {
    if !ev.contains(State::CHANGED) {
        return Vec::new();
    }
    // UNKNOWN/IGNORE: the reader vanished; the next list drops it. Count its card as gone now.
    let present = ev.contains(State::PRESENT) && !ev.intersects(State::UNKNOWN | State::IGNORE);
    // Same presence but a new insert/remove count: the card was swapped between two calls.
    let swapped = reader.events.is_some_and(|c| c != count);
    let name = || reader.name.clone();
    let events = match (reader.present, present) {
        (false, true) => vec![ReaderEvent::CardInserted { reader: name() }],
        (true, false) => vec![ReaderEvent::CardRemoved { reader: name() }],
        (true, true) if swapped => vec![
            ReaderEvent::CardRemoved { reader: name() },
            ReaderEvent::CardInserted { reader: name() },
        ],
        // Card in and out again between two calls: nothing to read any more.
        (true, true) | (false, false) => Vec::new(),
    };
    for e in &events {
        tracing::debug!(event = ?e, "card event");
    }
    reader.present = present;
    reader.events = Some(count);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Reader {
        Reader {
            name: "R".into(),
            present: false,
            events: None,
        }
    }

    fn ins() -> ReaderEvent {
        ReaderEvent::CardInserted { reader: "R".into() }
    }

    fn rem() -> ReaderEvent {
        ReaderEvent::CardRemoved { reader: "R".into() }
    }

    #[test]
    fn transitions_give_card_events() {
        let mut r = reader();
        // First report (from UNAWARE) with a card already in.
        assert_eq!(
            card_events(State::CHANGED | State::PRESENT, 3, &mut r),
            [ins()]
        );
        // Our own read toggles INUSE: no event.
        let inuse = State::CHANGED | State::PRESENT | State::INUSE;
        assert_eq!(card_events(inuse, 3, &mut r), []);
        assert_eq!(
            card_events(State::CHANGED | State::EMPTY, 4, &mut r),
            [rem()]
        );
        assert_eq!(
            card_events(State::CHANGED | State::PRESENT, 5, &mut r),
            [ins()]
        );
        // Not CHANGED: nothing, whatever the bits say.
        assert_eq!(card_events(State::EMPTY, 6, &mut r), []);
        assert!(r.present);
    }

    #[test]
    fn swap_between_calls_is_seen_by_the_counter() {
        let mut r = reader();
        card_events(State::CHANGED | State::PRESENT, 1, &mut r);
        // Pulled and another card put in before the next call: still PRESENT, count +2.
        assert_eq!(
            card_events(State::CHANGED | State::PRESENT, 3, &mut r),
            [rem(), ins()]
        );
        // In and out again between calls while empty: nothing left to read.
        let mut e = reader();
        card_events(State::CHANGED | State::EMPTY, 1, &mut e);
        assert_eq!(card_events(State::CHANGED | State::EMPTY, 3, &mut e), []);
    }

    #[test]
    fn vanished_reader_drops_its_card() {
        let mut r = reader();
        card_events(State::CHANGED | State::PRESENT, 1, &mut r);
        let gone = State::CHANGED | State::UNKNOWN | State::PRESENT;
        assert_eq!(card_events(gone, 1, &mut r), [rem()]);
        assert!(!r.present);
    }

    #[test]
    fn mute_card_still_counts_as_inserted() {
        let mut r = reader();
        let mute = State::CHANGED | State::PRESENT | State::MUTE;
        assert_eq!(card_events(mute, 1, &mut r), [ins()]);
    }

    /// No pcscd (the client library is pointed at a socket that does not exist, in a child test
    /// process because the variable is process-wide): one ServiceDown, quiet retries, prompt shutdown.
    #[test]
    fn no_pcscd_reports_once_and_shuts_down_during_backoff() {
        const NAME: &str =
            "pcsc::monitor::tests::no_pcscd_reports_once_and_shuts_down_during_backoff";
        if crate::test_util::rerun_in_child(
            NAME,
            &[("PCSCLITE_CSOCK_NAME", "/nonexistent/mynawatch/pcscd.comm")],
        ) {
            return;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(8);
        let monitor = spawn(tx).unwrap();
        rt.block_on(async {
            let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
            assert_eq!(first.unwrap(), Some(ReaderEvent::ServiceDown));
            // At least one retry happens in this window (after 1 s); it must stay quiet.
            let more = tokio::time::timeout(Duration::from_millis(1500), rx.recv()).await;
            assert!(more.is_err(), "unexpected event {more:?}");
        });
        let t = std::time::Instant::now();
        monitor.shutdown();
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        // The thread is gone and dropped its sender.
        assert_eq!(rt.block_on(rx.recv()), None);
    }
}
