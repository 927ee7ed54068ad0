//! "Did you mean": the closest known name to a misspelt one.

use std::cell::Cell;
use std::collections::BTreeMap;

/// The closest candidate within a third of the word's length (at least one
/// edit), ties broken alphabetically; never the word itself. For a few
/// candidates (attribute names, block kinds); many go through [`Suggester`].
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = limit_for(word);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| (strsim::osa_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

fn limit_for(word: &str) -> usize {
    (word.chars().count() / 3).max(1)
}

/// Comparisons the lookups of one run make among one [`Suggester`]'s names,
/// in all: about a tenth of a second. (Each lookup makes at most
/// [`PER_LOOKUP`], so a thousand get answers.) Past it, no more suggestions
/// are made (the diagnostics stay, with a plainer help), so that N unknown
/// names among N declared ones cost linear time, not N² comparisons.
pub const SUGGESTION_BUDGET: usize = 1_000_000;

/// "Did you mean" among many names (the hosts or services of a stack): the
/// names are sorted once and indexed by length — `limit` edits change the
/// length by at most `limit`, so only names of a length within reach are
/// compared — and every comparison is paid from the caller's budget (so that
/// threads can share the names, each with a budget of its own).
pub struct Suggester<'a> {
    sorted: Vec<&'a str>,
    by_length: BTreeMap<usize, Vec<&'a str>>,
}

impl<'a> Suggester<'a> {
    pub fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut sorted: Vec<&str> = names.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut by_length: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for &name in &sorted {
            by_length
                .entry(name.chars().count())
                .or_default()
                .push(name);
        }
        Self { sorted, by_length }
    }

    /// Every name, sorted.
    pub fn names(&self) -> &[&'a str] {
        &self.sorted
    }

    /// What [`did_you_mean`] would answer, or `None` once `budget` (a count
    /// of comparisons, [`SUGGESTION_BUDGET`] for a run) is spent. Of each
    /// length within reach, the [`PER_LOOKUP`] names nearest to the word in
    /// sorted order are compared (all of them, when there are fewer): a typo
    /// late in a name is found among its neighbours.
    pub fn suggest(&self, word: &str, budget: &Cell<usize>) -> Option<&'a str> {
        let length = word.chars().count();
        let limit = limit_for(word);
        let lengths: Vec<&Vec<&'a str>> = self
            .by_length
            .range(length.saturating_sub(limit)..=length + limit)
            .map(|(_, names)| names)
            .collect();
        let share = (PER_LOOKUP / lengths.len().max(1)).max(1);
        let mut best: Option<(usize, &'a str)> = None;
        for names in lengths {
            let at = names.partition_point(|name| *name < word);
            let from = at
                .saturating_sub(share / 2)
                .min(names.len().saturating_sub(share));
            for &name in names.iter().skip(from).take(share) {
                let left = budget.get();
                if left == 0 {
                    return None;
                }
                budget.set(left - 1);
                if name == word {
                    continue;
                }
                let distance = strsim::osa_distance(word, name);
                if distance <= limit && best.is_none_or(|b| (distance, name) < b) {
                    best = Some((distance, name));
                }
            }
        }
        best.map(|(_, name)| name)
    }
}

/// Names one lookup of a [`Suggester`] compares at most.
const PER_LOOKUP: usize = 1_000;

#[cfg(test)]
mod tests {
    use super::{did_you_mean, Suggester, SUGGESTION_BUDGET};
    use std::cell::Cell;

    #[test]
    fn suggests_close_names_only() {
        let names = ["memory", "memory_max", "runtime"];
        assert_eq!(did_you_mean("memroy", names), Some("memory"));
        assert_eq!(did_you_mean("runtim", names), Some("runtime"));
        assert_eq!(did_you_mean("xyz", names), None);
    }

    #[test]
    fn ties_are_broken_alphabetically() {
        assert_eq!(did_you_mean("ab", ["ac", "aa"]), Some("aa"));
    }

    #[test]
    fn the_suggester_answers_as_did_you_mean_does() {
        let names = [
            "postgres",
            "postgis",
            "redis",
            "vault",
            "valut-agent",
            "pg",
            "ab",
            "aa",
            "ac",
        ];
        let suggester = Suggester::new(names);
        for word in [
            "postgers",
            "redsi",
            "vualt",
            "p",
            "ab",
            "zz",
            "postgres-x",
            "é",
        ] {
            let budget = Cell::new(SUGGESTION_BUDGET);
            assert_eq!(
                suggester.suggest(word, &budget),
                did_you_mean(word, names),
                "{word}"
            );
        }
        assert_eq!(suggester.names()[0], "aa");
    }

    #[test]
    fn among_many_names_a_late_typo_finds_its_neighbour() {
        let names: Vec<String> = (0..50_000).map(|i| format!("svc-{i:05}")).collect();
        let suggester = Suggester::new(names.iter().map(String::as_str));
        let budget = Cell::new(SUGGESTION_BUDGET);
        assert_eq!(suggester.suggest("svc-31337x", &budget), Some("svc-31337"));
        assert_eq!(suggester.suggest("svc-0000", &budget), Some("svc-00000"));
    }

    #[test]
    fn a_spent_budget_suggests_nothing() {
        let suggester = Suggester::new(["vault", "vaunt"]);
        let budget = Cell::new(3);
        assert_eq!(suggester.suggest("vaul", &budget), Some("vault"));
        assert_eq!(suggester.suggest("vaul", &budget), None);
    }
}
