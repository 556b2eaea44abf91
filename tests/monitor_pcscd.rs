//! The reader monitor against a real pcscd with the vpcd virtual readers (scripts/e2e-env.sh):
//! reader list, card insert/remove in two readers, prompt shutdown, receiver gone, pcscd restart.
//! Marked `#[ignore = "e2e: …"]`: run by scripts/test.sh (see tests/support/mod.rs).

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mynawatch::pcsc::monitor::{self, Monitor, ReaderEvent};
use support::pcscd::PcscdControl;
use tokio::sync::mpsc::{self, Receiver};

const READER0: &str = "Virtual PCD 00 00";
const READER1: &str = "Virtual PCD 00 01";
const PORT0: u16 = 35963;
const PORT1: u16 = 35964;
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

/// A minimal vpcd card: connecting inserts it, `remove` (or drop) closes the socket.
struct Card {
    stream: TcpStream,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Card {
    fn insert(port: u16) -> Card {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to vpcd");
        stream.set_nodelay(true).unwrap();
        let mut rd = stream.try_clone().unwrap();
        let thread = std::thread::spawn(move || {
            const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];
            let mut wr = rd.try_clone().unwrap();
            loop {
                let mut len = [0u8; 2];
                if read_exact_quickack(&mut rd, &mut len).is_err() {
                    return; // closed: removed, or vpcd went away
                }
                let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
                if read_exact_quickack(&mut rd, &mut msg).is_err() {
                    return;
                }
                let reply: &[u8] = match msg.as_slice() {
                    [4] => &ATR,
                    [_] => continue, // power on/off/reset: no reply
                    _ => &[0x90, 0x00],
                };
                let mut frame = (reply.len() as u16).to_be_bytes().to_vec();
                frame.extend_from_slice(reply);
                if wr.write_all(&frame).is_err() {
                    return;
                }
            }
        });
        Card {
            stream,
            thread: Some(thread),
        }
    }

    fn remove(mut self) {
        self.close();
    }

    fn close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Card {
    fn drop(&mut self) {
        self.close();
    }
}

/// Linux clears TCP_QUICKACK after each ACK; re-arm it before every read (tcp(7), TCP_QUICKACK: "not permanent").
fn read_exact_quickack(s: &mut TcpStream, buf: &mut [u8]) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let one: libc::c_int = 1;
        // SAFETY: a valid socket fd and a pointer to a c_int of the given size.
        unsafe {
            libc::setsockopt(
                s.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
        match s.read(&mut buf[done..])? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
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

fn shutdown_promptly(m: Monitor) {
    let t = Instant::now();
    m.shutdown();
    // A liveness check, not a benchmark: a lost cancel would hang here for ever.
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        t.elapsed()
    );
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_and_cards_in_two_readers() {
    let _slots = e2e().await;
    let (m, mut rx) = start();
    // The very first event is the reader list, before any card event.
    let first = tokio::time::timeout(EVENT_WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(both_readers(&first), "{first:?}");

    let card0 = Card::insert(PORT0);
    expect(&mut rx, "insert into 00", inserted(READER0)).await;
    let card1 = Card::insert(PORT1);
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

    card0.remove();
    let ev = expect(&mut rx, "removal from 00", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardRemoved {
            reader: READER0.into()
        }
    );
    card1.remove();
    let ev = expect(&mut rx, "removal from 01", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardRemoved {
            reader: READER1.into()
        }
    );

    // Idle: nothing more (and the thread is blocked, not polling).
    quiet(&mut rx, Duration::from_millis(500)).await;
    tokio::task::spawn_blocking(move || shutdown_promptly(m))
        .await
        .unwrap();
    // The thread dropped its sender.
    assert_eq!(rx.recv().await, None);
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_already_present_at_start_is_reported() {
    let _slots = e2e().await;
    let card = Card::insert(PORT0);
    {
        // Wait until pcscd itself has seen it.
        let (m, mut rx) = start();
        expect(&mut rx, "insert into 00", inserted(READER0)).await;
        tokio::task::spawn_blocking(move || shutdown_promptly(m))
            .await
            .unwrap();
    }
    let (m, mut rx) = start();
    let ev = tokio::time::timeout(EVENT_WAIT, rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(both_readers(&ev), "{ev:?}");
    let ev = expect(&mut rx, "card present at start", |_| true).await;
    assert_eq!(
        ev,
        ReaderEvent::CardInserted {
            reader: READER0.into()
        }
    );
    card.remove();
    expect(&mut rx, "removal from 00", removed(READER0)).await;
    tokio::task::spawn_blocking(move || shutdown_promptly(m))
        .await
        .unwrap();
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_right_after_spawn_is_prompt() {
    let _slots = e2e().await;
    // Several times: the stop may land before, during or after establishing the context.
    for _ in 0..5 {
        let (m, _rx) = start();
        tokio::task::spawn_blocking(move || shutdown_promptly(m))
            .await
            .unwrap();
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
    let card = Card::insert(PORT1);
    let deadline = Instant::now() + EVENT_WAIT;
    while !m.is_finished() {
        assert!(Instant::now() < deadline, "monitor thread still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    card.remove();
    tokio::task::spawn_blocking(move || shutdown_promptly(m))
        .await
        .unwrap();
}

#[ignore = "e2e: run by scripts/test.sh"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcscd_restart_gives_service_down_then_readers_again() {
    let _slots = e2e().await;
    let mut pcscd = PcscdControl::take();

    let (m, mut rx) = start();
    expect(&mut rx, "reader list", both_readers).await;
    let card = Card::insert(PORT0);
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
    let card = Card::insert(PORT1);
    expect(&mut rx, "insert into 01 after restart", inserted(READER1)).await;
    card.remove();
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
    tokio::task::spawn_blocking(move || shutdown_promptly(m))
        .await
        .unwrap();
}
