//! The reminder clock: tells the daemon loop the Japan date at start (to catch up once after downtime)
//! and again every time it changes. It never sleeps past the next Japan midnight and naps at most
//! [`MAX_NAP`] at a time, re-reading the wall clock after each nap: tokio's timers run on the monotonic
//! clock, which stops during suspend and ignores wall-clock jumps, so a single long sleep would miss both.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::rules::{jst, jst_date};

/// Longest single sleep. After a suspend or a clock jump the date is re-checked within this time;
/// 48 wake-ups a day cost nothing and keep the daemon silent in between.
pub const MAX_NAP: Duration = Duration::from_secs(30 * 60);

/// Where the time comes from: the wall clock for dates, a timer for naps. Injected so tests can
/// time-travel without real sleeps.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// The real clock: `Utc::now()` and tokio timers.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock stuck at noon (Japan time) of one day: the daemon's hidden `--today` for tests.
#[derive(Clone, Copy, Debug)]
pub struct FixedDay(pub NaiveDate);

impl Clock for FixedDay {
    fn now(&self) -> DateTime<Utc> {
        let noon = self.0.and_hms_opt(12, 0, 0).expect("noon exists");
        noon.and_local_timezone(jst())
            .single()
            .expect("JST has no gaps")
            .with_timezone(&Utc)
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A clock whose Japan date is read from a file at every look (noon of that day), and which naps at
/// most [`FILE_DAY_NAP`]: the daemon's hidden `--today-file` for tests that move the date while it
/// runs (a clock jumped forward or back). An unreadable or malformed file keeps the last good day.
#[derive(Debug)]
pub struct FileDay {
    path: std::path::PathBuf,
    last: std::sync::Mutex<NaiveDate>,
}

/// How often a [`FileDay`] clock looks at its file.
pub const FILE_DAY_NAP: Duration = Duration::from_millis(100);

impl FileDay {
    /// Read the day from `path` now; an error if it does not hold a `YYYY-MM-DD` date.
    pub fn new(path: std::path::PathBuf) -> Result<Self, String> {
        let day = read_day(&path)?;
        Ok(FileDay {
            path,
            last: std::sync::Mutex::new(day),
        })
    }
}

fn read_day(path: &std::path::Path) -> Result<NaiveDate, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.trim()
        .parse()
        .map_err(|e| format!("{}: not a YYYY-MM-DD date: {e}", path.display()))
}

impl Clock for FileDay {
    fn now(&self) -> DateTime<Utc> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match read_day(&self.path) {
            Ok(day) => *last = day,
            Err(e) => tracing::warn!(error = %e, "--today-file unreadable; keeping the last day"),
        }
        FixedDay(*last).now()
    }
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(tokio::time::sleep(d.min(FILE_DAY_NAP)))
    }
}

/// The first instant after `now` at which the Japan date changes (00:00 JST = 15:00 UTC); `None`
/// on the last day chrono can represent (a clock set absurdly far ahead).
pub fn next_jst_midnight(now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tomorrow = jst_date(now).succ_opt()?;
    tomorrow
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(jst())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// How long to sleep at `now`: until the next Japan midnight, but never more than [`MAX_NAP`].
pub fn nap(now: DateTime<Utc>) -> Duration {
    let Some(midnight) = next_jst_midnight(now) else {
        return MAX_NAP;
    };
    let until = midnight - now;
    // A nap of zero would spin; the boundary is at most a millisecond away then.
    let until = until
        .max(TimeDelta::milliseconds(1))
        .to_std()
        .unwrap_or(Duration::from_millis(1));
    until.min(MAX_NAP)
}

/// Send today's Japan date now, then each time it differs from the last one sent (midnight, resume
/// after suspend, a clock set forward or back). Returns when `shutdown` fires or the receiver is gone.
pub async fn run(
    clock: Arc<dyn Clock>,
    days: mpsc::Sender<NaiveDate>,
    shutdown: CancellationToken,
) {
    let mut last: Option<NaiveDate> = None;
    loop {
        let now = clock.now();
        let today = jst_date(now);
        if last != Some(today) {
            if let Some(prev) = last {
                // The step only: a date here would be a milestone's date on a reminder day.
                tracing::debug!(days = (today - prev).num_days(), "Japan date changed");
            }
            if days.send(today).await.is_err() {
                return;
            }
            last = Some(today);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = clock.sleep(nap(now)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn jst_at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, s)
            .unwrap()
            .and_local_timezone(jst())
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Wall clock = start + virtual monotonic time elapsed (tokio paused time) + injected jumps.
    struct TravelClock {
        start_wall: DateTime<Utc>,
        start: tokio::time::Instant,
        jump: Mutex<TimeDelta>,
    }

    impl TravelClock {
        fn new(start_wall: DateTime<Utc>) -> Arc<Self> {
            Arc::new(TravelClock {
                start_wall,
                start: tokio::time::Instant::now(),
                jump: Mutex::new(TimeDelta::zero()),
            })
        }
        /// Suspend/resume or `date -s`: the wall clock moves, the monotonic clock does not.
        fn jump(&self, by: TimeDelta) {
            *self.jump.lock().unwrap() += by;
        }
    }

    impl Clock for TravelClock {
        fn now(&self) -> DateTime<Utc> {
            let elapsed = TimeDelta::from_std(self.start.elapsed()).unwrap();
            self.start_wall + elapsed + *self.jump.lock().unwrap()
        }
        fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
            Box::pin(tokio::time::sleep(d))
        }
    }

    fn start(clock: Arc<TravelClock>) -> (mpsc::Receiver<NaiveDate>, CancellationToken) {
        let (tx, rx) = mpsc::channel(4);
        let stop = CancellationToken::new();
        tokio::spawn(run(clock, tx, stop.clone()));
        (rx, stop)
    }

    #[test]
    fn naps_end_at_japan_midnight_and_are_bounded() {
        assert_eq!(
            next_jst_midnight(jst_at(2026, 3, 1, 10, 0, 0)),
            Some(jst_at(2026, 3, 2, 0, 0, 0))
        );
        // 00:00 JST is 15:00 UTC the day before.
        assert_eq!(
            next_jst_midnight(jst_at(2026, 3, 1, 10, 0, 0))
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T15:00:00+00:00"
        );
        assert_eq!(nap(jst_at(2026, 3, 1, 23, 59, 59)), Duration::from_secs(1));
        assert_eq!(nap(jst_at(2026, 3, 1, 0, 0, 0)), MAX_NAP);
        assert_eq!(
            nap(jst_at(2026, 12, 31, 23, 45, 0)),
            Duration::from_secs(15 * 60)
        );
    }

    /// `daemon --today=+262142-12-31` (chrono's last day) used to panic the scheduler task.
    #[tokio::test(start_paused = true)]
    async fn the_last_representable_day_does_not_panic_the_scheduler() {
        let last = NaiveDate::MAX;
        assert_eq!(next_jst_midnight(super::FixedDay(last).now()), None);
        assert_eq!(nap(super::FixedDay(last).now()), MAX_NAP);
        let (tx, mut rx) = mpsc::channel(4);
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(Arc::new(super::FixedDay(last)), tx, stop.clone()));
        assert_eq!(rx.recv().await, Some(last));
        tokio::time::sleep(MAX_NAP * 3).await;
        assert!(!task.is_finished(), "the scheduler ended");
        stop.cancel();
        task.await.expect("no panic");
    }

    #[tokio::test(start_paused = true)]
    async fn sends_today_at_once_then_each_new_day_at_midnight() {
        let clock = TravelClock::new(jst_at(2026, 3, 1, 10, 0, 0));
        let (mut rx, stop) = start(clock.clone());
        assert_eq!(rx.recv().await, NaiveDate::from_ymd_opt(2026, 3, 1));
        let mut day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        for _ in 0..40 {
            day = day.succ_opt().unwrap();
            let got = rx.recv().await.unwrap();
            let at = clock.now();
            assert_eq!(got, day);
            let midnight =
                jst_at(2026, 1, 1, 0, 0, 0) + (day - NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
            assert!(
                at >= midnight && at - midnight < TimeDelta::seconds(1),
                "{day} announced at {at}, midnight is {midnight}"
            );
        }
        stop.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_suspend_or_clock_jump_is_noticed_within_one_nap() {
        let clock = TravelClock::new(jst_at(2026, 3, 1, 10, 0, 0));
        let (mut rx, stop) = start(clock.clone());
        assert_eq!(rx.recv().await, NaiveDate::from_ymd_opt(2026, 3, 1));
        let before = tokio::time::Instant::now();
        // Suspended for three days and five hours: the monotonic clock did not move.
        clock.jump(TimeDelta::hours(3 * 24 + 5));
        assert_eq!(rx.recv().await, NaiveDate::from_ymd_opt(2026, 3, 4));
        assert!(
            before.elapsed() <= MAX_NAP,
            "noticed after {:?}",
            before.elapsed()
        );
        // Clock set back by two days: the daemon hears about the earlier date too (it decides).
        let before = tokio::time::Instant::now();
        clock.jump(-TimeDelta::days(2));
        assert_eq!(rx.recv().await, NaiveDate::from_ymd_opt(2026, 3, 2));
        assert!(before.elapsed() <= MAX_NAP);
        stop.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_shutdown_and_when_the_receiver_is_gone() {
        let clock = TravelClock::new(jst_at(2026, 3, 1, 10, 0, 0));
        let (tx, mut rx) = mpsc::channel(4);
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(clock.clone(), tx, stop.clone()));
        rx.recv().await.unwrap();
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("stopped")
            .unwrap();

        let (tx, rx) = mpsc::channel(4);
        drop(rx);
        let task = tokio::spawn(run(clock, tx, CancellationToken::new()));
        tokio::time::timeout(Duration::from_secs(1), task)
            .await
            .expect("stopped")
            .unwrap();
    }

    #[test]
    fn file_day_follows_its_file_and_keeps_the_last_good_day() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("today");
        std::fs::write(&path, "2026-03-01\n").unwrap();
        let clock = FileDay::new(path.clone()).unwrap();
        assert_eq!(
            jst_date(clock.now()),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        std::fs::write(&path, "2027-03-01").unwrap();
        assert_eq!(
            jst_date(clock.now()),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(
            jst_date(clock.now()),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
        );
        assert!(FileDay::new(dir.path().join("missing")).is_err());
    }

    #[test]
    fn fixed_day_is_noon_in_japan() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        assert_eq!(jst_date(FixedDay(d).now()), d);
    }
}
