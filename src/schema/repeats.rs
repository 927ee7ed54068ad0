//! What is written twice in one scope — names of one kind, items of one list —
//! for E0105 and E0107. Most scopes hold a handful of items, compared pairwise
//! without building a hash table (which allocated for every service's ports,
//! volumes, `on` and `after`); a large scope (the services of a stack) gets one.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;

/// Scopes up to this size are compared pairwise.
const PAIRWISE_UP_TO: usize = 16;

/// Every item equal to an earlier one, as `(again, first)` indices, in order;
/// `first` is the first occurrence.
pub(crate) fn repeats<T: Eq + Hash>(items: &[T]) -> Vec<(usize, usize)> {
    if items.len() <= PAIRWISE_UP_TO {
        return items
            .iter()
            .enumerate()
            .filter_map(|(again, item)| {
                let first = items[..again].iter().position(|earlier| earlier == item)?;
                Some((again, first))
            })
            .collect();
    }
    let mut first_of: HashMap<&T, usize, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(items.len(), foldhash::fast::RandomState::default());
    let mut found = Vec::new();
    for (again, item) in items.iter().enumerate() {
        match first_of.entry(item) {
            Entry::Occupied(first) => found.push((again, *first.get())),
            Entry::Vacant(slot) => {
                slot.insert(again);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_each_repeat_with_the_first_occurrence() {
        assert_eq!(repeats(&["a", "b", "a", "c", "a"]), vec![(2, 0), (4, 0)]);
        assert_eq!(repeats::<&str>(&[]), vec![]);
        assert_eq!(repeats(&["x", "y"]), vec![]);
    }

    /// The hash-table path for large scopes finds what the pairwise one finds.
    #[test]
    fn large_scopes_agree_with_pairwise_comparison() {
        let items: Vec<u32> = (0..200).map(|i| (i * 7919) % 61).collect();
        let pairwise: Vec<(usize, usize)> = (0..items.len())
            .filter_map(|again| {
                let first = items[..again].iter().position(|e| *e == items[again])?;
                Some((again, first))
            })
            .collect();
        assert!(items.len() > PAIRWISE_UP_TO);
        assert_eq!(repeats(&items), pairwise);
        assert_eq!(pairwise.len(), 200 - 61);
    }
}
