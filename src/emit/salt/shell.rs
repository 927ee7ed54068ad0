//! POSIX `sh` quoting for the command lines and scripts built from spec values
//! (paths, Vault paths and keys, health commands' arguments). Every argument
//! is quoted, even when the schema already restricts its characters.

/// `value` as one `sh` word: bare when it only has characters that are never
/// special to the shell, otherwise in single quotes (a `'` becomes `'\''`).
pub(super) fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The words quoted and joined by spaces: a command line.
pub(crate) fn join<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().map(quote).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_bare() {
        assert_eq!(quote("/var/lib/vault"), "/var/lib/vault");
        assert_eq!(quote("kv/data/app"), "kv/data/app");
        assert_eq!(quote("-target=nomad_job.app"), "-target=nomad_job.app");
    }

    #[test]
    fn special_characters_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("a\nb"), "'a\nb'");
        assert_eq!(quote("*"), "'*'");
        assert_eq!(quote("~"), "'~'");
        assert_eq!(quote("é"), "'é'");
    }

    #[test]
    fn join_quotes_each_word() {
        assert_eq!(join(["echo", "a b", "it's"]), "echo 'a b' 'it'\\''s'");
    }

    /// The quoting survives a real shell: `sh -c 'printf "%s\n" WORDS'`.
    #[test]
    fn round_trips_through_sh() {
        let words = [
            "a b",
            "it's",
            "$HOME",
            "`id`",
            "\\",
            "\"",
            "a\nb",
            "",
            "--x=y;z",
            "{{ 7*7 }}",
        ];
        let script = format!("for w in {}; do printf '%s\\0' \"$w\"; done", join(words));
        let Ok(output) = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
        else {
            return; // no sh: nothing to compare against
        };
        let printed: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(str::to_string)
            .collect();
        assert_eq!(printed, words);
    }
}
