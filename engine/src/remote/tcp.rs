//! Remote compaction over TCP: the writer's client, which tries its workers
//! in turn under a deadline, and the worker's server loop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::codec::{read_frame, write_frame, RemoteJob, RemoteResult};
use super::CompactionService;
use crate::error::{Error, Result};
use crate::fs::Fs;

/// Faults a test worker injects (a real worker runs with `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerFault {
    None,
    /// Runs the job, writing its outputs, then drops the connection without
    /// answering: a worker that died mid-job, leaving orphaned outputs.
    DieMidJob,
    /// Runs the job, then waits this long before answering.
    Hang(Duration),
    /// Runs the job, then flips one byte in the middle of its first output.
    CorruptOutput,
}

/// Serves compaction jobs on `listener` for the database in `dir` (shared
/// with the writer) until `stop` is set; one thread per connection.
pub fn serve(
    listener: TcpListener,
    fs: Arc<dyn Fs>,
    dir: PathBuf,
    fault: WorkerFault,
    stop: Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                let (fs, dir) = (fs.clone(), dir.clone());
                std::thread::Builder::new()
                    .name("compaction-worker-conn".into())
                    .spawn(move || {
                        if let Err(e) = handle(stream, fs.as_ref(), &dir, fault) {
                            eprintln!("compaction worker: {e}");
                        }
                    })?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn handle(
    mut stream: TcpStream,
    fs: &dyn Fs,
    dir: &std::path::Path,
    fault: WorkerFault,
) -> Result<()> {
    let io = |e: std::io::Error| Error::io(dir, e);
    let job = RemoteJob::decode(&read_frame(&mut stream)?)?;
    let result = match super::execute(fs, dir, &job) {
        Ok(r) => r,
        Err(e) => RemoteResult::Failed(e.to_string()),
    };
    match fault {
        WorkerFault::None => {}
        WorkerFault::DieMidJob => return Ok(()),
        WorkerFault::Hang(d) => std::thread::sleep(d),
        WorkerFault::CorruptOutput => {
            if let RemoteResult::Done { files, .. } = &result {
                if let Some(f) = files.first() {
                    let path = dir.join(f.file_name());
                    let mut bytes = fs.read_all(&path)?;
                    let mid = bytes.len() / 2;
                    bytes[mid] ^= 0x20;
                    let mut w = fs.create(&path)?;
                    w.append(&bytes)?;
                    w.sync()?;
                }
            }
        }
    }
    write_frame(&mut stream, &result.encode()).map_err(io)
}

/// The writer's side: each attempt goes to the next of `workers` (round
/// robin) and fails past `deadline`.
pub struct TcpCompactionService {
    workers: Vec<SocketAddr>,
    deadline: Duration,
    next: AtomicUsize,
}

impl TcpCompactionService {
    pub fn new(workers: Vec<SocketAddr>, deadline: Duration) -> TcpCompactionService {
        TcpCompactionService {
            workers,
            deadline,
            next: AtomicUsize::new(0),
        }
    }

    fn run_on(&self, addr: &SocketAddr, job: &RemoteJob) -> Result<RemoteResult> {
        let io = |e: std::io::Error| {
            Error::io(
                format!("compaction worker {addr}"),
                std::io::Error::new(e.kind(), format!("{e}")),
            )
        };
        let mut s = TcpStream::connect_timeout(addr, self.deadline).map_err(io)?;
        s.set_read_timeout(Some(self.deadline)).map_err(io)?;
        s.set_write_timeout(Some(self.deadline)).map_err(io)?;
        write_frame(&mut s, &job.encode()).map_err(io)?;
        RemoteResult::decode(&read_frame(&mut s)?)
    }
}

impl CompactionService for TcpCompactionService {
    /// Sends `job` to the next worker in turn.
    fn run(&self, job: &RemoteJob) -> Result<RemoteResult> {
        if self.workers.is_empty() {
            return Err(Error::InvalidArgument("no compaction workers".into()));
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        self.run_on(&self.workers[i], job)
    }

    /// One attempt per worker.
    fn attempts(&self) -> usize {
        self.workers.len()
    }
}

/// Compaction workers on loopback ports in this process, serving one
/// database directory (for the lab, the benchmark and tests); stopped when
/// dropped.
pub struct LocalWorkers {
    addrs: Vec<SocketAddr>,
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl LocalWorkers {
    /// Starts `n` workers on `dir` of `fs`, each injecting `fault`.
    pub fn start(
        fs: Arc<dyn Fs>,
        dir: PathBuf,
        n: usize,
        fault: WorkerFault,
    ) -> std::io::Result<LocalWorkers> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = LocalWorkers {
            addrs: Vec::with_capacity(n),
            stop: stop.clone(),
            threads: Vec::with_capacity(n),
        };
        for i in 0..n {
            let listener = TcpListener::bind("127.0.0.1:0")?;
            workers.addrs.push(listener.local_addr()?);
            let (fs, dir, stop) = (fs.clone(), dir.clone(), stop.clone());
            let t = std::thread::Builder::new()
                .name(format!("compaction-worker-{i}"))
                .spawn(move || serve(listener, fs, dir, fault, stop))?;
            workers.threads.push(t);
        }
        Ok(workers)
    }

    /// The workers' addresses.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// A service that sends jobs to these workers.
    pub fn service(&self, deadline: Duration) -> Arc<TcpCompactionService> {
        Arc::new(TcpCompactionService::new(self.addrs.clone(), deadline))
    }
}

impl Drop for LocalWorkers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
