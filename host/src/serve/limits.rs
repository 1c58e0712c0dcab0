//! What keeps one user, or a hostile file, from taking the server down.
//!
//! - The upload cap: a request body larger than `--max-upload-mib` is refused
//!   with 413, at once when its `Content-Length` says so, else as soon as the
//!   reading passes the cap (axum's body limit). The workbooks themselves are
//!   then read by the library's bounded reader (zip bombs, oversized sheets,
//!   hostile XML: `crate::input::limits`), like any input of the command line.
//! - [`Slots`]: at most `max_evaluations` evaluations run at once and at most
//!   `queue` wait for one; the next is answered "busy" (503, `Retry-After`) at
//!   once. A slot is taken before the upload is read, so the uploads held in
//!   memory and on disk are bounded too, and released when the evaluation has
//!   ended, even one whose client has gone or whose answer timed out.
//! - The request timeout: an evaluation not answered within it gets 504; its
//!   work goes on in the background (the sandbox's own limits end a plugin that
//!   runs too long) and holds its slot until it ends.
//! - [`host_allowed`]: a server on the loopback address answers only requests
//!   addressed to a loopback name, so a web page on another site cannot reach
//!   it through DNS rebinding.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The evaluation slots: running and waiting.
pub(crate) struct Slots {
    /// Running or waiting: `max_evaluations + queue` permits.
    admitted: Arc<Semaphore>,
    /// Running: `max_evaluations` permits.
    running: Arc<Semaphore>,
    max_running: usize,
    max_waiting: usize,
    waiting: Arc<AtomicUsize>,
}

/// A running evaluation's hold on its slot; dropping it frees the slot.
pub(crate) struct Slot {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

/// Every slot is taken; the numbers for the message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Busy {
    pub running: usize,
    pub waiting: usize,
}

impl Slots {
    pub fn new(max_running: usize, max_waiting: usize) -> Slots {
        let max_running = max_running.max(1);
        Slots {
            admitted: Arc::new(Semaphore::new(max_running + max_waiting)),
            running: Arc::new(Semaphore::new(max_running)),
            max_running,
            max_waiting,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A slot, after waiting for one if every slot is running but the queue has room;
    /// [`Busy`] at once if the queue is full too.
    pub(crate) async fn acquire(&self) -> Result<Slot, Busy> {
        let admitted =
            self.admitted.clone().try_acquire_owned().map_err(|_| Busy { running: self.max_running, waiting: self.max_waiting })?;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let running = self.running.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let running = running.expect("the semaphore is never closed");
        Ok(Slot { _admitted: admitted, _running: running })
    }

    /// Evaluations running now.
    pub fn running(&self) -> usize {
        self.max_running - self.running.available_permits()
    }

    /// Evaluations waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub(crate) fn max_running(&self) -> usize {
        self.max_running
    }

    pub(crate) fn max_waiting(&self) -> usize {
        self.max_waiting
    }
}

/// Whether a request's `Host` header may reach a server bound to `bound`. A
/// server on a loopback address takes only loopback names (`localhost`,
/// `127.0.0.1`, `[::1]`, with or without the port); one listening elsewhere
/// (`--listen`) takes any.
pub(crate) fn host_allowed(bound: SocketAddr, host_header: Option<&str>) -> bool {
    if !bound.ip().is_loopback() {
        return true;
    }
    let Some(h) = host_header else { return false };
    let name = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        h.rsplit_once(':').map(|(n, _)| n).unwrap_or(h)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_answer_loopback_names_only() {
        let lo: SocketAddr = "127.0.0.1:8765".parse().unwrap();
        for ok in ["127.0.0.1:8765", "localhost:8765", "localhost", "[::1]:8765", "127.0.0.2", "LOCALHOST."] {
            assert!(host_allowed(lo, Some(ok)), "{ok}");
        }
        for bad in ["evil.example:8765", "192.168.1.2:8765", "127.0.0.1.evil.example", ""] {
            assert!(!host_allowed(lo, Some(bad)), "{bad}");
        }
        assert!(!host_allowed(lo, None));
        let any: SocketAddr = "0.0.0.0:8765".parse().unwrap();
        assert!(host_allowed(any, Some("evil.example")));
    }

    #[test]
    fn slots_run_queue_and_refuse() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let slots = Arc::new(Slots::new(1, 1));
            let first = slots.acquire().await.expect("a free slot");
            assert_eq!(slots.running(), 1);
            let s2 = slots.clone();
            let second = tokio::spawn(async move { s2.acquire().await.map(|_| ()) });
            tokio::task::yield_now().await;
            while slots.waiting() == 0 {
                tokio::task::yield_now().await;
            }
            let third = slots.acquire().await;
            assert!(third.is_err(), "the queue is full, so the third is busy");
            drop(first);
            second.await.unwrap().expect("the waiting one runs when the slot is free");
            assert!(slots.acquire().await.is_ok());
        });
    }
}
