//! Work on two threads at once, the one way every parallel step of eosc
//! does it: scoped threads (the work may borrow), and a panic on the other
//! thread goes on in the caller, as if it had happened on its own.

use std::thread::ScopedJoinHandle;

/// Runs `first` on this thread and `second` on another; returns both
/// results, in that order.
pub(crate) fn both<A, B: Send>(
    first: impl FnOnce() -> A,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    std::thread::scope(|scope| {
        let second = scope.spawn(second);
        let first = first();
        (first, joined(second))
    })
}

/// What a scoped thread returned; its panic goes on in the caller.
pub(crate) fn joined<T>(thread: ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_in_order_and_the_work_may_borrow() {
        let (mut left, mut right) = (vec![1, 2], vec![3]);
        let (a, b) = both(
            || {
                left.push(0);
                left.len()
            },
            || {
                right.push(0);
                right.len()
            },
        );
        assert_eq!((a, b), (3, 2));
        assert_eq!((left, right), (vec![1, 2, 0], vec![3, 0]));
    }

    #[test]
    #[should_panic(expected = "on the other thread")]
    fn a_panic_on_the_other_thread_goes_on_in_the_caller() {
        both(|| (), || panic!("on the other thread"));
    }
}
