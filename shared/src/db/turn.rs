//! SQLite's writer's turn: one writer at a time, taken before a connection.
//!
//! API writes wait a bounded time and then give up with 503, so a long job never leaves a
//! request hanging. Bulk jobs take the turn one batch at a time and step aside while an API
//! write is waiting, so single writes interleave with a long import.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::DbError;
use super::keyed_cache::{Counted, WriteCount};

#[derive(Default)]
struct State {
    busy: bool,
    /// API writers waiting: a bulk job does not take the next turn while any wait.
    urgent_waiting: usize,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    freed: Condvar,
}

/// The turn itself; cheap to clone.
#[derive(Clone, Default)]
pub struct WriteTurn {
    shared: Arc<Shared>,
}

/// Holding the turn; dropping it lets the next writer in.
pub struct TurnGuard {
    shared: Arc<Shared>,
}

impl WriteTurn {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a writer panicked while updating two fields.
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An API write: waits at most `wait`, then [`DbError::WriterBusy`].
    pub fn take_within(&self, wait: Duration) -> Result<TurnGuard, DbError> {
        let mut state = self.lock();
        state.urgent_waiting += 1;
        let (mut state, _) = self
            .shared
            .freed
            .wait_timeout_while(state, wait, |s| s.busy)
            .unwrap_or_else(|p| p.into_inner());
        state.urgent_waiting -= 1;
        if state.busy {
            return Err(DbError::WriterBusy(wait));
        }
        state.busy = true;
        Ok(self.guard())
    }

    /// One batch of a bulk job: waits until no API write is running or waiting.
    pub fn take_for_batch(&self) -> TurnGuard {
        let state = self.lock();
        let mut state = self
            .shared
            .freed
            .wait_while(state, |s| s.busy || s.urgent_waiting > 0)
            .unwrap_or_else(|p| p.into_inner());
        state.busy = true;
        self.guard()
    }

    fn guard(&self) -> TurnGuard {
        TurnGuard {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for TurnGuard {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        state.busy = false;
        drop(state);
        self.shared.freed.notify_all();
    }
}

/// What a bulk job is handed: the turn on SQLite, nothing to take on PostgreSQL, and the
/// count of writes that a batch adds to when it ends (for caches of what it may change).
#[derive(Clone)]
pub struct BatchTurn {
    pub(super) turn: Option<WriteTurn>,
    pub(super) writes: Option<WriteCount>,
}

/// One batch under way: hold it until the batch has committed or rolled back. Dropping it
/// counts the batch as a write, then lets the turn go (fields drop in order).
pub struct BatchGuard {
    _counted: Option<Counted>,
    _turn: Option<TurnGuard>,
}

impl BatchTurn {
    /// Takes the turn for one batch (or a final apply); on PostgreSQL there is none to take.
    pub fn take(&self) -> BatchGuard {
        BatchGuard {
            _turn: self.turn.as_ref().map(WriteTurn::take_for_batch),
            _counted: self.writes.as_ref().map(WriteCount::counted),
        }
    }

    /// A bulk job that needs no turn and counts no writes (tests, rehearsals).
    pub fn none() -> Self {
        Self {
            turn: None,
            writes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_writer_gives_up_after_its_wait_and_gets_in_once_the_batch_ends() {
        let turn = WriteTurn::default();
        let batch = turn.take_for_batch();
        assert!(matches!(
            turn.take_within(Duration::from_millis(20)),
            Err(DbError::WriterBusy(_))
        ));
        drop(batch);
        assert!(turn.take_within(Duration::from_millis(20)).is_ok());
    }

    #[test]
    fn a_bulk_job_steps_aside_for_a_waiting_api_writer() {
        let turn = WriteTurn::default();
        let first = turn.take_for_batch();
        let api = {
            let turn = turn.clone();
            std::thread::spawn(move || turn.take_within(Duration::from_secs(5)).map(|_| ()))
        };
        // Let the API writer start waiting, then end the batch and ask for the next one.
        while turn.lock().urgent_waiting == 0 {
            std::thread::yield_now();
        }
        drop(first);
        let _second = turn.take_for_batch();
        assert!(api.join().unwrap().is_ok(), "the API write went first");
    }
}
