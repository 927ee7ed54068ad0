//! Quantities in the units a person reads: sizes, CPU, durations.

const KIB: u64 = 1024;

/// `96 GiB`, `2 TB`, `1.5 GiB`, `512 B`: decimal units when the size is a whole
/// number of them (disks are sold that way), binary units otherwise.
pub fn bytes(n: u64) -> String {
    let exact = UNITS
        .iter()
        .find(|&&(factor, _)| n >= factor && n % factor == 0 && n / factor < 1024);
    if let Some((factor, unit)) = exact {
        return format!("{} {unit}", n / factor);
    }
    // Sizes written in decimal units (disks: 1.92TB) read back in them.
    let decimal_made = n % 1_000_000 == 0;
    let binary = UNITS
        .iter()
        .filter(|(_, unit)| unit.ends_with("iB") != decimal_made);
    match binary.into_iter().find(|&&(factor, _)| n >= factor) {
        Some(&(factor, unit)) => format!("{} {unit}", two_decimals(n, factor)),
        None => format!("{n} B"),
    }
}

/// Two sizes to compare, in one unit (that of the larger). When rounding would
/// make different sizes read the same, both are given exactly in bytes.
pub fn bytes_pair(a: u64, b: u64) -> (String, String) {
    let larger = a.max(b);
    let decimal_made = a % 1_000_000 == 0 && b % 1_000_000 == 0;
    let unit = UNITS
        .iter()
        .filter(|(_, name)| name.ends_with("iB") != decimal_made)
        .find(|&&(factor, _)| larger >= factor)
        .copied();
    let Some((factor, name)) = unit else {
        return (format!("{a} B"), format!("{b} B"));
    };
    let (text_a, text_b) = (
        format!("{} {name}", two_decimals(a, factor)),
        format!("{} {name}", two_decimals(b, factor)),
    );
    if text_a == text_b && a != b {
        (exact_bytes(a), exact_bytes(b))
    } else {
        (text_a, text_b)
    }
}

/// Largest first; binary before decimal of the same magnitude.
const UNITS: [(u64, &str); 10] = [
    (KIB.pow(5), "PiB"),
    (1_000_000_000_000_000, "PB"),
    (KIB.pow(4), "TiB"),
    (1_000_000_000_000, "TB"),
    (KIB.pow(3), "GiB"),
    (1_000_000_000, "GB"),
    (KIB.pow(2), "MiB"),
    (1_000_000, "MB"),
    (KIB, "KiB"),
    (1_000, "KB"),
];

/// `25,769,803,777 B`.
pub fn exact_bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(" B");
    out
}

/// `n / factor` with at most two decimals, trailing zeros dropped (rounded to
/// the nearest hundredth: a budget of 80% of 96 GiB reads 76.8 GiB).
fn two_decimals(n: u64, factor: u64) -> String {
    let hundredths = (u128::from(n) * 100 + u128::from(factor) / 2) / u128::from(factor);
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Thousandths of a core as cores: `1.5`, `0.25`, `2`.
pub fn cores(milli: u64) -> String {
    if milli % 1000 == 0 {
        return (milli / 1000).to_string();
    }
    let text = format!("{}.{:03}", milli / 1000, milli % 1000);
    text.trim_end_matches('0').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes(96 << 30), "96 GiB");
        assert_eq!(bytes(2_000_000_000_000), "2 TB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(82_463_372_083), "76.8 GiB");
        assert_eq!(bytes(1_920_000_000_000), "1.92 TB");
        assert_eq!(bytes(1_728_000_000_000), "1.73 TB");
    }

    #[test]
    fn compared_sizes_share_a_unit_and_never_read_equal_when_they_differ() {
        assert_eq!(
            bytes_pair(1_700_000_000_000, 1_550 << 30),
            ("1.55 TiB".into(), "1.51 TiB".into())
        );
        assert_eq!(
            bytes_pair(24 << 30, (24 << 30) + 1),
            ("25,769,803,776 B".into(), "25,769,803,777 B".into())
        );
        assert_eq!(
            bytes_pair(3 << 30, 76 << 30),
            ("3 GiB".into(), "76 GiB".into())
        );
        assert_eq!(
            bytes_pair(1_700_000_000_000, 2_000_000_000_000),
            ("1.7 TB".into(), "2 TB".into())
        );
    }

    #[test]
    fn cores_read_naturally() {
        assert_eq!(cores(1500), "1.5");
        assert_eq!(cores(250), "0.25");
        assert_eq!(cores(2000), "2");
    }
}
