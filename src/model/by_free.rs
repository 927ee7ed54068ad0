//! The Nomad clients in the packer's order: most free memory budget first,
//! then host order.
//!
//! A binary heap that knows where each client stands in it. The packer asks
//! for the first client about 100,000 times at 100,000 services and takes
//! memory from it each time: a sorted set moved that client out and back in,
//! the heap moves it down its path. A free budget only ever shrinks, so no
//! client moves up.

use super::HostId;

/// Where a host stands in [`ByFree::heap`]: not a client.
const ABSENT: usize = usize::MAX;

/// The packer's order of clients, as a key (the greater goes first): more
/// free budget, or as much and declared first. The one definition, for the
/// heap and for a choice among named hosts.
pub(super) fn packing_order(free: i128, host: HostId) -> (i128, std::cmp::Reverse<HostId>) {
    (free, std::cmp::Reverse(host))
}

pub(super) struct ByFree {
    /// Max-heap of clients with their free budget, by [`packing_order`]
    /// (the budget is kept here: comparing does not look it up).
    heap: Vec<(i128, HostId)>,
    /// Per host (index = `HostId`): its index in `heap`, or [`ABSENT`].
    at: Vec<usize>,
}

impl ByFree {
    /// `clients` (distinct), ordered by `free` (per host).
    pub(super) fn new(clients: &[HostId], free: &[i128]) -> Self {
        let mut order = Self {
            heap: clients.iter().map(|&host| (free[host.0], host)).collect(),
            at: vec![ABSENT; free.len()],
        };
        for (index, &(_, host)) in order.heap.iter().enumerate() {
            order.at[host.0] = index;
        }
        for index in (0..order.heap.len() / 2).rev() {
            order.sift_down(index);
        }
        order
    }

    /// The client with the most free budget (ties: first declared).
    pub(super) fn first(&self) -> Option<HostId> {
        self.heap.first().map(|&(_, host)| host)
    }

    /// `host`'s free budget shrank to `free`: it moves behind those now
    /// ahead of it.
    pub(super) fn shrunk(&mut self, host: HostId, free: i128) {
        if let Some(&index) = self.at.get(host.0).filter(|&&at| at != ABSENT) {
            debug_assert!(free <= self.heap[index].0, "a free budget only shrinks");
            self.heap[index].0 = free;
            self.sift_down(index);
        }
    }

    /// The clients in order, lazily: a walk of the heap that always goes on
    /// at the best position not yet visited (the packer mostly stops at the
    /// first or second).
    pub(super) fn in_order(&self) -> impl Iterator<Item = HostId> + '_ {
        let key = |index: usize| {
            let (free, host) = self.heap[index];
            (packing_order(free, host), index)
        };
        let mut frontier = std::collections::BinaryHeap::new();
        if !self.heap.is_empty() {
            frontier.push(key(0));
        }
        std::iter::from_fn(move || {
            let ((_, std::cmp::Reverse(host)), index) = frontier.pop()?;
            for child in [2 * index + 1, 2 * index + 2] {
                if child < self.heap.len() {
                    frontier.push(key(child));
                }
            }
            Some(host)
        })
    }

    /// Whether `a` comes before `b` in [`packing_order`].
    fn ahead((free_a, a): (i128, HostId), (free_b, b): (i128, HostId)) -> bool {
        packing_order(free_a, a) > packing_order(free_b, b)
    }

    /// Moves the client at `start` down to where its (smaller) budget
    /// belongs. Floyd's way, as `std`'s heap does when it pops: a shrunk
    /// client mostly belongs near the bottom (half the heap is leaves), so
    /// the hole goes all the way down along the children ahead (one
    /// comparison a level, not two), then back up the few levels needed.
    fn sift_down(&mut self, start: usize) {
        let moving = self.heap[start];
        let len = self.heap.len();
        let mut hole = start;
        loop {
            let left = 2 * hole + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && Self::ahead(self.heap[right], self.heap[left]) {
                right
            } else {
                left
            };
            self.fill(hole, child);
            hole = child;
        }
        while hole > start {
            let parent = (hole - 1) / 2;
            if !Self::ahead(moving, self.heap[parent]) {
                break;
            }
            self.fill(hole, parent);
            hole = parent;
        }
        self.heap[hole] = moving;
        self.at[moving.1 .0] = hole;
    }

    /// Moves the entry at `from` into the hole at `hole`.
    fn fill(&mut self, hole: usize, from: usize) {
        self.heap[hole] = self.heap[from];
        self.at[self.heap[hole].1 .0] = hole;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The order a sorted set keeps, for comparison.
    fn sorted(clients: &[HostId], free: &[i128]) -> Vec<HostId> {
        let set: BTreeSet<(std::cmp::Reverse<i128>, HostId)> = clients
            .iter()
            .map(|&h| (std::cmp::Reverse(free[h.0]), h))
            .collect();
        set.into_iter().map(|(_, h)| h).collect()
    }

    #[test]
    fn ties_go_to_the_first_declared_host() {
        let free = [5, 9, 9, 1];
        let clients = [HostId(3), HostId(2), HostId(0), HostId(1)];
        let order = ByFree::new(&clients, &free);
        assert_eq!(order.first(), Some(HostId(1)));
        let all: Vec<HostId> = order.in_order().collect();
        assert_eq!(all, [HostId(1), HostId(2), HostId(0), HostId(3)]);
    }

    proptest! {
        /// After any takes, the heap's order is the sorted set's.
        #[test]
        fn keeps_the_order_of_a_sorted_set(
            start in proptest::collection::vec(-5i128..20, 1..12),
            takes in proptest::collection::vec((0usize..12, 0i128..8), 0..40),
        ) {
            let mut free = start.clone();
            // Every other host is a client.
            let clients: Vec<HostId> = (0..free.len()).step_by(2).map(HostId).collect();
            let mut order = ByFree::new(&clients, &free);
            for (host, memory) in takes {
                let host = HostId(host % free.len());
                free[host.0] -= memory;
                order.shrunk(host, free[host.0]);
                let walked: Vec<HostId> = order.in_order().collect();
                prop_assert_eq!(&walked, &sorted(&clients, &free));
                prop_assert_eq!(order.first(), walked.first().copied());
            }
        }
    }
}
