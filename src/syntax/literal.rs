//! Literal values: string escapes and exact decimal numbers.

use std::fmt::Write as _;

/// Resolves the escapes of a string body the grammar has already validated.
/// `\u{…}` escapes that are not Unicode scalar values yield `Err(escape)`.
pub(crate) fn unescape(body: &str) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('u') => {
                let rest = chars.as_str();
                let close = rest.find('}').unwrap_or(rest.len());
                let hex = rest.get(1..close).unwrap_or("");
                let scalar = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                match scalar {
                    Some(ch) => out.push(ch),
                    None => return Err(format!("\\u{{{hex}}}")),
                }
                chars = rest.get(close + 1..).unwrap_or("").chars();
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

/// Escapes a string for writing it back inside `"…"`: the inverse of [`unescape`].
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// An exact decimal `mantissa / 10^scale`, as written (`1.5` is 15 / 10^1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: u128,
    pub scale: u32,
}

/// Longest digit string accepted; longer numbers are out of range anyway.
const MAX_DIGITS: usize = 36;

impl Decimal {
    /// Parses `123` or `1.25`. `None` when the number has too many digits.
    pub fn parse(digits: &str) -> Option<Decimal> {
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.len() + fraction.len() > MAX_DIGITS {
            return None;
        }
        let mut mantissa: u128 = 0;
        for byte in whole.bytes().chain(fraction.bytes()) {
            if !byte.is_ascii_digit() {
                return None;
            }
            // At most 36 digits: fits in a u128 without overflow.
            mantissa = mantissa * 10 + u128::from(byte - b'0');
        }
        if whole.is_empty() {
            return None;
        }
        Some(Decimal {
            mantissa,
            scale: fraction.len() as u32,
        })
    }

    /// `self × factor / divisor` when that is a whole number that fits in u64.
    pub fn scaled_exact(self, factor: u64, divisor: u64) -> Result<u64, ScaleError> {
        let denominator = 10u128
            .checked_pow(self.scale)
            .and_then(|d| d.checked_mul(u128::from(divisor)))
            .ok_or(ScaleError::TooLarge)?;
        let numerator = self
            .mantissa
            .checked_mul(u128::from(factor))
            .ok_or(ScaleError::TooLarge)?;
        if numerator % denominator != 0 {
            return Err(ScaleError::NotWhole);
        }
        u64::try_from(numerator / denominator).map_err(|_| ScaleError::TooLarge)
    }

    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleError {
    /// The value needs more precision than the unit allows.
    NotWhole,
    TooLarge,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_escape_resolves() {
        assert_eq!(
            unescape(r#"a\"b\\c\nd\te\rf\u{1F600}\u{41}"#).unwrap(),
            "a\"b\\c\nd\te\rf😀A"
        );
    }

    #[test]
    fn surrogates_and_out_of_range_scalars_are_rejected() {
        assert_eq!(unescape(r"\u{D800}"), Err("\\u{D800}".to_string()));
        assert_eq!(unescape(r"\u{110000}"), Err("\\u{110000}".to_string()));
    }

    #[test]
    fn escape_round_trips() {
        let value = "q\"b\\n\nt\tr\r\u{7}é😀";
        assert_eq!(unescape(&escape(value)).unwrap(), value);
    }

    #[test]
    fn decimals_scale_exactly() {
        let d = Decimal::parse("1.5").unwrap();
        assert_eq!(d.scaled_exact(1024 * 1024 * 1024, 1), Ok(1_610_612_736));
        assert_eq!(d.scaled_exact(1, 1), Err(ScaleError::NotWhole));
        let big = Decimal::parse("99999999999999999999").unwrap();
        assert_eq!(big.scaled_exact(1 << 40, 1), Err(ScaleError::TooLarge));
        assert!(Decimal::parse(&"9".repeat(40)).is_none());
    }
}
