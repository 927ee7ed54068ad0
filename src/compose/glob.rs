//! `include` patterns (LANGUAGE.md section 10): `*` and `?` within one path
//! segment, `**` for any number of folders. Paths are relative to the root
//! file's folder, with `/` between segments.

/// A pattern, split into its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    segments: Vec<String>,
}

/// Whether a path needs matching at all (`*` or `?` in it).
pub fn is_pattern(path: &str) -> bool {
    path.contains(['*', '?'])
}

impl Pattern {
    /// A normalized path (see `super::files::normalize`) read as a pattern.
    pub fn new(normalized: &str) -> Self {
        Self {
            segments: normalized.split('/').map(str::to_string).collect(),
        }
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether a root-relative path matches the whole pattern.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        matches_from(&segments, &parts)
    }
}

/// Segment-wise matching; `**` takes any number of segments. Iterative over
/// the last `**` seen, so no input makes it exponential.
fn matches_from(segments: &[&str], parts: &[&str]) -> bool {
    let (mut s, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while p < parts.len() {
        if s < segments.len() && segments[s] == "**" {
            star = Some((s, p));
            s += 1;
        } else if s < segments.len() && segment_matches(segments[s], parts[p]) {
            s += 1;
            p += 1;
        } else if let Some((star_s, star_p)) = star {
            s = star_s + 1;
            p = star_p + 1;
            star = Some((star_s, star_p + 1));
        } else {
            return false;
        }
    }
    segments[s..].iter().all(|segment| *segment == "**")
}

/// `*` and `?` within one segment (the classic greedy wildcard match with one
/// backtrack point: linear in practice, quadratic at worst, never exponential).
pub fn segment_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some('?') => {
                p += 1;
                n += 1;
            }
            Some(&c) if c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_stay_within_a_segment() {
        let pattern = Pattern::new("platform/*.eos");
        assert!(pattern.matches("platform/a.eos"));
        assert!(!pattern.matches("platform/x/a.eos"));
        assert!(!pattern.matches("platform/a.eo"));
        assert!(Pattern::new("h?sts.eos").matches("hosts.eos"));
        assert!(!Pattern::new("h?sts.eos").matches("hoosts.eos"));
    }

    #[test]
    fn double_star_takes_any_number_of_folders() {
        let pattern = Pattern::new("apps/**/*.eos");
        assert!(pattern.matches("apps/a.eos"));
        assert!(pattern.matches("apps/x/y/a.eos"));
        assert!(!pattern.matches("other/a.eos"));
        assert!(Pattern::new("**").matches("a/b/c"));
        assert!(Pattern::new("**/x.eos").matches("x.eos"));
    }

    #[test]
    fn many_stars_do_not_explode() {
        let pattern = "*a".repeat(40) + "b";
        assert!(!segment_matches(&pattern, &"a".repeat(200)));
        let deep = Pattern::new(&["**"; 30].join("/").replace("**/**", "**/x/**"));
        assert!(!deep.matches(&["y"; 200].join("/")));
    }
}
