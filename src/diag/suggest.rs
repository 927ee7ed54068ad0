//! "Did you mean" suggestions for misspelled names.

/// The closest candidate to `word`, if one is close enough to be a likely typo.
/// Ties go to the alphabetically first candidate, so output is deterministic.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|candidate| *candidate != word)
        .map(|candidate| (strsim::damerau_levenshtein(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

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
}
