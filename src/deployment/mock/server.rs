//! A wiremock server whose shutdown never runs on an async task.
//!
//! Dropping a `wiremock::MockServer` verifies its mocks with `futures::executor::block_on`,
//! which awaits a tokio lock. Run inside a tokio task whose cooperative budget happens to be spent,
//! that lock answers "not yet" forever and the nested executor spins without end (a rare
//! hang seen at the end of an audit). [`Server`] hands the wiremock server to a plain thread to be
//! dropped there, where no budget applies, and waits for it; an unmet `expect` still panics.

use std::ops::Deref;
use wiremock::MockServer;

/// A started wiremock server, shut down off the async runtime.
pub struct Server(Option<MockServer>);

impl Server {
    /// A server on an ephemeral 127.0.0.1 port.
    pub async fn start() -> Server {
        Server(Some(MockServer::start().await))
    }

    /// Wraps a server started from a builder.
    pub fn from_started(server: MockServer) -> Server {
        Server(Some(server))
    }
}

impl Deref for Server {
    type Target = MockServer;

    fn deref(&self) -> &MockServer {
        self.0
            .as_ref()
            .expect("the server lives until it is dropped")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            // A mock whose `expect` was not met panics on drop: that panic is passed on, as it
            // would be without the thread (unless this thread is already unwinding).
            if let Err(panic) = std::thread::spawn(move || drop(server)).join() {
                if !std::thread::panicking() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::time::Duration;

    /// Spends the current task's cooperative budget on a tokio channel without yielding.
    fn spend_budget() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..1000 {
            tx.send(i).unwrap();
        }
        while tokio::task::coop::has_budget_remaining() {
            assert!(
                rx.recv().now_or_never().is_some(),
                "the channel holds enough"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_with_a_spent_budget_returns() {
        let server = Server::start().await;
        spend_budget();
        // A drop that spins never returns: the watchdog ends the test binary instead of
        // letting it hang (a plain wiremock server trips it).
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::spawn(move || {
            if finished.recv_timeout(Duration::from_secs(20)).is_err() {
                eprintln!("dropping the server did not return within 20 s");
                std::process::abort();
            }
        });
        drop(server);
        done.send(()).unwrap();
        watchdog.join().unwrap();
    }
}
