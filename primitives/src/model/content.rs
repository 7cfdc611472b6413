//! The content id of a model's bytes, their chunk layout, and where nodes keep the chunks.
//!
//! A model's bytes are uploaded in chunks of `chunk_size` bytes (the registry's `ChunkSize`
//! constant; the last chunk holds the remainder). With `h_i = blake2_256(chunk_i)` and `n`
//! chunks, the content id is
//!
//! ```text
//! content_id = blake2_256( b"opg:model:v2" ++ u32_le(chunk_size) ++ u64_le(byte_size)
//!                          ++ h_0 ++ ... ++ h_{n-1} )
//! ```
//!
//! The chunk size is part of the preimage, so two chains (or two runtime versions) with
//! different chunk sizes never give one content id to different chunk layouts. The runtime
//! checks every chunk on arrival against the chunk hash list the owner committed to at
//! registration (itself checked against the content id), and a node that fetches a model from
//! elsewhere verifies it chunk by chunk, from the bytes alone. The Python tools
//! (`clients/python/opg/models.py`) implement the same function and test the same known-answer
//! vector as [`tests`].

use alloc::vec::Vec;
use sp_core::H256;

/// Blake2-256 content id of a model's bytes (see the module docs for its definition).
pub type ContentId = H256;

/// Domain separator and version of the content id, so a content id is never mistaken for another
/// hash. Version 2 binds the chunk size.
pub const CONTENT_ID_DOMAIN: &[u8] = b"opg:model:v2";

/// Prefix of every model chunk key in the off-chain database.
pub const MODEL_CHUNK_KEY_PREFIX: &[u8] = b"opg/model/chunk/";

/// The blake2-256 hash of one chunk.
pub fn chunk_hash(chunk: &[u8]) -> H256 {
	H256(sp_io::hashing::blake2_256(chunk))
}

/// Computes the content id of `bytes` split into chunks of `chunk_size` bytes.
///
/// Returns `None` when `chunk_size` is zero.
pub fn content_id(bytes: &[u8], chunk_size: u32) -> Option<ContentId> {
	let chunk_hashes: Vec<H256> = bytes
		.chunks(usize::try_from(chunk_size).ok().filter(|size| *size > 0)?)
		.map(chunk_hash)
		.collect();
	Some(content_id_from_chunk_hashes(chunk_size, bytes.len() as u64, &chunk_hashes))
}

/// Computes the content id of a model of `byte_size` bytes from its chunks' hashes.
pub fn content_id_from_chunk_hashes(
	chunk_size: u32,
	byte_size: u64,
	chunk_hashes: &[H256],
) -> ContentId {
	content_id_in_domain(CONTENT_ID_DOMAIN, chunk_size, byte_size, chunk_hashes)
}

/// The content id formula under another domain separator: content of another kind (a ZK
/// key state) whose ids can never be a model's, so that nothing the registry does with a
/// model's content id (such as clearing its chunks when its last version goes) touches it.
pub fn content_id_in_domain(
	domain: &[u8],
	chunk_size: u32,
	byte_size: u64,
	chunk_hashes: &[H256],
) -> ContentId {
	let mut preimage = Vec::with_capacity(
		domain.len().saturating_add(12).saturating_add(chunk_hashes.len().saturating_mul(32)),
	);
	preimage.extend_from_slice(domain);
	preimage.extend_from_slice(&chunk_size.to_le_bytes());
	preimage.extend_from_slice(&byte_size.to_le_bytes());
	for hash in chunk_hashes {
		preimage.extend_from_slice(hash.as_bytes());
	}
	H256(sp_io::hashing::blake2_256(&preimage))
}

/// Number of chunks of `chunk_size` bytes that hold `byte_size` bytes (`None` for a zero chunk
/// size or a count that does not fit `u32`).
pub fn chunk_count(byte_size: u64, chunk_size: u32) -> Option<u32> {
	let chunk_size = u64::from(chunk_size);
	if chunk_size == 0 {
		return None;
	}
	u32::try_from(byte_size.div_ceil(chunk_size)).ok()
}

/// The size chunk `index` of a model of `byte_size` bytes has: `chunk_size`, the remainder for
/// the last chunk, zero past the end.
pub fn chunk_len(byte_size: u64, chunk_size: u32, index: u32) -> u64 {
	let chunk_size = u64::from(chunk_size);
	let start = u64::from(index).saturating_mul(chunk_size);
	byte_size.saturating_sub(start).min(chunk_size)
}

/// The off-chain database key of chunk `index` of the model with `content_id`: where offchain
/// indexing puts the bytes during upload and where nodes and the RPC read them.
pub fn chunk_storage_key(content_id: &ContentId, index: u32) -> Vec<u8> {
	let mut key = Vec::with_capacity(MODEL_CHUNK_KEY_PREFIX.len().saturating_add(36));
	key.extend_from_slice(MODEL_CHUNK_KEY_PREFIX);
	key.extend_from_slice(content_id.as_bytes());
	key.extend_from_slice(&index.to_be_bytes());
	key
}

/// Hash `index` of a chunk-hash list stored SCALE-encoded under `key`, its length read from
/// the list's own compact prefix ([`stored_chunk_hash`] for a caller that knows the length).
pub fn stored_chunk_hash_at(key: &[u8], index: u32) -> Option<H256> {
	use codec::{Compact, Decode};
	let mut prefix = [0u8; 5];
	sp_io::storage::read(key, &mut prefix, 0)?;
	let count = Compact::<u32>::decode(&mut &prefix[..]).ok()?.0;
	stored_chunk_hash(key, count, index)
}

/// Hash `index` of a chunk-hash list of `chunk_count` entries stored SCALE-encoded (a
/// `BoundedVec<H256, _>`) under the storage key `key`, read without the rest of the list: it
/// lies at byte `compact_len(chunk_count) + 32 * index`. An upload reads one hash per chunk
/// this way, without decoding the list (a storage proof still carries the whole value).
pub fn stored_chunk_hash(key: &[u8], chunk_count: u32, index: u32) -> Option<H256> {
	use codec::{Compact, CompactLen};
	if index >= chunk_count {
		return None;
	}
	let offset = u32::try_from(Compact::<u32>::compact_len(&chunk_count))
		.ok()?
		.checked_add(index.checked_mul(32)?)?;
	let mut hash = H256::zero();
	let available = sp_io::storage::read(key, hash.as_bytes_mut(), offset)?;
	(available >= 32).then_some(hash)
}

#[cfg(test)]
mod tests {
	#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
	use super::*;

	/// The known-answer vector that `scripts/opg_tools` tests too: 150,000 bytes
	/// `(i * 31 + 7) mod 251` in 64 KiB chunks.
	#[test]
	fn known_answer_vector() {
		let bytes: Vec<u8> = (0..150_000u32).map(|i| ((i * 31 + 7) % 251) as u8).collect();
		let hashes: Vec<H256> = bytes.chunks(65536).map(chunk_hash).collect();
		let hex = |hash: &H256| format!("{hash:x}");
		assert_eq!(
			hashes.iter().map(hex).collect::<Vec<_>>(),
			[
				"1f19838270108e4cde9671a2e6cc3d80a08a7a5fe678857f0cd6e0b203191b67",
				"db4a46443fafefa802ef3b37b42d6420683dabe84794691d7a16b47e0e6f2022",
				"378e18f7632ae9d4d079892a3b973a8c65690e4acdb2d9aa442c1072432c940e",
			]
		);
		assert_eq!(
			hex(&content_id(&bytes, 65536).unwrap()),
			"6280369964097c216322a0e933f213bbbc623784199e39d89b7cb9c4f8cae9bf"
		);
	}

	#[test]
	fn the_chunk_size_is_bound() {
		let bytes = [7u8; 100];
		let hashes: Vec<H256> = bytes.chunks(50).map(chunk_hash).collect();
		assert_ne!(
			content_id_from_chunk_hashes(50, 100, &hashes),
			content_id_from_chunk_hashes(64, 100, &hashes)
		);
		assert_eq!(content_id(&bytes, 0), None);
	}

	#[test]
	fn chunk_arithmetic() {
		assert_eq!(chunk_count(20, 8), Some(3));
		assert_eq!(chunk_count(16, 8), Some(2));
		assert_eq!(chunk_count(1, 0), None);
		assert_eq!(chunk_len(20, 8, 0), 8);
		assert_eq!(chunk_len(20, 8, 2), 4);
		assert_eq!(chunk_len(20, 8, 3), 0);
	}
}
