//! The ZK prover behind the runtime's `opg_zk_prover::prove` host function, and the model
//! owner's ZK commands (`zk-report`, `zk-setup`, `zk-prove`).
//!
//! For a ZK job the offchain worker has already run the model with ONNX Runtime; the prover
//! compiles the model's circuit (`opg_zk::circuit`, cached by content id), computes the
//! witness on the job's input, and refuses, logging both, when the circuit's output differs
//! from ONNX Runtime's in a single bit. It then loads the proving key whose content id the
//! registry holds: from the node's off-chain database, where the key ceremony's uploads put
//! it (`pallet-zk-ceremony`, as model chunks are), or else from `--zk-keys` (by default
//! `<base-path>/zk-keys/<content id>.pk`: one-party keys of dev chains, which never pass
//! through a ceremony), checks the content id, and proves with arkworks on every core (rayon).
//! It runs in the offchain worker's thread, never on the block-production path.

use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::{Arc, Mutex},
	time::Instant,
};

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use opg_primitives::{
	inference::{
		ContributionRequest, EngineError, InferenceEngine, KeyCheckRequest, KeyVerdict,
		MadeContribution, ModelRef, ProofRequest, ProverError, Tensor, TensorValues, Tensors,
		ZkProver,
	},
	model::{ContentId, Dim, IoSchema},
};
use opg_zk::{
	ceremony,
	circuit::{Graph, Synthesis},
	groth16, ptau,
};
use sp_core::H256;

/// Compiled graphs and proving keys kept in memory, each at most this many.
const CACHED: usize = 8;

/// The node's prover.
pub struct Groth16Prover {
	keys_dir: PathBuf,
	/// Powers-of-tau files an attester may recompute initial keys from (`--zk-ptau`).
	ptau_files: Vec<PathBuf>,
	graphs: Mutex<HashMap<ContentId, Arc<Graph>>>,
	keys: Mutex<HashMap<H256, Arc<ProvingKey<Bn254>>>>,
	/// One proof at a time: each uses every core already, and concurrent offchain worker runs
	/// would only add their memory.
	proving: Mutex<()>,
}

/// Keeps a cache within [`CACHED`] entries (dropping an arbitrary one: they are rebuilt on
/// demand).
fn insert_bounded<K: std::hash::Hash + Eq + Clone, V>(map: &mut HashMap<K, V>, key: K, value: V) {
	if map.len() >= CACHED {
		if let Some(evicted) = map.keys().next().cloned() {
			map.remove(&evicted);
		}
	}
	map.insert(key, value);
}

impl Groth16Prover {
	/// A prover that reads one-party proving keys from `keys_dir` and recomputes ceremonies'
	/// initial keys from `ptau_files`.
	pub fn new(keys_dir: PathBuf, ptau_files: Vec<PathBuf>) -> Self {
		Groth16Prover {
			keys_dir,
			ptau_files,
			graphs: Default::default(),
			keys: Default::default(),
			proving: Mutex::new(()),
		}
	}

	fn graph(
		&self,
		model: &ModelRef,
		read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Arc<Graph>, ProverError> {
		if let Some(graph) = self.graphs.lock().ok().and_then(|g| g.get(&model.content_id).cloned())
		{
			return Ok(graph);
		}
		let mut read_model_chunk = |index| read_chunk(&model.content_id, index);
		let bytes =
			crate::inference::read_model(model, &mut read_model_chunk).map_err(|e| match e {
				EngineError::ModelMissing { chunk } => ProverError::ModelMissing { chunk },
				other => ProverError::message(ProverError::Failed, &format!("{other:?}")),
			})?;
		let graph = Arc::new(
			Graph::from_onnx(&bytes)
				.map_err(|e| ProverError::message(ProverError::Circuit, &e.to_string()))?,
		);
		if let Ok(mut graphs) = self.graphs.lock() {
			insert_bounded(&mut graphs, model.content_id, graph.clone());
		}
		Ok(graph)
	}

	fn proving_key(
		&self,
		hash: H256,
		read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Arc<ProvingKey<Bn254>>, ProverError> {
		if let Some(key) = self.keys.lock().ok().and_then(|k| k.get(&hash).cloned()) {
			return Ok(key);
		}
		let bytes = match groth16::read_key(hash.0, |index| read_chunk(&hash, index)) {
			Some(bytes) => bytes,
			None => {
				let path = key_path(&self.keys_dir, hash);
				let bytes = std::fs::read(&path).map_err(|_| ProverError::ProvingKeyMissing)?;
				if H256(groth16::proving_key_hash(&bytes)) != hash {
					log::warn!(target: "zk", "{} does not hash to its name; ignored", path.display());
					return Err(ProverError::ProvingKeyMissing);
				}
				bytes
			}
		};
		let key = Arc::new(
			groth16::decode_proving_key(&bytes)
				.map_err(|e| ProverError::message(ProverError::Failed, &e.to_string()))?,
		);
		if let Ok(mut keys) = self.keys.lock() {
			insert_bounded(&mut keys, hash, key.clone());
		}
		Ok(key)
	}
}

impl Groth16Prover {
	/// The phase 1 of one of the ptau files the chain pins (`pinned`): a `--zk-ptau` file
	/// whose hash is among them, else the insecure dev ptau where the chain pins it.
	fn phase1(&self, pinned: &[[u8; 32]]) -> Result<ptau::Phase1, ProverError> {
		for path in &self.ptau_files {
			let Ok(bytes) = std::fs::read(path) else {
				log::warn!(target: "zk", "cannot read the ptau file {}", path.display());
				continue;
			};
			if !pinned.contains(&ptau::file_hash(&bytes)) {
				log::warn!(target: "zk", "{} is not a ptau file the chain pins", path.display());
				continue;
			}
			return ptau::Phase1::from_bytes(&bytes)
				.map_err(|e| ProverError::message(ProverError::Failed, &e.to_string()));
		}
		if pinned.contains(&opg_zk::dev::FILE_HASH) {
			log::warn!(target: "zk", "using the INSECURE dev ptau the chain pins (dev chains only)");
			return Ok(ptau::Phase1::insecure_for_tests(
				opg_zk::dev::POWER.into(),
				opg_zk::dev::SEED,
			));
		}
		Err(ProverError::PhaseOneMissing)
	}
}

/// A key state read whole from the off-chain database by its content id.
fn read_state(
	id: &ContentId,
	read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
) -> Result<Vec<u8>, ProverError> {
	groth16::read_key(id.0, |index| read_chunk(id, index)).ok_or(ProverError::ProvingKeyMissing)
}

fn reject(why: String) -> Result<KeyVerdict, ProverError> {
	log::warn!(target: "zk", "rejecting a ceremony's key: {why}");
	Ok(KeyVerdict::Reject(opg_primitives::inference::EngineMessage::truncate_from(
		why.into_bytes(),
	)))
}

/// Where a proving key with hash `hash` lives in `dir`.
pub fn key_path(dir: &Path, hash: H256) -> PathBuf {
	dir.join(format!("{}.pk", hex(&hash.0)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The integer values of `tensors`, one vector per graph input (in the graph's order, checked
/// by name and size).
fn input_values(graph: &Graph, tensors: &[Tensor]) -> Result<Vec<Vec<i128>>, String> {
	if tensors.len() != graph.inputs.len() {
		return Err(format!(
			"{} input tensors for {} graph inputs",
			tensors.len(),
			graph.inputs.len()
		));
	}
	graph
		.inputs
		.iter()
		.zip(tensors)
		.map(|(info, tensor)| {
			if tensor.name.as_slice() != info.name.as_bytes() {
				return Err(format!(
					"input {} given as {}",
					info.name,
					String::from_utf8_lossy(&tensor.name)
				));
			}
			integers(tensor)
		})
		.collect()
}

/// A tensor's values as integers (no decimals).
fn integers(tensor: &Tensor) -> Result<Vec<i128>, String> {
	let TensorValues::Numbers(numbers) = &tensor.values else {
		return Err("a string tensor".into());
	};
	numbers
		.iter()
		.map(|n| if n.decimals == 0 { Ok(n.value) } else { Err("a number with decimals".into()) })
		.collect()
}

/// Checks that the graph's inputs and outputs are the schema's, in order: names, integer types
/// and fixed shapes. The runtime packs a job's tensors by the schema and the circuit by the
/// graph, so a model whose two differ could never be verified.
fn check_signature(graph: &Graph, schema: &IoSchema) -> Result<(), String> {
	let side = |specs: &[opg_primitives::model::TensorSpec],
	            infos: &[opg_zk::circuit::TensorInfo],
	            what: &str| {
		if specs.len() != infos.len() {
			return Err(format!(
				"the graph has {} {what}s, the schema {}",
				infos.len(),
				specs.len()
			));
		}
		for (spec, info) in specs.iter().zip(infos) {
			let shape: Option<Vec<usize>> = spec
				.shape
				.iter()
				.map(|dim| match dim {
					Dim::Fixed(size) => Some(*size as usize),
					Dim::Dynamic => None,
				})
				.collect();
			if spec.name.as_slice() != info.name.as_bytes()
				|| opg_zk::IntType::from_dtype(spec.dtype) != Some(info.ty)
				|| shape.as_ref() != Some(&info.shape)
			{
				return Err(format!(
					"{what} {} is {:?} {:?} in the graph and {:?} {:?} in the schema",
					info.name, info.ty, info.shape, spec.dtype, spec.shape
				));
			}
		}
		Ok(())
	};
	side(&schema.inputs, &graph.inputs, "input")?;
	side(&schema.outputs, &graph.outputs, "output")
}

/// Whether the circuit's outputs are ONNX Runtime's, value for value.
fn outputs_agree(synthesis: &Synthesis, ort: &[Tensor]) -> bool {
	ort.len() == synthesis.outputs.len()
		&& ort
			.iter()
			.zip(&synthesis.outputs)
			.all(|(tensor, circuit)| integers(tensor).is_ok_and(|v| v == *circuit))
}

impl ZkProver for Groth16Prover {
	fn prove(
		&self,
		request: &ProofRequest,
		read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<Vec<u8>, ProverError> {
		let started = Instant::now();
		let graph = self.graph(&request.model, read_chunk)?;
		check_signature(&graph, &request.schema)
			.map_err(|e| ProverError::message(ProverError::KeyMismatch, &e))?;
		let inputs = input_values(&graph, &request.input)
			.map_err(|e| ProverError::message(ProverError::Circuit, &e))?;
		// No bigger than the circuit the registry holds the key of: a crafted graph cannot
		// make this node build more.
		let mut synthesis = graph
			.synthesize_within(&inputs, request.key.constraints as usize)
			.map_err(|e| ProverError::message(ProverError::Circuit, &e.to_string()))?;
		synthesis.bind(&request.binding);
		if !outputs_agree(&synthesis, &request.output) {
			log::warn!(
				target: "zk",
				"refusing to prove: ONNX Runtime's output {:?} differs from the circuit's {:?}",
				request.output.iter().map(integers).collect::<Vec<_>>(),
				synthesis.outputs,
			);
			return Err(ProverError::OutputMismatch);
		}
		let key = self.proving_key(request.key.proving_key_hash, read_chunk)?;
		let proof = {
			let _one_at_a_time = self.proving.lock();
			groth16::prove(&key, &synthesis)
				.map_err(|e| ProverError::message(ProverError::Failed, &e.to_string()))?
		};
		// What the runtime will check, checked here first: the public inputs packed from the
		// job's tensors by the schema, and the registry's verifying key. A proving key from
		// another setup is the model's fault, not this node's, and is reported, not sent.
		let public = opg_zk::job_public_inputs(
			&request.schema,
			&request.input,
			&request.output,
			&request.binding,
		)
		.map_err(|e| ProverError::message(ProverError::KeyMismatch, &format!("{e:?}")))?;
		if public.as_slice() != synthesis.public() {
			return Err(ProverError::message(
				ProverError::KeyMismatch,
				"the schema packs the tensors differently from the graph",
			));
		}
		opg_zk::verifier::verify::<Bn254>(&request.key.prepared, &proof, &public).map_err(|e| {
			ProverError::message(
				ProverError::KeyMismatch,
				&format!("the proof does not verify under the registry's key: {e:?}"),
			)
		})?;
		log::info!(
			target: "zk",
			"proved {} constraints in {} ms",
			synthesis.constraints(),
			started.elapsed().as_millis()
		);
		Ok(proof)
	}

	fn contribute(
		&self,
		request: &ContributionRequest,
		read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
		write_chunk: &mut dyn FnMut(&ContentId, u32, &[u8]),
	) -> Result<MadeContribution, ProverError> {
		let started = Instant::now();
		let parent = read_state(&request.head, read_chunk)?;
		// On the chain's `delta`, which the proof of knowledge is checked against.
		let (contribution, state) = ceremony::contribute_to_state(
			&parent,
			(&request.delta_g1, &request.delta_g2),
			&request.context,
			&mut rand::rngs::OsRng,
		)
		.map_err(|e| {
			ProverError::message(ProverError::Failed, &format!("the head is no key file: {e:?}"))
		})?;
		let chunks: Vec<&[u8]> = state.chunks(ceremony::KEY_CHUNK_SIZE as usize).collect();
		let chunk_hashes: Vec<H256> =
			chunks.iter().map(|chunk| opg_primitives::model::chunk_hash(chunk)).collect();
		let state_hash = ceremony::state_id(state.len() as u64, &chunk_hashes);
		for (index, chunk) in chunks.iter().enumerate() {
			write_chunk(&state_hash, index as u32, chunk);
		}
		log::info!(
			target: "zk",
			"contributed to key {:?}: new state {state_hash:?}, {} bytes, in {} ms",
			request.head,
			state.len(),
			started.elapsed().as_millis()
		);
		Ok(MadeContribution {
			contribution: ceremony::encode_contribution(&contribution),
			state_hash,
			state_size: state.len() as u64,
			chunk_hashes,
		})
	}

	fn check_key(
		&self,
		request: &KeyCheckRequest,
		read_chunk: &mut dyn FnMut(&ContentId, u32) -> Option<Vec<u8>>,
	) -> Result<KeyVerdict, ProverError> {
		let started = Instant::now();
		// What this node may lack first, before the work: the final key, then phase 1.
		let bytes = read_state(&request.key, read_chunk)?;
		let phase1 = self.phase1(&request.ptau_hashes)?;
		let graph = self.graph(&request.model, read_chunk)?;
		let circuit = match graph.compile() {
			Ok(circuit) => circuit,
			Err(e) => return reject(format!("the model does not compile: {e}")),
		};
		if circuit.constraints() > request.constraints as usize {
			return reject(format!(
				"the circuit has {} constraints, the registered key {}",
				circuit.constraints(),
				request.constraints
			));
		}
		let initial = groth16::initial_key(&circuit, &phase1)
			.map_err(|e| ProverError::message(ProverError::Failed, &e.to_string()))?;
		let keys = groth16::Keys::from_proving_key(&initial)
			.map_err(|e| ProverError::message(ProverError::Failed, &e.to_string()))?;
		if <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&keys.verifying_key)
			!= request.vk_hash
		{
			return reject("the registered verifying key is not the model's initial key".into());
		}
		let key = match groth16::decode_proving_key(&bytes) {
			Ok(key) => key,
			Err(e) => return reject(format!("the final key does not decode: {e}")),
		};
		// The version's verifying key will carry the chain's last `delta`: a final key with
		// another makes proofs that never verify.
		if ceremony::encode_point(&key.delta_g1) != request.delta_g1
			|| ceremony::encode_point(&key.vk.delta_g2) != request.delta_g2
		{
			return reject("the final key's delta is not the ceremony's".into());
		}
		if let Err(e) = ceremony::verify_transition(&initial, &key, &mut rand::rngs::OsRng) {
			return reject(format!("the final key does not come from the initial key: {e:?}"));
		}
		log::info!(
			target: "zk",
			"checked ceremony key {:?} against the model's initial key in {} ms",
			request.key,
			started.elapsed().as_millis()
		);
		Ok(KeyVerdict::Approve)
	}
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, String> {
	std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub(crate) fn compile(model: &Path) -> Result<(Graph, Synthesis), String> {
	let graph = Graph::from_onnx(&read(model)?).map_err(|e| e.to_string())?;
	let circuit = graph.compile().map_err(|e| e.to_string())?;
	Ok((graph, circuit))
}

/// The feasibility report as JSON, with the verification weight the runtime charges.
pub(crate) fn report(
	circuit: &Synthesis,
	max_constraints: usize,
) -> serde_json::Map<String, serde_json::Value> {
	use pallet_inference::WeightInfo;
	let feasibility = groth16::feasibility(circuit);
	let weight = pallet_inference::weights::SubstrateWeight::<opg_runtime::Runtime>::submit_proof();
	[
		("constraints", serde_json::json!(feasibility.constraints)),
		("witnesses", serde_json::json!(feasibility.witnesses)),
		("public_inputs", serde_json::json!(feasibility.public_inputs)),
		("non_zeros", serde_json::json!(feasibility.non_zeros)),
		("domain", serde_json::json!(feasibility.domain)),
		("proving_key_bytes", serde_json::json!(feasibility.proving_key_bytes)),
		("estimated_prove_ms", serde_json::json!(feasibility.estimated_prove_ms)),
		("estimated_memory_bytes", serde_json::json!(feasibility.estimated_memory_bytes)),
		("verification_weight_ref_time", serde_json::json!(weight.ref_time())),
		("proof_bytes", serde_json::json!(opg_zk::verifier::PROOF_LEN)),
		("max_constraints", serde_json::json!(max_constraints)),
		("feasible", serde_json::json!(feasibility.constraints <= max_constraints)),
	]
	.into_iter()
	.map(|(key, value)| (key.to_string(), value))
	.collect()
}

/// Refuses a circuit over the registry's limit, naming the modes to use instead.
pub(crate) fn check_feasible(circuit: &Synthesis) -> Result<(), String> {
	if circuit.constraints() > registry_limit() {
		return Err(format!(
			"{} constraints is over the chain's limit of {}: serve this model in ATTESTED or TEE \
			 mode",
			circuit.constraints(),
			registry_limit()
		));
	}
	Ok(())
}

/// The largest circuit the runtime's registry takes.
pub(crate) fn registry_limit() -> usize {
	use sp_runtime::traits::Get;
	<<opg_runtime::Runtime as pallet_model_registry::Config>::MaxZkConstraints as Get<u32>>::get()
		as usize
}

/// `opg-node zk-report`: can this model be served in ZK mode, and at what cost.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkReportCmd {
	/// The integer ONNX model (from `scripts/zk-prepare.sh`).
	pub model: PathBuf,
}

impl ZkReportCmd {
	/// Prints the feasibility report; fails, naming the way out, when the model is outside the
	/// subset or over the registry's limit.
	pub fn run(&self) -> Result<(), String> {
		let (_, circuit) = compile(&self.model)?;
		println!("{}", serde_json::Value::Object(report(&circuit, registry_limit())));
		check_feasible(&circuit)
	}
}

/// `opg-node zk-setup`: the Groth16 setup of a model, reproducible from a seed.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkSetupCmd {
	/// The integer ONNX model.
	pub model: PathBuf,

	/// The setup's seed, 64 hex digits, or `-` to read them from standard input (so the seed
	/// is not visible in the process list). Whoever knows it can forge proofs for this model:
	/// pick it at random and forget it, or run a multi-party ceremony instead (docs/zk.md).
	#[arg(long, value_name = "HEX")]
	pub seed: String,

	/// Where to write `<hash>.pk` (the proving key, named by its blake2-256 hash, as nodes look
	/// it up), `verifying_key.bin` and `setup.json` (this report, which the upload tool reads).
	#[arg(long, value_name = "DIR")]
	pub out: PathBuf,
}

fn parse_seed(text: &str) -> Result<[u8; 32], String> {
	let owned;
	let text = if text == "-" {
		owned = std::io::read_to_string(std::io::stdin()).map_err(|e| e.to_string())?;
		owned.trim()
	} else {
		text
	};
	// The message does not repeat the text: it is a secret.
	crate::options::hex_32(text).ok_or_else(|| "the seed must be 64 hex digits (32 bytes)".into())
}

impl ZkSetupCmd {
	/// Runs the setup; prints the report with the keys' files and hash.
	pub fn run(&self) -> Result<(), String> {
		let seed = parse_seed(&self.seed)?;
		let (_, circuit) = compile(&self.model)?;
		check_feasible(&circuit)?;
		let mut report = report(&circuit, registry_limit());
		let started = Instant::now();
		let keys = groth16::setup(&circuit, seed).map_err(|e| e.to_string())?;
		let setup_ms = started.elapsed().as_secs_f64() * 1e3;
		std::fs::create_dir_all(&self.out)
			.map_err(|e| format!("cannot create {}: {e}", self.out.display()))?;
		let hash = H256(groth16::proving_key_hash(&keys.proving_key));
		let pk_path = key_path(&self.out, hash);
		let vk_path = self.out.join("verifying_key.bin");
		std::fs::write(&pk_path, &keys.proving_key).map_err(|e| e.to_string())?;
		std::fs::write(&vk_path, &keys.verifying_key).map_err(|e| e.to_string())?;
		report.insert("setup_ms".into(), setup_ms.into());
		report.insert("proving_key_bytes".into(), keys.proving_key.len().into());
		report.insert("verifying_key_bytes".into(), keys.verifying_key.len().into());
		report.insert("proving_key_hash".into(), format!("0x{}", hex(&hash.0)).into());
		report.insert("proving_key_file".into(), pk_path.display().to_string().into());
		report.insert("verifying_key_file".into(), vk_path.display().to_string().into());
		let report = serde_json::Value::Object(report);
		std::fs::write(self.out.join("setup.json"), format!("{report:#}\n"))
			.map_err(|e| e.to_string())?;
		println!("{report}");
		Ok(())
	}
}

/// `opg-node zk-prove`: what a node does for a ZK job, outside any chain: run the model with
/// ONNX Runtime, compare with the circuit, prove, and verify natively.
#[derive(Debug, Clone, clap::Args)]
pub struct ZkProveCmd {
	/// The integer ONNX model.
	pub model: PathBuf,

	/// The proving key file (from `zk-setup`). Without it, only ONNX Runtime's output and the
	/// circuit's are computed and compared.
	#[arg(long, value_name = "FILE", requires = "verifying_key")]
	pub proving_key: Option<PathBuf>,

	/// The verifying key file (from `zk-setup`), to verify the proof with.
	#[arg(long, value_name = "FILE", requires = "proving_key")]
	pub verifying_key: Option<PathBuf>,

	/// The input tensors as JSON, as `run-model` reads them (`-` for standard input).
	#[arg(long, value_name = "FILE")]
	pub input: PathBuf,

	/// Prove this many times and report the mean times.
	#[arg(long, default_value_t = 1)]
	pub repeat: u32,
}

impl ZkProveCmd {
	/// Runs the command; prints JSON with ONNX Runtime's and the circuit's outputs, the proof
	/// and the timings. Fails when the outputs differ.
	pub fn run(&self, options: &crate::options::InferenceOptions) -> Result<(), String> {
		let bytes = read(&self.model)?;
		let input = crate::inference::read_json_tensors(&self.input)?;
		let engine = options.engine()?.ok_or("zk-prove needs the engine: drop --no-inference")?;
		let (model, chunks) = crate::inference::model_file(&bytes)?;
		let mut read_chunk = |index: u32| chunks.get(index as usize).cloned();
		let ort_output: Tensors =
			engine.run(&model, &input, &mut read_chunk).map_err(|e| format!("{e:?}"))?;

		let graph = Graph::from_onnx(&bytes).map_err(|e| e.to_string())?;
		let inputs = input_values(&graph, &input)?;
		let started = Instant::now();
		let synthesis = graph.synthesize(&inputs).map_err(|e| e.to_string())?;
		let witness_ms = started.elapsed().as_secs_f64() * 1e3;
		let circuit_output = synthesis.outputs.clone();
		let ort_values: Vec<Vec<i128>> =
			ort_output.iter().map(integers).collect::<Result<_, _>>()?;
		if ort_values != circuit_output {
			return Err(format!(
				"ONNX Runtime's output {ort_values:?} differs from the circuit's {circuit_output:?}: \
				 refusing to prove"
			));
		}
		let outputs_json = circuit_output
			.iter()
			.map(|t| t.iter().map(|v| *v as i64).collect::<Vec<_>>())
			.collect::<Vec<_>>();
		let (Some(pk_path), Some(vk_path)) = (&self.proving_key, &self.verifying_key) else {
			println!(
				"{}",
				serde_json::json!({
					"output": outputs_json,
					"ort_equals_circuit": true,
					"constraints": synthesis.constraints(),
					"witness_ms": witness_ms,
				})
			);
			return Ok(());
		};
		let pk_bytes = read(pk_path)?;
		let started = Instant::now();
		let pk = groth16::decode_proving_key(&pk_bytes).map_err(|e| e.to_string())?;
		let load_ms = started.elapsed().as_secs_f64() * 1e3;
		let vk = read(vk_path)?;
		let prepared =
			opg_zk::verifier::prepare_verifying_key::<Bn254>(&vk, synthesis.public_inputs)
				.map_err(|e| format!("the verifying key: {e:?}"))?;
		let mut prove_ms = Vec::new();
		let mut verify_ms = Vec::new();
		let mut proof = Vec::new();
		for _ in 0..self.repeat.max(1) {
			let started = Instant::now();
			let synthesis = graph.synthesize(&inputs).map_err(|e| e.to_string())?;
			proof = groth16::prove(&pk, &synthesis).map_err(|e| e.to_string())?;
			prove_ms.push(started.elapsed().as_secs_f64() * 1e3);
			let started = Instant::now();
			opg_zk::verifier::verify::<Bn254>(&prepared, &proof, synthesis.public())
				.map_err(|e| format!("the proof does not verify: {e:?}"))?;
			verify_ms.push(started.elapsed().as_secs_f64() * 1e3);
		}
		let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
		let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
		println!(
			"{}",
			serde_json::json!({
				"output": outputs_json,
				"ort_equals_circuit": true,
				"constraints": synthesis.constraints(),
				"public_inputs": synthesis.public_inputs,
				"proof": format!("0x{}", hex(&proof)),
				"proof_bytes": proof.len(),
				"witness_ms": witness_ms,
				"proving_key_load_ms": load_ms,
				"prove_ms_mean": mean(&prove_ms),
				"prove_ms_min": min(&prove_ms),
				"verify_native_ms_mean": mean(&verify_ms),
				"verify_native_ms_min": min(&verify_ms),
				"threads": rayon_threads(),
			})
		);
		Ok(())
	}
}

fn rayon_threads() -> usize {
	std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}
