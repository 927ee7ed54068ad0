//! The reference layout of the HCL artifacts, for tests: hcl-rs's formatter
//! (compact arrays), then the `=` alignment `terraform fmt` applies. The
//! emitters write HCL with the light writer of `hcl_doc.rs`, whose tests hold
//! it to this.

use hcl::expr::{Expression, TemplateExpr};
use hcl::format::{Format, Formatter};
use hcl::Body;

use super::hcl::escape;

/// A quoted HCL string expression whose value is exactly `value`, escaped as
/// the emitters escape it (hcl-rs's own escaping drops a `$` of `$${`).
pub(crate) fn string(value: &str) -> Expression {
    Expression::from(TemplateExpr::QuotedString(escape(value)))
}

/// A list of strings.
pub(crate) fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> Expression {
    Expression::Array(values.into_iter().map(string).collect())
}

/// `body` as hcl-rs writes it, realigned as `terraform fmt` aligns it.
pub(crate) fn format(body: &Body) -> String {
    let mut formatter = Formatter::builder().compact_arrays(true).build_vec();
    let text = body
        .format_string(&mut formatter)
        .expect("hcl-rs formats what it built");
    align_assignments(&text)
}

/// Aligns the `=` of consecutive one-line attributes as `terraform fmt`
/// (hclwrite) does: a line takes part when its first `=` outside strings
/// follows something and what comes after it opens no bracket it does not
/// close; any other line (blank, block header, `}`, the first line of a
/// multi-line value, a comment) ends the run.
fn align_assignments(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let marks: Vec<Option<usize>> = lines.iter().map(|line| assignment(line)).collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = marks[i] else {
            out.push_str(lines[i]);
            if i + 1 < lines.len() {
                out.push('\n');
            }
            i += 1;
            continue;
        };
        let end = (i..lines.len())
            .find(|&j| marks[j].is_none())
            .unwrap_or(lines.len());
        let width = |j: usize| lines[j][..marks[j].unwrap_or(0)].trim_end().chars().count();
        let column = (i..end).map(width).max().unwrap_or(0);
        for j in i..end {
            let at = marks[j].unwrap_or(0);
            let lead = lines[j][..at].trim_end();
            out.push_str(lead);
            out.push_str(&" ".repeat(column - width(j) + 1));
            out.push('=');
            out.push(' ');
            out.push_str(lines[j][at + 1..].trim_start());
            if j + 1 < lines.len() {
                out.push('\n');
            }
        }
        i = end;
    }
    out
}

/// The byte offset of the `=` that `terraform fmt` aligns on this line, if any.
fn assignment(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    let bytes = line.as_bytes();
    let start = line.len() - trimmed.len();
    let (mut in_string, mut escaped) = (false, false);
    let mut equals = None;
    let mut depth = 0i32;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' | b'(' if equals.is_some() => depth += 1,
            b'}' | b']' | b')' if equals.is_some() => depth -= 1,
            b'=' if equals.is_none() => {
                let next = bytes.get(i + 1).copied();
                let previous = bytes[i - 1];
                let operator = matches!(next, Some(b'=' | b'>'))
                    || matches!(previous, b'!' | b'<' | b'>' | b'=');
                if i == start || operator {
                    return None;
                }
                equals = Some(i);
            }
            _ => {}
        }
    }
    equals.filter(|_| depth == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_follows_hclwrite() {
        let text = "a {\n  x = 1\n  long_name = \"a = b\"\n  obj = {\n    k = 1\n    kk = [1, 2]\n  }\n\n  y = \"}\"\n  zz = file(\"x\")\n}\n";
        let want = "a {\n  x         = 1\n  long_name = \"a = b\"\n  obj = {\n    k  = 1\n    kk = [1, 2]\n  }\n\n  y  = \"}\"\n  zz = file(\"x\")\n}\n";
        assert_eq!(align_assignments(text), want);
        // Escaped quotes do not end a string.
        assert_eq!(
            align_assignments("a = \"\\\"{\"\nbbb = 2\n"),
            "a   = \"\\\"{\"\nbbb = 2\n"
        );
        // Idempotent.
        assert_eq!(align_assignments(want), want);
    }
}
