//! Card reads run beside the daemon's loop, through real pcscd + vpcd and the virtual card's
//! `slow=` fault: the D-Bus API answers while a slow read runs, SIGTERM mid-read exits cleanly with
//! the state saved, and a card that cannot be read is visible in `ReaderStates`. The latency and
//! shutdown numbers themselves are measured by bench/daemon.sh, not bounded tightly here.

mod support;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use support::bus::PrivateBus;
use support::daemon::{
    busctl, property, seeded_daemon, seeded_path, DaemonProc, CARD, MANAGER, NAME, ROOT,
};
use support::pcscd::{SimCard, SLOT0, SLOT1};
use support::wait_for;

/// Per-APDU delay of the slow card: a whole read takes several seconds.
const SLOW: &str = "slow=600";

fn reader_states(bus: &PrivateBus) -> String {
    property(bus, ROOT, MANAGER, "ReaderStates")
}

fn wait_state(bus: &PrivateBus, reader: &str, state: &str, timeout: Duration) {
    let needle = format!("\"{reader}\" \"{state}\"");
    wait_for(timeout, &format!("{reader} {state}"), || {
        reader_states(bus).contains(&needle).then_some(())
    });
}

fn set_label(bus: &PrivateBus, label: &str) -> (bool, Duration) {
    let started = Instant::now();
    let (ok, _, err) = busctl(
        bus,
        &["call", NAME, &seeded_path(), CARD, "SetLabel", "s", label],
    );
    assert!(ok, "SetLabel: {err}");
    (ok, started.elapsed())
}

/// These tests share the namespace's pcscd and its virtual readers; a read still running in one
/// (a slow or held card) delays the others' cards, so they take turns. A turn also holds the vpcd
/// slots ([`support::pcscd::e2e`]), released first.
struct Turn {
    _slots: MutexGuard<'static, ()>,
    _turn: MutexGuard<'static, ()>,
}

/// How each test begins: its [`Turn`], then a private bus of its own.
fn begin() -> (Turn, PrivateBus) {
    static TURN: Mutex<()> = Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _slots = support::pcscd::e2e();
    (Turn { _slots, _turn }, PrivateBus::start())
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn the_api_answers_while_a_slow_card_is_read() {
    let (_turn, bus) = begin();
    let (_dir, mut d) = seeded_daemon(&bus);
    let sim = SimCard::start(
        SLOT1,
        &["--expires", "2031-06-20", "--serial", "41", "--fault", SLOW],
    );
    let reader = sim.reader().to_string();
    wait_state(&bus, &reader, "reading", Duration::from_secs(10));

    // Another card's setter, during the read (it took the whole read, 21 s, when reads ran inline).
    let (_, took) = set_label(&bus, "during-the-read");
    assert!(took < Duration::from_secs(1), "SetLabel took {took:?}");
    assert_eq!(
        property(&bus, &seeded_path(), CARD, "Label"),
        "s \"during-the-read\""
    );
    assert!(
        reader_states(&bus).contains(&format!("\"{reader}\" \"reading\"")),
        "the read should still be running: {}",
        reader_states(&bus)
    );

    // And the read itself completes and is published.
    wait_state(&bus, &reader, "read", Duration::from_secs(30));
    assert!(
        busctl(&bus, &["tree", "--list", NAME])
            .1
            .lines()
            .filter(|l| l.starts_with(&format!("{ROOT}/cards/")))
            .count()
            == 2
    );
    assert_eq!(sim.remove(), Some(0));
    wait_state(&bus, &reader, "empty", Duration::from_secs(10));
    assert_eq!(d.stop().code(), Some(0));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn sigterm_during_a_read_exits_cleanly_and_keeps_the_state() {
    let (_turn, bus) = begin();
    let (dir, mut d) = seeded_daemon(&bus);
    // A very slow card: the read would take about a minute.
    let sim = SimCard::start(SLOT0, &["--expires", "2031-06-20", "--fault", "slow=4000"]);
    wait_state(&bus, sim.reader(), "reading", Duration::from_secs(10));
    set_label(&bus, "saved-before-sigterm");

    let started = Instant::now();
    let status = d.stop();
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0), "{}", d.log());
    // Generous: the bench measures it (it was 21 s with reads inline in the loop).
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(state.contains("saved-before-sigterm"), "{state}");
    assert!(!bus.has_name(NAME));
    // The killed daemon's last command is still with the slow card: let it answer before the card
    // is pulled (support::pcscd::card_idle says why), or the next test's card is never seen.
    wait_for(
        Duration::from_secs(30),
        "the card to answer the last command",
        || support::pcscd::card_idle(sim.reader()).then_some(()),
    );
    drop(sim);
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn a_card_held_by_another_program_is_shown_and_read_once_released() {
    let (_turn, bus) = begin();
    let dir = tempfile::tempdir().unwrap();
    let sim = SimCard::start(SLOT0, &["--expires", "2031-06-20", "--serial", "42"]);
    // Another program (think: the マイナポータル app) holds the card exclusively.
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = std::ffi::CString::new(sim.reader()).unwrap();
    let held = ctx
        .connect(&name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .expect("exclusive connect");
    let mut d = DaemonProc::quiet(&bus, dir.path(), "2026-03-01");
    wait_for(Duration::from_secs(10), "retrying in-use", || {
        reader_states(&bus)
            .contains(&format!("\"{}\" \"retrying\" \"in-use\"", sim.reader()))
            .then_some(())
    });
    drop(held);
    // Retried with backoff while the card stays: read without re-inserting it.
    wait_state(&bus, sim.reader(), "read", Duration::from_secs(20));
    assert_eq!(sim.remove(), Some(0));
    assert_eq!(d.stop().code(), Some(0));
}

#[ignore = "e2e: run by scripts/test.sh"]
#[test]
fn cards_that_are_not_my_number_cards_get_a_reader_state() {
    let (_turn, bus) = begin();
    let dir = tempfile::tempdir().unwrap();
    let mut d = DaemonProc::quiet(&bus, dir.path(), "2026-03-01");
    for (args, reason) in [
        (&["--label", "JPKIAPICCTOKEN"][..], "juki-card"),
        (&["--label", "JPKIAPGPSETOKEN"][..], "smartphone"),
        (&["--fault", "no-applet"][..], "no-jpki-applet"),
        (&["--fault", "garbage-cert"][..], "bad-certificate"),
    ] {
        let mut all = vec!["--expires", "2031-06-20"];
        all.extend_from_slice(args);
        let sim = SimCard::start(SLOT0, &all);
        wait_for(Duration::from_secs(10), reason, || {
            reader_states(&bus)
                .contains(&format!(
                    "\"{}\" \"not-a-my-number-card\" \"{reason}\"",
                    sim.reader()
                ))
                .then_some(())
        });
        assert_eq!(sim.remove(), Some(0));
        wait_state(
            &bus,
            &support::pcscd::reader_name(SLOT0),
            "empty",
            Duration::from_secs(10),
        );
    }
    assert_eq!(d.stop().code(), Some(0));
}
