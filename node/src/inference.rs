//! The inference engine: ONNX Runtime behind the runtime's `opg_inference` host function.
//!
//! The runtime's offchain worker calls `opg_inference::run(model, input)`; the host function
//! (declared in `opg_primitives::inference`) finds this engine as the `InferenceExt`
//! externalities extension, which `service.rs` registers for offchain workers only, so block
//! import never reaches it. The engine:
//!
//! - loads ONNX Runtime from the shared library of the `onnxruntime` Python wheel that
//!   `scripts/setup.sh` installs (`ort`'s `load-dynamic`: nothing is downloaded or built), by
//!   full path, once at node start; a missing or unusable library is one clear error there;
//! - reads a model's bytes from the node's off-chain database, checks them against the content
//!   id, and keeps the session in a cache bounded by `--inference-cache-mb` (least recently
//!   used sessions go first);
//! - runs deterministically: one intra-op and one inter-op thread, sequential execution, graph
//!   optimizations off, deterministic compute, CPU only;
//! - converts tensors between the chain's fixed-point form and ONNX Runtime's dtypes exactly:
//!   a float becomes the shortest decimal that reads back to the same float.
//!
//! Every failure is an [`EngineError`]; nothing here panics in a worker.

use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
};

use opg_primitives::{
	inference::{
		EngineError, FixedPoint, InferenceEngine, ModelRef, Tensor, TensorString, TensorValues,
		Tensors, MAX_DECIMALS,
	},
	model::content_id,
};
use ort::{
	session::{builder::GraphOptimizationLevel, Session, SessionInputValue},
	value::{DynValue, TensorElementType, ValueType},
};

/// The environment variable that names the ONNX Runtime library when `--onnxruntime` does not.
pub const LIBRARY_ENV: &str = "OPG_ONNXRUNTIME";

/// Where the library is when neither `--onnxruntime` nor [`LIBRARY_ENV`] says: the
/// `onnxruntime` wheel in the tools' environment that `scripts/setup.sh` creates.
fn default_library() -> Option<PathBuf> {
	let home = std::env::var_os("HOME")?;
	let lib = Path::new(&home).join(".cache/opg-chain/venv/lib");
	let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
		.ok()?
		.flatten()
		.map(|python| python.path().join("site-packages/onnxruntime/capi"))
		.flat_map(|capi| std::fs::read_dir(capi).into_iter().flatten().flatten())
		.map(|entry| entry.path())
		.filter(|path| {
			path.file_name()
				.and_then(|name| name.to_str())
				.is_some_and(|name| name.starts_with("libonnxruntime.so."))
		})
		.collect();
	found.sort();
	found.pop()
}

/// The ONNX Runtime library to load: `--onnxruntime`, else [`LIBRARY_ENV`], else the set-up
/// script's wheel. The error says what to do.
pub fn library_path(flag: Option<&Path>) -> Result<PathBuf, String> {
	let chosen = flag
		.map(Path::to_path_buf)
		.or_else(|| std::env::var_os(LIBRARY_ENV).map(PathBuf::from))
		.or_else(default_library)
		.ok_or_else(|| {
			format!(
				"no ONNX Runtime library found: run scripts/setup.sh (it installs the onnxruntime \
				 wheel into ~/.cache/opg-chain/venv), or pass --onnxruntime \
				 <path to libonnxruntime.so.1.x> (or set {LIBRARY_ENV}); a node that runs no \
				 inference or verification can pass --no-inference instead"
			)
		})?;
	if !chosen.is_file() {
		return Err(format!(
			"the ONNX Runtime library {} does not exist: pass --onnxruntime with the path of \
			 libonnxruntime.so.1.x (the onnxruntime wheel has it under onnxruntime/capi/)",
			chosen.display()
		));
	}
	Ok(chosen)
}

/// A loaded session and what the engine needs to call it.
struct CachedSession {
	session: Arc<Mutex<Session>>,
	/// The graph's inputs, in order, with their element types.
	inputs: Vec<(String, TensorElementType)>,
	/// The model's size in bytes: the cache's measure of what the session costs.
	size: usize,
	last_used: u64,
}

/// Sessions by content id, within a byte bound.
#[derive(Default)]
struct SessionCache {
	sessions: HashMap<opg_primitives::model::ContentId, CachedSession>,
	bytes: usize,
	clock: u64,
}

/// ONNX Runtime, loaded once, with a cache of sessions.
pub struct OrtEngine {
	environment: ort::environment::Environment,
	cache: Mutex<SessionCache>,
	max_cache_bytes: usize,
}

impl OrtEngine {
	/// Loads ONNX Runtime from `library` and checks that it works. Call once per process.
	pub fn load(library: &Path, max_cache_bytes: usize) -> Result<Self, String> {
		let builder = ort::init_from(library).map_err(|e| {
			format!(
				"cannot load ONNX Runtime from {}: {e} (pass --onnxruntime with the \
				 libonnxruntime.so.1.x of onnxruntime 1.31 or newer)",
				library.display()
			)
		})?;
		let environment =
			builder.with_name("opg-inference").with_telemetry(false).build().map_err(|e| {
				format!("ONNX Runtime from {} does not start: {e}", library.display())
			})?;
		Ok(Self { environment, cache: Mutex::new(SessionCache::default()), max_cache_bytes })
	}

	/// The session of `model`: from the cache, or built from the bytes `read_chunk` returns,
	/// once they hash to the model's content id.
	fn session(
		&self,
		model: &ModelRef,
		read_chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
	) -> Result<(Arc<Mutex<Session>>, Vec<(String, TensorElementType)>), EngineError> {
		{
			let mut cache = self.cache.lock().map_err(|_| EngineError::Unavailable)?;
			cache.clock += 1;
			let now = cache.clock;
			if let Some(cached) = cache.sessions.get_mut(&model.content_id) {
				cached.last_used = now;
				return Ok((cached.session.clone(), cached.inputs.clone()));
			}
		}
		let bytes = read_model(model, read_chunk)?;
		let session = build_session(&self.environment, &bytes)?;
		let inputs = session
			.inputs()
			.iter()
			.map(|input| {
				let ty = match input.dtype() {
					ValueType::Tensor { ty, .. } => Ok(*ty),
					other => Err(EngineError::model(&format!(
						"input {} is a {other:?}, not a tensor",
						input.name()
					))),
				}?;
				Ok((input.name().to_string(), ty))
			})
			.collect::<Result<Vec<_>, EngineError>>()?;
		let session = Arc::new(Mutex::new(session));
		let mut cache = self.cache.lock().map_err(|_| EngineError::Unavailable)?;
		let size = bytes.len();
		while cache.bytes + size > self.max_cache_bytes && !cache.sessions.is_empty() {
			let oldest =
				cache.sessions.iter().min_by_key(|(_, cached)| cached.last_used).map(|(id, _)| *id);
			if let Some(cached) = oldest.and_then(|id| cache.sessions.remove(&id)) {
				cache.bytes -= cached.size;
			}
		}
		let now = cache.clock;
		cache.bytes += size;
		cache.sessions.insert(
			model.content_id,
			CachedSession {
				session: session.clone(),
				inputs: inputs.clone(),
				size,
				last_used: now,
			},
		);
		Ok((session, inputs))
	}
}

impl InferenceEngine for OrtEngine {
	fn run(
		&self,
		model: &ModelRef,
		input: &[Tensor],
		read_chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
	) -> Result<Tensors, EngineError> {
		let (session, declared) = self.session(model, read_chunk)?;
		if declared.len() != input.len() {
			return Err(EngineError::model(&format!(
				"the graph takes {} inputs, the request gives {}",
				declared.len(),
				input.len()
			)));
		}
		let values = input
			.iter()
			.zip(&declared)
			.map(|(tensor, (name, ty))| Ok((name.clone(), to_ort(tensor, *ty)?)))
			.collect::<Result<Vec<(String, SessionInputValue<'static>)>, EngineError>>()?;
		let mut session = session.lock().map_err(|_| EngineError::Unavailable)?;
		let outputs = session.run(values).map_err(|e| EngineError::model(&e.to_string()))?;
		let tensors = outputs
			.iter()
			.map(|(name, value)| from_ort(name, &value))
			.collect::<Result<Vec<_>, _>>()?;
		Tensors::try_from(tensors).map_err(|_| EngineError::model("the graph has too many outputs"))
	}
}

/// Reads all chunks of `model` and checks them against its content id.
pub(crate) fn read_model(
	model: &ModelRef,
	read_chunk: &mut dyn FnMut(u32) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, EngineError> {
	let chunks = opg_primitives::model::chunk_count(model.byte_size, model.chunk_size)
		.ok_or(EngineError::ModelCorrupt)?;
	let mut bytes = Vec::with_capacity(usize::try_from(model.byte_size).unwrap_or(0));
	for index in 0..chunks {
		bytes.extend(read_chunk(index).ok_or(EngineError::ModelMissing { chunk: index })?);
	}
	if content_id(&bytes, model.chunk_size) != Some(model.content_id) {
		return Err(EngineError::ModelCorrupt);
	}
	Ok(bytes)
}

/// A session with the deterministic settings (see the module docs).
fn build_session(
	environment: &ort::environment::Environment,
	bytes: &[u8],
) -> Result<Session, EngineError> {
	let model_error =
		|e: ort::Error| EngineError::model(&format!("ONNX Runtime refused the model: {e}"));
	Session::builder(environment)
		.map_err(model_error)?
		.with_intra_threads(1)
		.and_then(|b| b.with_inter_threads(1))
		.and_then(|b| b.with_parallel_execution(false))
		.and_then(|b| b.with_optimization_level(GraphOptimizationLevel::Disable))
		.and_then(|b| b.with_deterministic_compute(true))
		.map_err(|e| EngineError::model(&format!("session settings refused: {e}")))?
		.commit_from_memory(bytes)
		.map_err(model_error)
}

fn numbers(tensor: &Tensor) -> Result<&[FixedPoint], EngineError> {
	match &tensor.values {
		TensorValues::Numbers(values) => Ok(values),
		TensorValues::Strings(_) => Err(EngineError::model("strings given for a numeric input")),
	}
}

/// `number` as the float it denotes, correctly rounded.
fn parse_float<F: std::str::FromStr>(number: &FixedPoint) -> Result<F, EngineError> {
	format!("{}e-{}", number.value, number.decimals)
		.parse()
		.map_err(|_| EngineError::model("a number does not parse as a float"))
}

/// `number` as an integer of type `I`, if it is one and fits.
fn integer<I: TryFrom<i128>>(number: &FixedPoint) -> Result<I, EngineError> {
	if number.decimals != 0 {
		return Err(EngineError::model("an integer input has decimals"));
	}
	I::try_from(number.value).map_err(|_| EngineError::model("an integer input is out of range"))
}

fn tensor_value<T: ort::value::PrimitiveTensorElementType + Clone + std::fmt::Debug + 'static>(
	shape: Vec<i64>,
	values: Vec<T>,
) -> Result<SessionInputValue<'static>, EngineError> {
	ort::value::Tensor::from_array((shape, values))
		.map(|tensor| tensor.into_dyn().into())
		.map_err(|e| EngineError::model(&format!("input tensor refused: {e}")))
}

/// The chain's tensor as an ONNX Runtime value of element type `ty`.
fn to_ort(
	tensor: &Tensor,
	ty: TensorElementType,
) -> Result<SessionInputValue<'static>, EngineError> {
	// The binding counts a shape's elements in wrapping arithmetic: count them here.
	let count = tensor.shape.iter().try_fold(1u64, |count, dim| count.checked_mul(u64::from(*dim)));
	if count != Some(tensor.values.len() as u64) {
		return Err(EngineError::model("an input's shape does not hold its number of values"));
	}
	let shape: Vec<i64> = tensor.shape.iter().map(|dim| i64::from(*dim)).collect();
	match ty {
		TensorElementType::Float32 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(parse_float::<f32>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Float64 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(parse_float::<f64>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Int8 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(integer::<i8>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Uint8 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(integer::<u8>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Int16 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(integer::<i16>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Int32 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(integer::<i32>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Int64 => tensor_value(
			shape,
			numbers(tensor)?.iter().map(integer::<i64>).collect::<Result<_, _>>()?,
		),
		TensorElementType::Bool => tensor_value(
			shape,
			numbers(tensor)?
				.iter()
				.map(|n| match integer::<u8>(n)? {
					0 => Ok(false),
					1 => Ok(true),
					_ => Err(EngineError::model("a boolean input is neither 0 nor 1")),
				})
				.collect::<Result<Vec<bool>, _>>()?,
		),
		TensorElementType::String => {
			let TensorValues::Strings(strings) = &tensor.values else {
				return Err(EngineError::model("numbers given for a string input"));
			};
			let strings = strings
				.iter()
				.map(|s| String::from_utf8(s.to_vec()))
				.collect::<Result<Vec<_>, _>>()
				.map_err(|_| EngineError::model("a string input is not UTF-8"))?;
			ort::value::Tensor::from_string_array((shape, &strings[..]))
				.map(|tensor| tensor.into_dyn().into())
				.map_err(|e| EngineError::model(&format!("input tensor refused: {e}")))
		}
		other => Err(EngineError::model(&format!("inputs of type {other:?} are not supported"))),
	}
}

/// `x` in fixed point: the shortest decimal that reads back to `x` (Rust's `Display`), cut to
/// [`MAX_DECIMALS`] with rounding for the rare tinier values.
fn fixed_point(x: impl std::fmt::Display + Copy, finite: bool) -> Result<FixedPoint, EngineError> {
	if !finite {
		return Err(EngineError::model("the model produced a NaN or an infinity"));
	}
	let text = x.to_string();
	let (negative, digits) = match text.strip_prefix('-') {
		Some(rest) => (true, rest),
		None => (false, text.as_str()),
	};
	let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
	let mut fraction = fraction.to_string();
	let mut round_up = false;
	if fraction.len() > usize::from(MAX_DECIMALS) {
		round_up = fraction.as_bytes().get(usize::from(MAX_DECIMALS)).is_some_and(|d| *d >= b'5');
		fraction.truncate(usize::from(MAX_DECIMALS));
	}
	let mut value: i128 = format!("{whole}{fraction}")
		.parse()
		.map_err(|_| EngineError::model("an output is too large for a fixed-point number"))?;
	if round_up {
		value += 1;
	}
	Ok(FixedPoint {
		value: if negative { -value } else { value },
		decimals: u8::try_from(fraction.len()).unwrap_or(MAX_DECIMALS),
	})
}

fn bounded<T, S: sp_runtime::traits::Get<u32>>(
	values: Vec<T>,
) -> Result<sp_runtime::BoundedVec<T, S>, EngineError> {
	sp_runtime::BoundedVec::try_from(values)
		.map_err(|_| EngineError::model("an output tensor is too large"))
}

/// An ONNX Runtime output as the chain's tensor named `name`.
fn from_ort(name: &str, value: &DynValue) -> Result<Tensor, EngineError> {
	let extract_error = |e: ort::Error| EngineError::model(&format!("output {name}: {e}"));
	let ValueType::Tensor { ty, .. } = value.dtype() else {
		return Err(EngineError::model(&format!(
			"output {name} is not a tensor (export classifiers with zipmap=False)"
		)));
	};
	macro_rules! numbers {
		($t:ty, $convert:expr) => {{
			let (shape, data) = value.try_extract_tensor::<$t>().map_err(extract_error)?;
			let values =
				data.iter().map($convert).collect::<Result<Vec<FixedPoint>, EngineError>>()?;
			(shape.to_vec(), TensorValues::Numbers(bounded(values)?))
		}};
	}
	let whole = |v: i128| Ok(FixedPoint { value: v, decimals: 0 });
	let (shape, values) = match ty {
		TensorElementType::Float32 => numbers!(f32, |x: &f32| fixed_point(*x, x.is_finite())),
		TensorElementType::Float64 => numbers!(f64, |x: &f64| fixed_point(*x, x.is_finite())),
		TensorElementType::Int8 => numbers!(i8, |x: &i8| whole((*x).into())),
		TensorElementType::Uint8 => numbers!(u8, |x: &u8| whole((*x).into())),
		TensorElementType::Int16 => numbers!(i16, |x: &i16| whole((*x).into())),
		TensorElementType::Uint16 => numbers!(u16, |x: &u16| whole((*x).into())),
		TensorElementType::Int32 => numbers!(i32, |x: &i32| whole((*x).into())),
		TensorElementType::Uint32 => numbers!(u32, |x: &u32| whole((*x).into())),
		TensorElementType::Int64 => numbers!(i64, |x: &i64| whole((*x).into())),
		TensorElementType::Uint64 => numbers!(u64, |x: &u64| whole((*x).into())),
		TensorElementType::Bool => numbers!(bool, |x: &bool| whole((*x).into())),
		TensorElementType::String => {
			let (shape, strings) = value.try_extract_strings().map_err(extract_error)?;
			let strings = strings
				.into_iter()
				.map(|s| {
					TensorString::try_from(s.into_bytes())
						.map_err(|_| EngineError::model("an output string is too long"))
				})
				.collect::<Result<Vec<_>, _>>()?;
			(shape.to_vec(), TensorValues::Strings(bounded(strings)?))
		}
		other => {
			return Err(EngineError::model(&format!("outputs of type {other:?} are not supported")))
		}
	};
	let shape = shape
		.into_iter()
		.map(|dim| u32::try_from(dim).map_err(|_| EngineError::model("an output has a bad shape")))
		.collect::<Result<Vec<u32>, _>>()?;
	Ok(Tensor { name: bounded(name.as_bytes().to_vec())?, shape: bounded(shape)?, values })
}

impl crate::options::InferenceOptions {
	/// The engine these options ask for: `None` with `--no-inference`; an error that says what
	/// to do when ONNX Runtime cannot be loaded.
	pub fn engine(&self) -> Result<Option<OrtEngine>, String> {
		if self.no_inference {
			return Ok(None);
		}
		let library = library_path(self.onnxruntime.as_deref())?;
		let engine = OrtEngine::load(&library, self.inference_cache_mb << 20)?;
		log::info!("🧠 Inference engine: ONNX Runtime from {}", library.display());
		Ok(Some(engine))
	}
}

#[cfg(test)]
mod tests {
	// Tests may panic: a panic is a failed test.
	#![allow(clippy::unwrap_used)]
	use super::*;

	#[test]
	fn floats_become_their_shortest_decimal() {
		let f = |x: f32| fixed_point(x, x.is_finite()).unwrap();
		assert_eq!(f(0.1), FixedPoint { value: 1, decimals: 1 });
		assert_eq!(f(-2.5), FixedPoint { value: -25, decimals: 1 });
		assert_eq!(f(3.0), FixedPoint { value: 3, decimals: 0 });
		assert_eq!(f(1e-7), FixedPoint { value: 1, decimals: 7 });
		for x in [0.1f32, -2.5, 3.0, 1e-7, 0.33333334, 123456.79, f32::MIN_POSITIVE * 1e10] {
			let back: f32 = parse_float(&f(x)).unwrap();
			assert_eq!(back.to_bits(), x.to_bits(), "{x}");
		}
		assert!(fixed_point(f32::NAN, false).is_err());
	}
}

/// Fuzz target: the engine's tensor conversion. A request's input tensors come from anyone
/// (the runtime has checked them against the model's declared schema, but the graph's own
/// input types need not match it), and [`to_ort`] turns them into ONNX Runtime values of the
/// graph's types; [`from_ort`] turns the graph's outputs back. Arbitrary tensors (any shape, any
/// values, any element type, strings with NULs and invalid UTF-8) give a value or an
/// [`EngineError`], never a panic; well-formed ones round-trip exactly: integers and booleans
/// unchanged, a float's shortest decimal back to itself (so the float read from it has the same
/// bits), strings byte for byte.
#[cfg(test)]
mod fuzz {
	// Tests may panic: a panic is a failed test.
	#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

	use super::*;
	use opg_primitives::fuzzing::fuzz_cases;
	use proptest::prelude::*;
	use std::sync::OnceLock;

	/// ONNX Runtime, loaded once for the process as the node loads it (the library the set-up
	/// script installs, or `OPG_ONNXRUNTIME`).
	fn engine() -> &'static OrtEngine {
		static ENGINE: OnceLock<OrtEngine> = OnceLock::new();
		ENGINE.get_or_init(|| {
			let library = library_path(None).expect("the ONNX Runtime library");
			OrtEngine::load(&library, 1 << 20).expect("ONNX Runtime loads")
		})
	}

	/// The element types ONNX Runtime has, supported here or not.
	const TYPES: [TensorElementType; 14] = [
		TensorElementType::Float32,
		TensorElementType::Float64,
		TensorElementType::Int8,
		TensorElementType::Uint8,
		TensorElementType::Int16,
		TensorElementType::Uint16,
		TensorElementType::Int32,
		TensorElementType::Uint32,
		TensorElementType::Int64,
		TensorElementType::Uint64,
		TensorElementType::Bool,
		TensorElementType::String,
		TensorElementType::Float16,
		TensorElementType::Complex64,
	];

	fn tensor(name: &str, shape: Vec<u32>, values: TensorValues) -> Tensor {
		Tensor {
			name: bounded(name.as_bytes().to_vec()).unwrap(),
			shape: bounded(shape).unwrap(),
			values,
		}
	}

	fn numbers(values: Vec<FixedPoint>) -> TensorValues {
		TensorValues::Numbers(bounded(values).unwrap())
	}

	fn whole(value: i128) -> FixedPoint {
		FixedPoint { value, decimals: 0 }
	}

	/// A shape of at most four small dimensions and its number of values.
	fn shape() -> impl Strategy<Value = (Vec<u32>, usize)> {
		prop::collection::vec(0u32..4, 0..4).prop_map(|shape| {
			let count = shape.iter().product::<u32>() as usize;
			(shape, count)
		})
	}

	/// An integer type's values: its bounds, zero and anything between; and now and then a
	/// value the type does not hold (out of range, or with decimals), which must be refused.
	fn integers(min: i128, max: i128, count: usize) -> impl Strategy<Value = Vec<FixedPoint>> {
		let value = prop_oneof![
			8 => prop_oneof![Just(min), Just(max), Just(0), min..=max].prop_map(whole),
			1 => (prop_oneof![-300i128..300, any::<i128>()], prop_oneof![3 => Just(0u8), 1 => 1u8..4])
				.prop_map(|(value, decimals)| FixedPoint { value, decimals }),
		];
		prop::collection::vec(value, count)
	}

	/// A tensor for a supported type, and the type: well-formed mostly, its values now and then
	/// outside the type (see [`integers`]). Float values are given either as the shortest
	/// decimal of a float (what the engine itself writes) or as any decimal of up to
	/// [`MAX_DECIMALS`] digits (what a client may write).
	fn well_formed() -> impl Strategy<Value = (Tensor, TensorElementType)> {
		(0usize..9, shape()).prop_flat_map(|(kind, (shape, count))| {
			let (ty, values): (TensorElementType, BoxedStrategy<TensorValues>) = match kind {
				0 => (
					TensorElementType::Float32,
					prop::collection::vec(float_number(true), count).prop_map(numbers).boxed(),
				),
				1 => (
					TensorElementType::Float64,
					prop::collection::vec(float_number(false), count).prop_map(numbers).boxed(),
				),
				2 => {
					(TensorElementType::Int8, integers(-128, 127, count).prop_map(numbers).boxed())
				}
				3 => (TensorElementType::Uint8, integers(0, 255, count).prop_map(numbers).boxed()),
				4 => (
					TensorElementType::Int16,
					integers(i16::MIN.into(), i16::MAX.into(), count).prop_map(numbers).boxed(),
				),
				5 => (
					TensorElementType::Int32,
					integers(i32::MIN.into(), i32::MAX.into(), count).prop_map(numbers).boxed(),
				),
				6 => (
					TensorElementType::Int64,
					integers(i64::MIN.into(), i64::MAX.into(), count).prop_map(numbers).boxed(),
				),
				7 => (TensorElementType::Bool, integers(0, 1, count).prop_map(numbers).boxed()),
				_ => (
					TensorElementType::String,
					prop::collection::vec("[^\u{0}]{0,12}", count)
						.prop_map(|strings| {
							TensorValues::Strings(
								bounded(
									strings
										.into_iter()
										.map(|s| bounded(s.into_bytes()).unwrap())
										.collect(),
								)
								.unwrap(),
							)
						})
						.boxed(),
				),
			};
			(values, "[a-z]{1,8}")
				.prop_map(move |(values, name)| (tensor(&name, shape.clone(), values), ty))
		})
	}

	/// A float tensor's value: the shortest decimal of a float of any bit pattern (what the
	/// engine writes), or any decimal of up to [`MAX_DECIMALS`] digits (what a client may write).
	fn float_number(single: bool) -> impl Strategy<Value = FixedPoint> {
		// Any bit pattern; one that is not finite or too large for fixed point loses the top bit
		// of its exponent, which leaves a float below 2 in magnitude.
		let shortest = if single {
			any::<u32>()
				.prop_map(|bits| {
					let x = f32::from_bits(bits);
					let x = if x.is_finite() && x.abs() < 1e38 {
						x
					} else {
						f32::from_bits(bits & !(1 << 30))
					};
					fixed_point(x, true).unwrap()
				})
				.boxed()
		} else {
			any::<u64>()
				.prop_map(|bits| {
					let x = f64::from_bits(bits);
					let x = if x.is_finite() && x.abs() < 1e38 {
						x
					} else {
						f64::from_bits(bits & !(1 << 62))
					};
					fixed_point(x, true).unwrap()
				})
				.boxed()
		};
		let decimal = (prop_oneof![-1000i128..1000, any::<i64>().prop_map(i128::from)], 0u8..=38)
			.prop_map(|(value, decimals)| FixedPoint { value, decimals });
		prop_oneof![shortest, decimal]
	}

	/// Converts `tensor` to a value of type `ty` and back.
	fn round_trip(tensor: &Tensor, ty: TensorElementType) -> Result<Tensor, EngineError> {
		engine();
		let value = to_ort(tensor, ty)?;
		from_ort(std::str::from_utf8(&tensor.name).unwrap_or("t"), &value)
	}

	/// Whether the float `fixed` reads back as is the one `sent` reads as: the same bits (zero's
	/// sign aside: fixed point has no negative zero), or, for the rare floats whose shortest
	/// decimal has more than [`MAX_DECIMALS`] digits, that decimal cut to them.
	fn float_came_back(sent: &FixedPoint, fixed: &FixedPoint, single: bool) -> bool {
		let (a, b): (f64, f64) = if single {
			(parse_float::<f32>(sent).unwrap().into(), parse_float::<f32>(fixed).unwrap().into())
		} else {
			(parse_float(sent).unwrap(), parse_float(fixed).unwrap())
		};
		a.to_bits() == b.to_bits()
			|| (a == 0.0 && b == 0.0)
			|| (fixed.decimals == MAX_DECIMALS && (a - b).abs() <= 1e-38)
	}

	/// Whether `fixed` is the engine's own decimal of the float it reads as.
	fn is_shortest(fixed: &FixedPoint, single: bool) -> bool {
		let again = if single {
			fixed_point(parse_float::<f32>(fixed).unwrap(), true)
		} else {
			fixed_point(parse_float::<f64>(fixed).unwrap(), true)
		};
		fixed.decimals == MAX_DECIMALS || again.as_ref() == Ok(fixed)
	}

	/// An arbitrary tensor: any shape, values and strings.
	fn arbitrary() -> impl Strategy<Value = Tensor> {
		let dim = prop_oneof![0u32..4, any::<u32>(), Just(1 << 31)];
		let number = (any::<i128>(), any::<u8>())
			.prop_map(|(value, decimals)| FixedPoint { value, decimals });
		let values = prop_oneof![
			prop::collection::vec(number, 0..16).prop_map(numbers),
			prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..16).prop_map(|s| {
				TensorValues::Strings(
					bounded(s.into_iter().map(|s| bounded(s).unwrap()).collect()).unwrap(),
				)
			}),
		];
		(prop::collection::vec(any::<u8>(), 0..8), prop::collection::vec(dim, 0..6), values)
			.prop_map(|(name, shape, values)| Tensor {
				name: bounded(name).unwrap(),
				shape: bounded(shape).unwrap(),
				values,
			})
	}

	/// Found by `fuzz_tensor_round_trip`: a boolean input of 2 became `true`, which reads back
	/// as 1. A request's value must reach the model unchanged or be refused.
	#[test]
	fn a_boolean_input_other_than_0_or_1_is_refused() {
		engine();
		let two = tensor("a", vec![], numbers(vec![whole(2)]));
		assert!(to_ort(&two, TensorElementType::Bool).is_err());
		let bits = tensor("a", vec![2], numbers(vec![whole(0), whole(1)]));
		assert_eq!(round_trip(&bits, TensorElementType::Bool), Ok(bits));
	}

	/// A shape whose dimensions multiply past 2^64 to a multiple of it: ONNX Runtime's Rust
	/// binding counts the elements in wrapping arithmetic (zero, here) and takes it for an empty
	/// tensor's shape; ONNX Runtime itself then refuses it. The engine refuses, first and in
	/// its own words, any shape that does not hold exactly the values given.
	#[test]
	fn a_shape_that_multiplies_past_2_64_is_refused() {
		engine();
		let wraps = tensor("a", vec![1 << 31, 1 << 31, 4], numbers(vec![]));
		assert!(to_ort(&wraps, TensorElementType::Float32).is_err());
		let strings = Tensor { values: TensorValues::Strings(Default::default()), ..wraps };
		assert!(to_ort(&strings, TensorElementType::String).is_err());
		let mismatch = tensor("a", vec![2, 2], numbers(vec![whole(1); 3]));
		assert!(to_ort(&mismatch, TensorElementType::Int32).is_err());
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: fuzz_cases(5_000), ..ProptestConfig::default() })]

		/// Tensors round-trip exactly, or are refused: a value the type does not hold is never
		/// changed into one it does.
		#[test]
		fn fuzz_tensor_round_trip((tensor, ty) in well_formed()) {
			let fits = match &tensor.values {
				TensorValues::Strings(_) => true,
				TensorValues::Numbers(values) => values.iter().all(|n| match ty {
					TensorElementType::Float32 | TensorElementType::Float64 => true,
					TensorElementType::Bool => n.decimals == 0 && (0..=1).contains(&n.value),
					TensorElementType::Int8 => integer::<i8>(n).is_ok(),
					TensorElementType::Uint8 => integer::<u8>(n).is_ok(),
					TensorElementType::Int16 => integer::<i16>(n).is_ok(),
					TensorElementType::Int32 => integer::<i32>(n).is_ok(),
					_ => integer::<i64>(n).is_ok(),
				}),
			};
			let back = round_trip(&tensor, ty);
			if !fits {
				prop_assert!(back.is_err(), "{:?} as {:?} came back as {:?}", tensor, ty, back);
				return Ok(());
			}
			let (TensorValues::Numbers(sent), Ok(Tensor { values: TensorValues::Numbers(got), .. }))
				= (&tensor.values, &back)
			else {
				prop_assert_eq!(back, Ok(tensor));
				return Ok(());
			};
			let back = back.as_ref().unwrap();
			prop_assert_eq!(&back.name, &tensor.name);
			prop_assert_eq!(&back.shape, &tensor.shape);
			prop_assert_eq!(sent.len(), got.len());
			for (sent, got) in sent.iter().zip(got.iter()) {
				match ty {
					TensorElementType::Float32 | TensorElementType::Float64 => {
						let single = ty == TensorElementType::Float32;
						prop_assert!(
							float_came_back(sent, got, single),
							"{:?} came back as {:?}", sent, got
						);
						prop_assert!(is_shortest(got, single), "{:?} is not the shortest", got);
					},
					_ => prop_assert_eq!(sent, got),
				}
			}
		}

		/// Arbitrary tensors, converted to any element type and back: an error or a value, never
		/// a panic.
		#[test]
		fn fuzz_tensor_conversion(tensor in arbitrary(), ty in prop::sample::select(&TYPES[..])) {
			engine();
			if let Ok(value) = to_ort(&tensor, ty) {
				let _ = from_ort("t", &value);
			}
		}

		/// Floats of every bit pattern become fixed-point numbers that read back to them, or a
		/// clear error when they have none (NaN, infinities, magnitudes past an `i128`).
		#[test]
		fn fuzz_float_to_fixed_point(single in any::<u32>(), double in any::<u64>()) {
			let x = f32::from_bits(single);
			match fixed_point(x, x.is_finite()) {
				Ok(fixed) => {
					let back: f32 = parse_float(&fixed).unwrap();
					let (a, b) = (f64::from(x), f64::from(back));
					prop_assert!(
						back.to_bits() == x.to_bits() || (a == 0.0 && b == 0.0)
							|| (fixed.decimals == MAX_DECIMALS && (a - b).abs() <= 1e-38),
						"{} became {:?}", x, fixed
					);
				},
				Err(_) => prop_assert!(!x.is_finite() || x.abs() > 1e38),
			}
			let y = f64::from_bits(double);
			match fixed_point(y, y.is_finite()) {
				Ok(fixed) => {
					let back: f64 = parse_float(&fixed).unwrap();
					prop_assert!(
						back.to_bits() == y.to_bits() || (y == 0.0 && back == 0.0)
							|| (fixed.decimals == MAX_DECIMALS && (y - back).abs() <= 1e-38),
						"{} became {:?}", y, fixed
					);
					prop_assert!(is_shortest(&fixed, false), "{:?} is not the shortest", fixed);
				},
				Err(_) => prop_assert!(!y.is_finite() || y.abs() > 1e38),
			}
		}
	}
}

/// A tensor as `run-model` reads and writes it in JSON: the chain's [`Tensor`] with its name
/// and strings as text.
#[derive(serde::Serialize, serde::Deserialize)]
struct JsonTensor {
	name: String,
	shape: Vec<u32>,
	values: JsonValues,
}

#[derive(serde::Serialize, serde::Deserialize)]
enum JsonValues {
	Numbers(Vec<FixedPoint>),
	Strings(Vec<String>),
}

impl JsonTensor {
	fn into_tensor(self) -> Result<Tensor, String> {
		let too_large =
			|what: &str| format!("tensor {}: {what} over the chain's limits", self.name);
		let values = match self.values {
			JsonValues::Numbers(values) => {
				TensorValues::Numbers(values.try_into().map_err(|_| too_large("values"))?)
			}
			JsonValues::Strings(values) => TensorValues::Strings(
				values
					.into_iter()
					.map(|s| TensorString::try_from(s.into_bytes()))
					.collect::<Result<Vec<_>, _>>()
					.map_err(|_| too_large("a string"))?
					.try_into()
					.map_err(|_| too_large("values"))?,
			),
		};
		Ok(Tensor {
			name: self.name.as_bytes().to_vec().try_into().map_err(|_| too_large("the name"))?,
			shape: self.shape.clone().try_into().map_err(|_| too_large("the rank"))?,
			values,
		})
	}

	fn from_tensor(tensor: &Tensor) -> Self {
		JsonTensor {
			name: String::from_utf8_lossy(&tensor.name).into_owned(),
			shape: tensor.shape.to_vec(),
			values: match &tensor.values {
				TensorValues::Numbers(values) => JsonValues::Numbers(values.to_vec()),
				TensorValues::Strings(values) => JsonValues::Strings(
					values.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect(),
				),
			},
		}
	}
}

/// A model file as the engine reads a model from the off-chain database: its reference and
/// its chunks (64 KiB, the runtime's chunk size).
pub(crate) fn model_file(bytes: &[u8]) -> Result<(ModelRef, Vec<Vec<u8>>), String> {
	const CHUNK: u32 = 64 * 1024;
	let model = ModelRef {
		content_id: content_id(bytes, CHUNK).ok_or("empty chunk size")?,
		byte_size: bytes.len() as u64,
		chunk_size: CHUNK,
	};
	Ok((model, bytes.chunks(CHUNK as usize).map(<[u8]>::to_vec).collect()))
}

/// Reads tensors in `run-model`'s JSON form from `path` (`-`: standard input).
pub(crate) fn read_json_tensors(path: &Path) -> Result<Tensors, String> {
	let text = if path.as_os_str() == "-" {
		std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?
	} else {
		std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
	};
	let input: Vec<JsonTensor> =
		serde_json::from_str(&text).map_err(|e| format!("the input is not tensor JSON: {e}"))?;
	Tensors::try_from(
		input.into_iter().map(JsonTensor::into_tensor).collect::<Result<Vec<_>, _>>()?,
	)
	.map_err(|_| "more input tensors than the chain allows".to_string())
}

/// `opg-node run-model`: runs a model file with the engine, as an offchain worker would.
#[derive(Debug, Clone, clap::Args)]
pub struct RunModelCmd {
	/// The ONNX model file.
	pub model: PathBuf,

	/// The input tensors as JSON, in the chain's form: a list of
	/// `{"name", "shape", "values": {"Numbers": [{"value", "decimals"}, ...]}}` (or
	/// `{"Strings": ["text", ...]}`), in the order the graph declares them. `-` reads standard
	/// input. The output is printed in the same form.
	#[arg(long, value_name = "FILE")]
	pub input: PathBuf,

	/// Run this many times and report the time per run (on standard error, as JSON), with the
	/// chain's encoding and decoding of input and output on each run, as the host function
	/// does them.
	#[arg(long, default_value_t = 1)]
	pub repeat: u32,
}

impl RunModelCmd {
	/// Runs the command; prints the output tensors as JSON.
	pub fn run(&self, options: &crate::options::InferenceOptions) -> Result<(), String> {
		use codec::{Decode, Encode};
		let bytes = std::fs::read(&self.model)
			.map_err(|e| format!("cannot read {}: {e}", self.model.display()))?;
		let input = read_json_tensors(&self.input)?;
		let engine = options.engine()?.ok_or("run-model needs the engine: drop --no-inference")?;
		let (model, chunks) = model_file(&bytes)?;
		let mut read_chunk = |index: u32| chunks.get(index as usize).cloned();
		let encoded_input = input.encode();
		let mut once = || -> Result<Tensors, String> {
			// What the host function does: decode the input, run, encode the output; and what the
			// runtime then does: decode it.
			let input = Tensors::decode(&mut &encoded_input[..]).map_err(|e| e.to_string())?;
			let output =
				engine.run(&model, &input, &mut read_chunk).map_err(|e| format!("{e:?}"))?;
			Tensors::decode(&mut &output.encode()[..]).map_err(|e| e.to_string())
		};
		let output = once()?;
		if self.repeat > 1 {
			let mut times = Vec::with_capacity(self.repeat as usize);
			for _ in 0..self.repeat {
				let started = std::time::Instant::now();
				once()?;
				times.push(started.elapsed().as_nanos() as f64);
			}
			times.sort_by(f64::total_cmp);
			let mean = times.iter().sum::<f64>() / times.len() as f64;
			eprintln!(
				"{}",
				serde_json::json!({
					"runs": self.repeat,
					"mean_us": mean / 1e3,
					"median_us": times.get(times.len() / 2).copied().unwrap_or_default() / 1e3,
					"min_us": times.first().copied().unwrap_or_default() / 1e3,
				})
			);
		}
		let output: Vec<JsonTensor> = output.iter().map(JsonTensor::from_tensor).collect();
		println!("{}", serde_json::to_string(&output).map_err(|e| e.to_string())?);
		Ok(())
	}
}
