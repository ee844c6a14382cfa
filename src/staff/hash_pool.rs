//! Password hashing on a fixed set of threads with a bounded queue.
//!
//! One Argon2 verification takes 19 MiB and tens of milliseconds of a core. Run on
//! actix's blocking pool (up to hundreds of threads), 200 logins at once allocated
//! 200 × 19 MiB and starved the database pool. Here at most `threads` hash at a time, one
//! per core by default, so memory is bounded by `threads × 19 MiB`; at most `queue` more
//! wait, and any beyond that are refused at once with `AppError::Busy` (503 with
//! `Retry-After`) rather than waiting without bound.

use super::password::Hasher;
use crate::error::AppError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce(&Hasher) + Send>;

pub struct HashPool {
    jobs: Mutex<Sender<Job>>,
    /// Jobs admitted and not yet finished (running or waiting).
    admitted: Arc<AtomicUsize>,
    capacity: usize,
    hasher: Arc<Hasher>,
}

impl HashPool {
    pub fn start(hasher: Arc<Hasher>, threads: usize, queue: usize) -> anyhow::Result<HashPool> {
        give_large_blocks_back();
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let hasher = hasher.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || work(&rx, &hasher))?;
        }
        Ok(HashPool {
            jobs: Mutex::new(tx),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: threads.max(1) + queue,
            hasher,
        })
    }

    /// The hasher itself, for work outside requests (the command line, first start).
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Jobs running or waiting now.
    pub fn in_use(&self) -> usize {
        self.admitted.load(Ordering::SeqCst)
    }

    /// Verifies `password` against `stored` (the dummy hash when None) on the pool.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.run(move |h| h.verify(&password, stored.as_deref()))
            .await
    }

    /// Runs `f` on a hashing thread; `AppError::Busy` at once when every thread and
    /// queue place is taken.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Hasher) -> T + Send + 'static,
    {
        let admitted = self.admitted.clone();
        let taken = admitted.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < self.capacity).then_some(n + 1)
        });
        if taken.is_err() {
            return Err(AppError::Busy);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |h| {
            // A client that went away no longer needs its 19 MiB verification.
            let result = (!tx.is_closed()).then(|| f(h));
            // The place is given back before the answer is sent, so a caller who has its
            // answer never finds its own finished job still counted as running.
            admitted.fetch_sub(1, Ordering::SeqCst);
            if let Some(result) = result {
                let _ = tx.send(result);
            }
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job);
        if let Err(unsent) = sent {
            // No thread is left to run it (they only stop at shutdown).
            drop(unsent);
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return Err(AppError::Unavailable);
        }
        rx.await
            .map_err(|_| AppError::internal(anyhow::anyhow!("a password-hashing thread stopped")))
    }
}

/// Each Argon2 verification takes its 19 MiB in one allocation. glibc maps blocks that
/// large from the system at first, but the first free raises its mmap threshold above
/// them (the "dynamic threshold"), and from then on it carves them from the threads'
/// heaps, which keep the memory: 100 logins at once left about 210 MiB resident, three
/// blocks in each of four arenas. Setting the threshold turns the dynamic one off, so
/// every block of a megabyte or more is mapped for its use and unmapped when freed.
/// `main` calls it first of all, so that a hash at start (the first admin's) is given
/// back too; the pool calls it again for an embedding that did not.
pub fn give_large_blocks_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes an allocator parameter; glibc takes its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn work(jobs: &Mutex<Receiver<Job>>, hasher: &Hasher) {
    loop {
        let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match next {
            Ok(job) => job(hasher),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StaffSettings;

    #[actix_web::test]
    async fn a_full_pool_refuses_at_once_and_takes_work_again_when_free() {
        let hasher = Arc::new(Hasher::new(&StaffSettings::default()).expect("hasher"));
        let pool = Arc::new(HashPool::start(hasher, 1, 0).expect("pool"));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            actix_web::rt::spawn(async move {
                pool.run(move |_| {
                    let _ = wait.recv();
                })
                .await
            })
        };
        while pool.in_use() == 0 {
            actix_web::rt::task::yield_now().await;
        }
        assert!(matches!(
            pool.verify("x".into(), None).await,
            Err(AppError::Busy)
        ));
        release.send(()).expect("release");
        busy.await.expect("task").expect("ran");
        assert_eq!(pool.verify("x".into(), None).await.ok(), Some(false));
    }
}
