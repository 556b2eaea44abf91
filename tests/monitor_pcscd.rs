//! The reader monitor against a real pcscd with the vpcd virtual readers (scripts/e2e-env.sh):
//! reader list, card insert/remove in two readers, prompt shutdown, receiver gone, pcscd restart.
//! Marked `#[ignore = "e2e: …"]`: run by scripts/test.sh (see tests/support/mod.rs).

mod support;

use std::time::{Duration, Instant};

use mynawatch::pcsc::monitor::{self, Monitor, ReaderEvent};
use support::pcscd::{PcscdControl, SimCard, SLOT0, SLOT1};
use tokio::sync::mpsc::{self, Receiver};

const READER0: &str = "Virtual PCD 00 00";
const READER1: &str = "Virtual PCD 00 01";
/// Generous: pcscd polls vpcd, which takes up to ~0.5 s per change.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// The vpcd slots (and pcscd itself) are shared by every test in this binary. An async mutex:
/// each test holds it across awaits (and a panicking test must not poison it for the others).
static SLOTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Fail unless inside scripts/e2e-env.sh, then take the slots.
async fn e2e() -> tokio::sync::MutexGuard<'static, ()> {
    support::pcscd::require();
    SLOTS.lock().await
}

/// The product's virtual card (`mynawatch sim-card`) in the slot of vpcd `port`, once pcscd sees
/// it. The monitor only watches the slots: which card it is does not matter here.
fn insert(port: u16) -> SimCard {
    tokio::task::block_in_place(|| SimCard::start(port, &["--expires", "2031-06-20"]))
}

/// Pull `card` out and wait until pcscd sees the slot empty.
fn remove(card: SimCard) {
    tokio::task::block_in_place(|| {
        card.remove();
    });
}

/// The very next event, whatever it is (within [`EVENT_WAIT`]).
async fn next(rx: &mut Receiver<ReaderEvent>) -> ReaderEvent {
    tokio::time::timeout(EVENT_WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap()
}

/// Wait for the first event matching `want`, skipping others; panics with what was seen.
async fn expect(
    rx: &mut Receiver<ReaderEvent>,
    what: &str,
    want: impl Fn(&ReaderEvent) -> bool,
) -> ReaderEvent {
    let deadline = tokio::time::Instant::now() + EVENT_WAIT;
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if want(&ev) => return ev,
            Ok(Some(ev)) => seen.push(ev),
            Ok(None) => panic!("channel closed waiting for {what}; seen {seen:?}"),
            Err(_) => panic!("timed out waiting for {what}; seen {seen:?}"),
        }
    }
}

/// The event stream stays quiet for `d` (used only where absence is the point).
async fn quiet(rx: &mut Receiver<ReaderEvent>, d: Duration) {
    if let Ok(ev) = tokio::time::timeout(d, rx.recv()).await {
        panic!("unexpected event {ev:?}");
    }
}

fn inserted(reader: &'static str) -> impl Fn(&ReaderEvent) -> bool {
    move |e| matches!(e, ReaderEvent::CardInserted { reader: r } if r == reader)
}

fn removed(reader: &'static str) -> impl Fn(&ReaderEvent) -> bool {
    move |e| matches!(e, ReaderEvent::CardRemoved { reader: r } if r == reader)
}

fn both_readers(e: &ReaderEvent) -> bool {
    matches!(e, ReaderEvent::Readers(l) if l.iter().any(|r| r == READER0) && l.iter().any(|r| r == READER1))
}

fn start() -> (Monitor, Receiver<ReaderEvent>) {
    let (tx, rx) = mpsc::channel(32);
    (monitor::spawn(tx).expect("spawn monitor"), rx)
}

/// Stop `m` on a blocking thread (shutdown joins the monitor thread) and check it was prompt.
async fn shutdown_promptly(m: Monitor) {
    tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        m.shutdown();
        // A liveness check, not a benchmark: a lost cancel would hang here for ever.
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "shutdown took {:?}",
            t.elapsed()
        );
    })
    .await
    .unwrap();
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_cards_in_two_readers() {
    let _slots = e2e().await;
    let (m, mut rx) = start();
    // The very first event is the reader list, before any card event.
    let first = next(&mut rx).await;
    assert!(both_readers(&first), "{first:?}");

    let card0 = insert(SLOT0);
    expect(&mut rx, "insert into 00", inserted(READER0)).await;
    let card1 = insert(SLOT1);
    // Nothing happens to reader 00 meanwhile.
    let ev = expect(&mut rx, "insert into 01", |e| {
        !matches!(e, ReaderEvent::Readers(_))
    })
    .await;
    assert_eq!(
        ev,
        ReaderEvent::CardInserted {
            reader: READER1.into()
        }
    );

    remove(card0);
    let ev = expect(&mut rx, "removal from 00", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardRemoved {
            reader: READER0.into()
        }
    );
    remove(card1);
    let ev = expect(&mut rx, "removal from 01", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardRemoved {
            reader: READER1.into()
        }
    );

    // Idle: nothing more (and the thread is blocked, not polling).
    quiet(&mut rx, Duration::from_millis(500)).await;
    shutdown_promptly(m).await;
    // The thread dropped its sender.
    assert_eq!(rx.recv().await, None);
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_already_present_at_start_is_reported() {
    let _slots = e2e().await;
    let card = insert(SLOT0);
    {
        // Wait until pcscd itself has seen it.
        let (m, mut rx) = start();
        expect(&mut rx, "insert into 00", inserted(READER0)).await;
        shutdown_promptly(m).await;
    }
    let (m, mut rx) = start();
    let ev = next(&mut rx).await;
    assert!(both_readers(&ev), "{ev:?}");
    let ev = expect(&mut rx, "card present at start", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardInserted {
            reader: READER0.into()
        }
    );
    remove(card);
    expect(&mut rx, "removal from 00", removed(READER0)).await;
    shutdown_promptly(m).await;
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_right_after_spawn_is_prompt() {
    let _slots = e2e().await;
    // Several times: the stop may land before, during or after establishing the context.
    for _ in 0..5 {
        let (m, _rx) = start();
        shutdown_promptly(m).await;
    }
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_exits_when_the_receiver_is_dropped() {
    let _slots = e2e().await;
    let (m, mut rx) = start();
    expect(&mut rx, "reader list", both_readers).await;
    drop(rx);
    assert!(!m.is_finished());
    // The next event (this insertion) finds nobody listening.
    let card = insert(SLOT1);
    let deadline = Instant::now() + EVENT_WAIT;
    while !m.is_finished() {
        assert!(Instant::now() < deadline, "monitor thread still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    remove(card);
    shutdown_promptly(m).await;
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcscd_restart_gives_service_down_then_readers_again() {
    let _slots = e2e().await;
    let mut pcscd = PcscdControl::take();

    let (m, mut rx) = start();
    expect(&mut rx, "reader list", both_readers).await;
    let card = insert(SLOT0);
    expect(&mut rx, "insert into 00", inserted(READER0)).await;

    // Stop the environment's pcscd (SIGTERM, like systemd stopping it).
    tokio::task::block_in_place(|| pcscd.kill(libc::SIGTERM));
    // The card goes with it (exactly once), then the outage is reported. pcscd may or may not
    // get to drop its readers first (an empty `Readers`), so reader lists are not asserted here.
    let mut seen = Vec::new();
    loop {
        let ev = expect(&mut rx, "service down", |_| true).await;
        let done = ev == ReaderEvent::ServiceDown;
        if !matches!(ev, ReaderEvent::Readers(_)) {
            seen.push(ev);
        }
        if done {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            ReaderEvent::CardRemoved {
                reader: READER0.into()
            },
            ReaderEvent::ServiceDown
        ]
    );
    drop(card); // vpcd closed it already
                // While it is down, retries (after 1 s, 2 s, …) stay quiet.
    quiet(&mut rx, Duration::from_millis(1500)).await;

    // Start it again (socket activation would start it later too): the readers come back.
    tokio::task::block_in_place(|| pcscd.start());
    expect(&mut rx, "readers after restart", both_readers).await;
    let card = insert(SLOT1);
    expect(&mut rx, "insert into 01 after restart", inserted(READER1)).await;
    remove(card);
    expect(&mut rx, "removal from 01", removed(READER1)).await;

    // SIGKILL this time: the old context would return NoService for ever; a new one must be made.
    tokio::task::block_in_place(|| pcscd.kill(libc::SIGKILL));
    expect(&mut rx, "service down after SIGKILL", |e| {
        *e == ReaderEvent::ServiceDown
    })
    .await;
    // Later tests and test binaries need a pcscd: one that outlives this test.
    tokio::task::block_in_place(|| pcscd.leave_running());
    expect(&mut rx, "readers after the second restart", both_readers).await;
    shutdown_promptly(m).await;
}
