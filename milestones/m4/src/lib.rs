use std::{
    sync::{Arc, Mutex, mpsc},
    thread,
};

pub struct ThreadPool {
    /// The threads that run the jobs. Nothing reads this yet: m6 joins them
    /// when the pool shuts down.
    #[allow(dead_code)]
    workers: Vec<Worker>,
    /// The sending end of the channel every worker receives jobs from.
    sender: mpsc::Sender<Job>,
}

/// A closure to run on some worker: boxed, because every closure has its
/// own type, and `Send`, because it crosses to another thread.
type Job = Box<dyn FnOnce() + Send + 'static>;

impl ThreadPool {
    /// Create a new ThreadPool.
    ///
    /// The size is the number of threads in the pool.
    ///
    /// # Panics
    ///
    /// The `new` function will panic if the size is zero.
    pub fn new(size: usize) -> ThreadPool {
        assert!(size > 0);

        let (sender, receiver) = mpsc::channel();

        // One receiver shared by every worker: `Arc` lets them all own it,
        // `Mutex` lets only one of them take a job at a time.
        let receiver = Arc::new(Mutex::new(receiver));

        let mut workers = Vec::with_capacity(size);

        for id in 0..size {
            workers.push(Worker::new(id, Arc::clone(&receiver)));
        }

        ThreadPool { workers, sender }
    }

    pub fn execute<F>(&self, f: F)
    where
        F: FnOnce() + Send + 'static,
    {
        let job = Box::new(f);

        self.sender.send(job).unwrap();
    }
}

// Nothing reads these fields yet: m6 does, when it shuts the pool down.
#[allow(dead_code)]
struct Worker {
    /// Which worker this is.
    id: usize,
    /// The thread running the worker's loop.
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> Worker {
        let thread = thread::spawn(move || {
            loop {
                // The lock guard is a temporary of this `let` statement, so
                // it is dropped at the `;`: the lock is free again before
                // the job runs, and the other workers can take the next jobs.
                let job = receiver.lock().unwrap().recv().unwrap();

                println!("Worker {id} got a job; executing.");

                // A job that panics ends this thread, and the pool has one
                // worker less for good.
                job();
            }
        });

        Worker { id, thread }
    }
}
