//! Support for the fuzz targets: the property tests named `fuzz_*` in every crate, which feed
//! untrusted bytes to the decoders (extrinsic arguments, tensors, ONNX models, quotes) and
//! check that they answer with an error rather than a panic. `scripts/fuzz.sh` runs them all
//! with many cases; `cargo test` runs a few of each. Test support only: nothing on the chain
//! calls it.

use alloc::vec::Vec;

/// How many cases a fuzz target runs: `PROPTEST_CASES` when it is set (as `scripts/fuzz.sh`
/// sets it), else `default`, a few so that `cargo test` stays quick. A target builds its
/// configuration as `ProptestConfig { cases: fuzz_cases(n), ..ProptestConfig::default() }`
/// (`ProptestConfig::with_cases` would ignore the variable).
pub fn fuzz_cases(default: u32) -> u32 {
	std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}

/// Values that length and count fields break on, little-endian where they take more than a
/// byte.
const INTERESTING: [u32; 10] =
	[0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, u32::MAX];

/// Applies `edits` to `bytes` in order, as a byte-level fuzzer mutates a valid input. Each
/// edit is `(kind, position, value)`: the position is taken modulo the length, so any triple
/// is a valid edit:
///
/// - 0: flip bit `value % 8` of a byte;
/// - 1: set a byte to `value`;
/// - 2: insert `value` before a byte (or at the end);
/// - 3: delete a byte;
/// - 4: truncate at the position;
/// - 5: insert a copy of the `value % 32` bytes that start at the position, after them;
/// - 6: overwrite a byte with an interesting value (0, 1, 0x7f, 0x80, 0xff, ...);
/// - 7: overwrite four bytes with an interesting little-endian `u32`.
pub fn mutate(bytes: &mut Vec<u8>, edits: &[(u8, u32, u8)]) {
	for (kind, position, value) in edits.iter().copied() {
		let len = bytes.len();
		let at = (position as usize).checked_rem(len).unwrap_or(0);
		let end = (position as usize).checked_rem(len.saturating_add(1)).unwrap_or(0);
		let interesting = INTERESTING
			.get(usize::from(value).checked_rem(INTERESTING.len()).unwrap_or(0))
			.copied()
			.unwrap_or(0);
		match kind & 7 {
			0 => {
				if let Some(byte) = bytes.get_mut(at) {
					*byte ^= 1u8.rotate_left(u32::from(value))
				}
			}
			1 => {
				if let Some(byte) = bytes.get_mut(at) {
					*byte = value
				}
			}
			2 => bytes.insert(end, value),
			3 => {
				if at < len {
					bytes.remove(at);
				}
			}
			4 => bytes.truncate(end),
			5 => {
				let stop = at.saturating_add(usize::from(value & 31)).min(len);
				let copy: Vec<u8> = bytes.get(at..stop).unwrap_or_default().to_vec();
				bytes.splice(stop..stop, copy);
			}
			6 => {
				if let Some(byte) = bytes.get_mut(at) {
					*byte = interesting as u8
				}
			}
			_ => {
				for (offset, byte) in interesting.to_le_bytes().into_iter().enumerate() {
					if let Some(slot) = bytes.get_mut(at.saturating_add(offset)) {
						*slot = byte;
					}
				}
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn every_edit_applies_within_bounds() {
		let mut bytes = b"abcdef".to_vec();
		mutate(&mut bytes, &[(0, 0, 0)]);
		assert_eq!(bytes, b"`bcdef");
		mutate(&mut bytes, &[(1, 7, b'x'), (2, 6, b'!'), (3, 0, 0)]);
		assert_eq!(bytes, b"xcdef!");
		mutate(&mut bytes, &[(5, 1, 2)]);
		assert_eq!(bytes, b"xcdcdef!");
		mutate(&mut bytes, &[(4, 4, 0), (7, 2, 9), (6, 0, 2)]);
		assert_eq!(bytes, b"\x7fc\xff\xff");
		// On no bytes, only an insertion does anything.
		for kind in 0..8 {
			let mut empty = Vec::new();
			mutate(&mut empty, &[(kind, 5, 200)]);
			assert_eq!(empty, if kind == 2 { vec![200] } else { vec![] }, "edit {kind}");
		}
	}
}
