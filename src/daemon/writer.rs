//! The state writer: one task owns the [`Store`] and writes snapshots on a blocking thread (two fsyncs
//! each), so the loop never waits on the disk unless it has to. Snapshots that queue up while a
//! write runs are coalesced: only the newest is written, and everyone waiting on any of them gets
//! that write's result. One writer also means writes land in the order the loop made them.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{State, Store, StoreError};

type Done = oneshot::Sender<Result<(), Arc<StoreError>>>;

struct Job {
    state: State,
    done: Option<Done>,
}

/// Handle to the writer task.
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
    task: JoinHandle<()>,
}

impl Writer {
    pub fn spawn(store: Store) -> Writer {
        let (jobs, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(Arc::new(store), rx));
        Writer { jobs, task }
    }

    /// Write `state` soon; failures are logged (the next write carries the change again).
    pub fn save_later(&self, state: State) {
        let _ = self.jobs.send(Job { state, done: None });
    }

    /// Write `state` and wait until it is on disk (or failed).
    pub async fn save_now(&self, state: State) -> Result<(), Arc<StoreError>> {
        let (tx, rx) = oneshot::channel();
        let gone = || {
            Arc::new(StoreError::Write {
                path: "state.json".into(),
                source: std::io::Error::other("the state writer stopped"),
            })
        };
        self.jobs
            .send(Job {
                state,
                done: Some(tx),
            })
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Finish the queued writes and stop.
    pub async fn close(self) {
        drop(self.jobs);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the state writer failed");
        }
    }
}

async fn run(store: Arc<Store>, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut state = first.state;
        let mut waiting: Vec<Done> = first.done.into_iter().collect();
        let mut coalesced = 0u32;
        while let Ok(next) = jobs.try_recv() {
            state = next.state;
            waiting.extend(next.done);
            coalesced += 1;
        }
        let s = Arc::clone(&store);
        let started = std::time::Instant::now();
        let result = match tokio::task::spawn_blocking(move || s.save(&state)).await {
            Ok(r) => r.map_err(Arc::new),
            Err(e) => Err(Arc::new(StoreError::Write {
                path: store.state_path(),
                source: std::io::Error::other(format!("the writing thread failed: {e}")),
            })),
        };
        // The write's own time (fsyncs included), for tests/dbus_hostile.rs' flood bound.
        let write_us = started.elapsed().as_micros() as u64;
        tracing::debug!(coalesced, ok = result.is_ok(), write_us, "state written");
        if let Err(e) = &result {
            if waiting.is_empty() {
                tracing::error!(error = %e, "cannot save the state; keeping it in memory");
            }
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queued_snapshots_are_coalesced_and_the_newest_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let path = store.state_path();
        let writer = Writer::spawn(store);
        let mut state = State::default();
        for n in 0..50u8 {
            let key = crate::card::CardIdentity::new(b"i", &[n]).key(b"s");
            state.cards.insert(
                key,
                crate::store::CardRecord::new(crate::rules::TokenKind::MyNumberCard),
            );
            writer.save_later(state.clone());
        }
        writer.save_now(state.clone()).await.unwrap();
        writer.close().await;
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text.matches("my-number-card").count(), 50);
    }
}
