//! The threads that run read work: as many as the pool has connections, fed from one queue.
//!
//! A keyed read used to take a fresh hop to the blocking pool (a thread woken per request),
//! then wait there for a pooled connection (another wake when one came back): under load
//! most of its CPU went to the kernel's wake-ups, not to the query. These threads take the
//! next job straight from the queue when they finish one, so a busy service wakes nobody but
//! the request that gets its answer. A job still queued when its caller's connection wait
//! runs out is abandoned and answered 503, as a request that waited for a connection was.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job: a new job wakes one only when some wait.
    idle: usize,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    arrived: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock guards a queue no job runs under: a poisoned one holds nothing half-done.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The queue and its threads; dropping it (with the last `Db` clone) lets the threads end.
pub struct Readers {
    shared: Arc<Shared>,
}

impl Readers {
    pub fn start(threads: u32) -> std::io::Result<Self> {
        Self::start_with(threads, |n, work| {
            std::thread::Builder::new()
                .name(format!("db-read-{n}"))
                .spawn(work)
        })
    }

    /// Starts the threads with `spawn`. When one cannot start, those already started are
    /// told the queue is closed and joined before the error returns: nothing is left
    /// waiting for work that will never come.
    fn start_with<F>(threads: u32, mut spawn: F) -> std::io::Result<Self>
    where
        F: FnMut(u32, Job) -> std::io::Result<JoinHandle<()>>,
    {
        let readers = Self {
            shared: Arc::default(),
        };
        let mut started = Vec::new();
        for n in 0..threads.max(1) {
            let shared = readers.shared.clone();
            match spawn(n, Box::new(move || serve(&shared))) {
                Ok(thread) => started.push(thread),
                Err(e) => {
                    drop(readers);
                    for thread in started {
                        // A reader thread catches its jobs' panics; a join error has no
                        // more to tell than the start-up error being returned.
                        let _ = thread.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(readers)
    }

    pub fn push(&self, job: Job) {
        let mut state = self.shared.lock();
        state.jobs.push_back(job);
        let wake = state.idle > 0;
        drop(state);
        if wake {
            self.shared.arrived.notify_one();
        }
    }
}

impl Drop for Readers {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.arrived.notify_all();
    }
}

fn serve(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            // A panicking job drops its answer channel (its caller sees a failed task); the
            // thread goes on serving.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
            state = shared.lock();
        } else if state.closed {
            return;
        } else {
            state.idle += 1;
            state = shared
                .arrived
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
            state.idle -= 1;
        }
    }
}

/// Who has a queued job: the thread that starts it, or its caller giving up on the wait.
#[derive(Clone, Default)]
pub struct Claim(Arc<AtomicU8>);

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const ABANDONED: u8 = 2;

impl Claim {
    /// The thread's claim: false when the caller has already given up.
    pub fn start(&self) -> bool {
        self.settle(STARTED)
    }

    /// The caller's claim: false when the job has already started (its answer will come).
    pub fn abandon(&self) -> bool {
        self.settle(ABANDONED)
    }

    fn settle(&self, to: u8) -> bool {
        self.0
            .compare_exchange(QUEUED, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_and_a_panicking_one_leaves_the_thread_serving() {
        let readers = Readers::start(2).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        readers.push(Box::new(|| panic!("a job that fails")));
        for n in 0..20 {
            let tx = tx.clone();
            readers.push(Box::new(move || tx.send(n).unwrap()));
        }
        let mut seen: Vec<i32> = (0..20).map(|_| rx.recv().unwrap()).collect();
        seen.sort();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_thread_that_cannot_start_stops_those_already_started() {
        let ended = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = ended.clone();
        let result = Readers::start_with(4, |n, work| {
            if n == 2 {
                return Err(std::io::Error::other("no more threads"));
            }
            let counted = counted.clone();
            std::thread::Builder::new().spawn(move || {
                work();
                counted.fetch_add(1, Ordering::SeqCst);
            })
        });
        assert_eq!(
            result.err().map(|e| e.to_string()).as_deref(),
            Some("no more threads")
        );
        assert_eq!(
            ended.load(Ordering::SeqCst),
            2,
            "both started threads ended and were joined"
        );
    }

    #[test]
    fn a_claim_goes_to_whoever_settles_it_first() {
        let claim = Claim::default();
        assert!(claim.abandon());
        assert!(!claim.start(), "an abandoned job does not run");
        let claim = Claim::default();
        assert!(claim.start());
        assert!(!claim.abandon(), "a started job is waited for");
    }
}
