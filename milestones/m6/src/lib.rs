use std::{
    error::Error,
    fmt,
    io::{self, Write},
    panic::{self, AssertUnwindSafe},
    sync::{Arc, Mutex, mpsc},
    thread,
};

// ANCHOR: pool
pub struct ThreadPool {
    /// The threads that run the jobs, joined when the pool is dropped.
    workers: Vec<Worker>,
    /// The sending end of the channel every worker receives jobs from. An
    /// `Option` so that `drop` can take it out and drop it first: closing
    /// the channel is what tells the workers to stop.
    sender: Option<mpsc::Sender<Job>>,
}
// ANCHOR_END: pool

/// A closure to run on some worker: boxed, because every closure has its
/// own type, and `Send`, because it crosses to another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why [`ThreadPool::build`] could not build a pool.
#[derive(Debug, PartialEq)]
pub struct PoolCreationError;

impl fmt::Display for PoolCreationError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a thread pool needs at least one worker, not 0")
    }
}

impl Error for PoolCreationError {}

impl ThreadPool {
    /// Build a new ThreadPool.
    ///
    /// The size is the number of threads in the pool.
    ///
    /// # Errors
    ///
    /// Returns [`PoolCreationError`] if the size is zero: a pool without
    /// workers would never run a job. By convention a `new` function does not
    /// fail, so a constructor that can fail is called `build` and says so in
    /// its return type, and the caller decides what to do.
    pub fn build(size: usize) -> Result<ThreadPool, PoolCreationError> {
        if size == 0 {
            return Err(PoolCreationError);
        }

        let (sender, receiver) = mpsc::channel();

        // One receiver shared by every worker: `Arc` lets them all own it,
        // `Mutex` lets only one of them take a job at a time.
        let receiver = Arc::new(Mutex::new(receiver));

        let mut workers = Vec::with_capacity(size);

        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver)));
        }

        Ok(ThreadPool {
            workers,
            sender: Some(sender),
        })
    }

    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);

        // The sender is `None` only inside `drop`, and workers survive
        // panicking jobs, so the channel is open for as long as the pool.
        self.sender.as_ref().unwrap().send(job).unwrap();
    }
}

// ANCHOR: drop
impl Drop for ThreadPool {
    fn drop(&mut self) {
        // Closing the channel: each worker finishes the jobs already queued,
        // then its `recv` fails and its loop ends.
        drop(self.sender.take());

        for worker in self.workers.drain(..) {
            let _ = writeln!(io::stdout(), "Shutting down worker {}", worker.id);

            worker.thread.join().unwrap();
        }
    }
}
// ANCHOR_END: drop

struct Worker {
    /// Which worker this is, in the shutdown messages.
    id: usize,
    /// The thread running the worker's loop, joined on shutdown.
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {
        let thread = thread::spawn(move || {
            // ANCHOR: worker_loop
            loop {
                // The lock guard is a temporary of this `let` statement, so
                // it is dropped at the `;`: the lock is free again before
                // the job runs, and the other workers can take the next jobs.
                let message = receiver.lock().unwrap().recv();

                match message {
                    Ok(job) => {
                        // Not `println!`, which panics when stdout is gone
                        // (`m6 | head -n1`): a lost log line must not cost
                        // the job, nor this worker.
                        let _ = writeln!(io::stdout(), "Worker {id} got a job; executing.");

                        // A panicking job stops here instead of ending the
                        // thread, so the pool keeps all its workers. The
                        // panic message is already on stderr.
                        if panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                            let _ = writeln!(
                                io::stderr(),
                                "Worker {id} caught a panicking job; carrying on."
                            );
                        }
                    }
                    Err(_) => {
                        let _ = writeln!(io::stdout(), "Worker {id} disconnected; shutting down.");
                        break;
                    }
                }
            }
            // ANCHOR_END: worker_loop
        });

        Worker { id, thread }
    }
}
