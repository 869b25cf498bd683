//! A spawned task's handle that stops the task when dropped, so nothing outlives its owner.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::{JoinError, JoinHandle};

/// A task's handle that aborts the task when dropped: a poll abandoned half-way (the daemon
/// stopping) leaves no download running behind it, and the metrics endpoint stops with the
/// daemon. Awaiting it awaits the task.
pub struct AbortOnDrop<T>(pub JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn a_dropped_handle_stops_its_task() {
        let held = Arc::new(());
        let in_task = Arc::clone(&held);
        let handle = tokio::spawn(async move {
            let held = in_task;
            std::future::pending::<()>().await;
            drop(held);
        });
        let probe = handle.abort_handle();
        drop(AbortOnDrop(handle));
        for _ in 0..1000 {
            if probe.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(probe.is_finished(), "the task still runs");
        // The task's future, and what it held, are gone.
        assert_eq!(Arc::strong_count(&held), 1);
    }

    #[tokio::test]
    async fn an_awaited_handle_hands_back_the_result() {
        let read = AbortOnDrop(tokio::spawn(async { 7 })).await;
        assert_eq!(read.ok(), Some(7));
    }
}
