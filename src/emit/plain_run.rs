//! The scan under the escapers of `yaml.rs` and `hcl.rs`: how many leading
//! bytes of a string need no escape, eight bytes at a time. Most of what the
//! emitters quote is plain text (Salt's states hold whole scripts), and a loop
//! over single bytes was the largest cost of writing Salt files.

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// The length of the longest prefix of `bytes` made of printable ASCII
/// (0x20..=0x7E) other than the bytes of `special`.
#[inline]
pub(crate) fn plain_prefix<const N: usize>(bytes: &[u8], special: [u8; N]) -> usize {
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let marked = marks(u64::from_le_bytes(chunk), special);
        if marked != 0 {
            // The lowest mark is always a true one (see `marks`).
            return at + (marked.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + byte_prefix(&bytes[at..], special)
}

/// The high bit of each byte of `word` (little-endian: the first byte is the
/// lowest) that is below 0x20, above 0x7E or in `special` — and possibly of
/// bytes after such a byte. These are the bit tricks of "determine if a word
/// has a byte less than / greater than / equal to n" (Bit Twiddling Hacks):
/// a borrow or carry only runs from a marked byte into the bytes above it, so
/// the lowest mark is exact.
#[inline]
fn marks<const N: usize>(word: u64, special: [u8; N]) -> u64 {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let above_tilde = word.wrapping_add(ONES) | word;
    let mut marked = below_space | above_tilde;
    for byte in special {
        let equal = word ^ (ONES * u64::from(byte));
        marked |= equal.wrapping_sub(ONES) & !equal;
    }
    marked & HIGHS
}

#[inline]
#[allow(
    clippy::manual_contains,
    reason = "for bytes, `contains` is a memchr call"
)]
fn byte_prefix<const N: usize>(bytes: &[u8], special: [u8; N]) -> usize {
    bytes
        .iter()
        .position(|&b| !(0x20..0x7f).contains(&b) || special.iter().any(|&s| s == b))
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Eight at a time finds the byte that one at a time finds, wherever
        /// it sits in a word.
        #[test]
        fn words_agree_with_bytes(
            bytes in proptest::collection::vec(prop_oneof![
                6 => 0x20u8..0x7f,
                // The bytes at and beside each boundary of the tests.
                2 => proptest::sample::select(vec![
                    0x00u8, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26,
                    0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xfe, 0xff,
                ]),
                1 => any::<u8>(),
            ], 0..40)
        ) {
            prop_assert_eq!(plain_prefix(&bytes, []), byte_prefix(&bytes, []));
            prop_assert_eq!(plain_prefix(&bytes, *b"\"\\"), byte_prefix(&bytes, *b"\"\\"));
            prop_assert_eq!(plain_prefix(&bytes, *b"\"\\$%"), byte_prefix(&bytes, *b"\"\\$%"));
        }
    }

    #[test]
    fn each_boundary_byte_in_each_lane() {
        for lane in 0..16 {
            for byte in [0x00, 0x1f, 0x20, 0x22, 0x5c, 0x7e, 0x7f, 0x80, 0xff] {
                let mut bytes = vec![b'a'; 16];
                bytes[lane] = byte;
                let special = *b"\"\\";
                let want = if (0x20..0x7f).contains(&byte) && !special.contains(&byte) {
                    16
                } else {
                    lane
                };
                assert_eq!(plain_prefix(&bytes, special), want, "{byte:#x} at {lane}");
            }
        }
    }
}
