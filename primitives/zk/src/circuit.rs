//! The compiler: an integer ONNX graph to an R1CS circuit over BN254, with its witness.
//!
//! # The operator subset
//!
//! Every tensor is an integer tensor of fixed shape (`int8`, `uint8`, `int16`, `uint16`,
//! `int32`, `uint32`, `int64`, `uint64`); weights are initializers and become circuit
//! constants. Operators (default domain):
//!
//! | operator | what the circuit does | cost |
//! |---|---|---|
//! | `MatMul` (one operand constant) | linear combinations | free |
//! | `MatMulInteger` (constant `B`, optional constant zero points) | linear combinations, `int32` out | free |
//! | `Add`, `Sub` (numpy broadcasting) | linear combinations | free |
//! | `Mul` | by a constant: free; two computed values: one product each | 0 or 1 |
//! | `Div` by a constant power of two | truncation toward zero, as ONNX Runtime's C++ `/` | bits + 4 |
//! | `Relu` | a sign bit | bits + 1 |
//! | `Clip` (constant bounds) | two comparisons | up to 2 × (bits + 1) |
//! | `Cast` to an integer type | two's-complement wrap when the value may not fit | 0 or bits |
//! | `Reshape` (constant shape), `Flatten`, `Identity` | relabelling | free |
//!
//! "bits" is the width of the value's interval. `Gemm` is outside the subset: ONNX Runtime has
//! no integer `Gemm` kernel, so an integer `Gemm` model could not run at all; the preparation
//! tool writes `MatMul` then `Add` instead.
//!
//! # Exactly ONNX Runtime's integer semantics
//!
//! The compiler tracks an interval for every value. Values are exact integers in the field
//! (intervals are kept below 2^100, far from the field's 2^254), and wherever an operator's
//! result may leave its element type's range, the circuit wraps it to the type's width in
//! two's complement, which is what ONNX Runtime's integer kernels do on overflow (a product
//! summed in `int32` wraps; the sum of wrapped terms equals the wrapped sum). `Cast` to a
//! narrower type wraps the same way; `Div` truncates toward zero; `Clip` and `Relu` saturate.
//!
//! # Public inputs
//!
//! Input values are range-checked by decomposing them into bits (which the packing then
//! reuses); output values are determined by the circuit; both are packed as [`crate::packing`]
//! lays them out.
// Field arithmetic is modular and integer arithmetic stays within the checked 2^100 bound;
// indices come from shapes whose products equal the value counts (checked on entry).
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use crate::{
	onnx::{self, ModelProto, NodeProto, TensorProto},
	packing::{IntType, Layout},
	Fr,
};
use ark_ff::{Field, One, Zero};
use std::{collections::HashMap, fmt};

/// A linear combination: `(coefficient, variable)` terms; variable 0 is the constant one,
/// `1..=public` the public inputs, then the witnesses.
pub type Lc = Vec<(Fr, usize)>;

/// The largest magnitude an intermediate value may reach: far below the field's size, so
/// field arithmetic on values is integer arithmetic.
const MAX_MAGNITUDE_BITS: u32 = 100;

/// The most values one tensor may hold (the registry's own bound on a tensor).
pub const MAX_TENSOR_VALUES: usize = 1 << 24;

/// The most values a graph's inputs and outputs may hold together.
pub const MAX_IO_VALUES: usize = 1 << 24;

/// The most weights (initializer values) a graph may hold in all.
pub const MAX_CONSTANT_VALUES: usize = 1 << 22;

/// The most constraints [`Graph::compile`] and [`Graph::synthesize`] build before giving up:
/// four times the chain's limit, so a report can say how far over the limit a model is.
pub const DEFAULT_MAX_CONSTRAINTS: usize = 1 << 22;

/// How many linear-combination terms (in constraints and in the values the graph computes)
/// a synthesis may build per constraint of its budget, beside [`TERMS_PER_WEIGHT`] per weight
/// of the graph, within [`MIN_TERMS`] and [`MAX_TERMS`]. Constraints alone do not bound the
/// work: copies (`Identity`, `Reshape`), arithmetic on weights and matrix products build values
/// and terms for no constraint, and one constraint may carry many terms. Honest graphs build a
/// few dozen terms per constraint and a few per weight (a dense layer's weight is a term of its
/// product, then of the bias's sum and of the rescaling's range check).
pub const TERMS_PER_CONSTRAINT: usize = 64;

/// How many terms a synthesis may build per weight of the graph and per term of the widest
/// input value; see [`TERMS_PER_CONSTRAINT`]. An input value is its bits' sum (an `int8` value
/// is nine terms), and a first layer's weight carries all of them into its product, the bias's
/// sum and the rescaling's range check.
pub const TERMS_PER_WEIGHT: usize = 8;

/// The fewest terms any synthesis may build (about 50 MB of them).
pub const MIN_TERMS: usize = 1 << 20;

/// The most terms any synthesis may build (about 3 GB of them).
pub const MAX_TERMS: usize = 1 << 26;

/// Why a model cannot be compiled, or an input cannot be proved.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum CompileError {
	/// The bytes are not an ONNX model.
	Malformed(String),
	/// An operator outside the subset.
	UnsupportedOperator {
		/// The operator.
		op: String,
		/// The node (its name, or its operator and position).
		node: String,
	},
	/// A supported operator used in a way the subset excludes.
	Unsupported {
		/// The node.
		node: String,
		/// What is excluded.
		why: String,
	},
	/// A tensor is not of an integer type.
	NotInteger {
		/// The tensor.
		tensor: String,
	},
	/// A graph input or output has a symbolic or unknown dimension.
	DynamicShape {
		/// The tensor.
		tensor: String,
	},
	/// A value may exceed 2^100 in magnitude.
	Magnitude {
		/// The node.
		node: String,
	},
	/// A tensor the graph refers to is defined nowhere.
	MissingTensor {
		/// Its name.
		name: String,
	},
	/// The input given to prove does not fit the graph's inputs.
	BadInput(String),
	/// A tensor, the weights or the circuit exceed their bounds (what, and the bound).
	TooLarge(String),
}

impl fmt::Display for CompileError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			CompileError::Malformed(why) => write!(f, "not an ONNX model: {why}"),
			CompileError::UnsupportedOperator { op, node } => write!(
				f,
				"operator {op} (node {node}) is outside the ZK subset (MatMul, MatMulInteger, Add, \
				 Sub, Mul, Div by a power of two, Relu, Clip, Cast, Reshape, Flatten, Identity); \
				 serve this model in ATTESTED or TEE mode"
			),
			CompileError::Unsupported { node, why } => write!(f, "node {node}: {why}"),
			CompileError::NotInteger { tensor } => {
				write!(f, "tensor {tensor} is not an integer tensor; quantize the model first")
			}
			CompileError::DynamicShape { tensor } => {
				write!(f, "tensor {tensor} has a dynamic dimension; ZK models need fixed shapes")
			}
			CompileError::Magnitude { node } => {
				write!(f, "node {node}: values may exceed 2^{MAX_MAGNITUDE_BITS}")
			}
			CompileError::MissingTensor { name } => write!(f, "tensor {name} is not defined"),
			CompileError::BadInput(why) => write!(f, "bad input: {why}"),
			CompileError::TooLarge(what) => {
				write!(f, "{what}: too large for ZK mode; serve this model in ATTESTED or TEE mode")
			}
		}
	}
}

impl std::error::Error for CompileError {}

type Result<T> = std::result::Result<T, CompileError>;

/// One value: its linear combination, its value in this run, and the interval it lies in for
/// every input.
#[derive(Clone, Debug)]
struct Value {
	lc: Lc,
	value: i128,
	lo: i128,
	hi: i128,
}

impl Value {
	fn constant(value: i128) -> Self {
		Value { lc: vec![(Fr::from(value), 0)], value, lo: value, hi: value }
	}

	fn is_constant(&self) -> bool {
		self.lo == self.hi
	}
}

/// A tensor of values.
#[derive(Clone, Debug)]
struct Tensor {
	ty: IntType,
	shape: Vec<usize>,
	values: Vec<Value>,
}

impl Tensor {
	fn is_constant(&self) -> bool {
		self.values.iter().all(Value::is_constant)
	}
}

/// A graph input or output: name, element type and fixed shape.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TensorInfo {
	/// Its name in the graph.
	pub name: String,
	/// Its element type.
	pub ty: IntType,
	/// Its shape.
	pub shape: Vec<usize>,
}

impl TensorInfo {
	/// Number of values.
	pub fn len(&self) -> usize {
		self.shape.iter().product()
	}

	/// Whether it has no values.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}
}

/// A decoded integer ONNX graph, ready to be synthesized for any input.
#[derive(Clone, Debug)]
pub struct Graph {
	/// The graph's inputs, in declaration order.
	pub inputs: Vec<TensorInfo>,
	/// The graph's outputs, in declaration order.
	pub outputs: Vec<TensorInfo>,
	nodes: Vec<NodeProto>,
	constants: HashMap<String, Tensor>,
}

/// A synthesized circuit: the R1CS matrices and, for the input it was synthesized with, the
/// full assignment and the outputs.
#[derive(Clone, Debug)]
pub struct Synthesis {
	/// The `A`, `B` and `C` matrices, one row per constraint.
	pub matrices: [Vec<Lc>; 3],
	/// Public inputs, the constant one not counted.
	pub public_inputs: usize,
	/// The assignment: one, the public inputs, the witnesses.
	pub assignment: Vec<Fr>,
	/// The output values, tensor by tensor, row-major.
	pub outputs: Vec<Vec<i128>>,
}

impl Synthesis {
	/// Number of constraints.
	pub fn constraints(&self) -> usize {
		self.matrices[0].len()
	}

	/// Number of witness variables.
	pub fn witnesses(&self) -> usize {
		self.assignment.len().saturating_sub(self.public_inputs + 1)
	}

	/// Number of non-zero matrix entries.
	pub fn non_zeros(&self) -> usize {
		self.matrices.iter().flatten().map(Vec::len).sum()
	}

	/// The public inputs of this run.
	pub fn public(&self) -> &[Fr] {
		self.assignment.get(1..=self.public_inputs).unwrap_or_default()
	}

	/// Binds this run to one job and node ([`crate::packing::job_binding`]): the last public
	/// input, which every synthesis starts at zero. Its one constraint (`binding · 1 =
	/// binding`) holds for any value, so the assignment stays satisfied.
	pub fn bind(&mut self, binding: &[u8; 32]) {
		if let Some(slot) = self.assignment.get_mut(self.public_inputs) {
			*slot = crate::packing::binding_element(binding);
		}
	}

	/// Whether every constraint holds for the assignment.
	pub fn is_satisfied(&self) -> bool {
		let eval = |lc: &Lc| -> Fr {
			lc.iter()
				.map(|(coefficient, variable)| {
					*coefficient * self.assignment.get(*variable).copied().unwrap_or_default()
				})
				.sum()
		};
		let [a, b, c] = &self.matrices;
		a.iter().zip(b).zip(c).all(|((a, b), c)| eval(a) * eval(b) == eval(c))
	}
}

/// The number of values of a tensor of `shape`, if within [`MAX_TENSOR_VALUES`]. The product
/// of its non-zero dimensions must be within the bound too, so that no part of a valid shape
/// multiplies out past it (an empty tensor of shape `[0, 2^40, 2^40]` is refused).
fn checked_len(shape: &[usize], what: &str) -> Result<usize> {
	let too_large = || {
		CompileError::TooLarge(format!(
			"{what} of shape {shape:?} (over {MAX_TENSOR_VALUES} values)"
		))
	};
	let non_zero = shape
		.iter()
		.filter(|dim| **dim != 0)
		.try_fold(1usize, |count, dim| count.checked_mul(*dim))
		.filter(|count| *count <= MAX_TENSOR_VALUES)
		.ok_or_else(too_large)?;
	Ok(if shape.contains(&0) { 0 } else { non_zero })
}

fn type_of(code: i32, tensor: &str) -> Result<IntType> {
	IntType::from_onnx_code(code).ok_or_else(|| CompileError::NotInteger { tensor: tensor.into() })
}

fn static_shape(info: &onnx::ValueInfoProto) -> Result<(IntType, Vec<usize>)> {
	let dynamic = || CompileError::DynamicShape { tensor: info.name.clone() };
	let tensor_type = info
		.r#type
		.as_ref()
		.and_then(|t| t.tensor_type.as_ref())
		.ok_or_else(|| CompileError::NotInteger { tensor: info.name.clone() })?;
	let ty = type_of(tensor_type.elem_type, &info.name)?;
	let shape = tensor_type
		.shape
		.as_ref()
		.ok_or_else(dynamic)?
		.dim
		.iter()
		.map(|dim| match dim.dim_value {
			Some(size) if size > 0 => usize::try_from(size).map_err(|_| dynamic()),
			_ => Err(dynamic()),
		})
		.collect::<Result<Vec<_>>>()?;
	Ok((ty, shape))
}

fn constant_tensor(proto: &TensorProto) -> Result<Tensor> {
	let name = &proto.name;
	if proto.data_location == 1 {
		return Err(CompileError::Malformed(format!("tensor {name} keeps its data in a file")));
	}
	let ty = type_of(proto.data_type, name)?;
	let shape = proto
		.dims
		.iter()
		.map(|d| usize::try_from(*d))
		.collect::<std::result::Result<Vec<_>, _>>()
		.map_err(|_| CompileError::Malformed(format!("tensor {name} has a negative dimension")))?;
	let count = checked_len(&shape, &format!("weight {name}"))?;
	let values: Vec<i128> = if !proto.raw_data.is_empty() {
		let width = (ty.bits() / 8) as usize;
		if proto.raw_data.len() != count * width {
			return Err(CompileError::Malformed(format!("tensor {name}: raw data size")));
		}
		proto
			.raw_data
			.chunks_exact(width)
			.map(|bytes| {
				let mut le = [0u8; 8];
				le.get_mut(..width).unwrap_or_default().copy_from_slice(bytes);
				let unsigned = u64::from_le_bytes(le);
				if ty.signed() {
					let shift = 64 - ty.bits();
					i128::from(((unsigned << shift) as i64) >> shift)
				} else {
					i128::from(unsigned)
				}
			})
			.collect()
	} else {
		match ty {
			IntType::I64 => proto.int64_data.iter().map(|v| i128::from(*v)).collect(),
			IntType::U32 | IntType::U64 => {
				proto.uint64_data.iter().map(|v| i128::from(*v)).collect()
			}
			_ => proto.int32_data.iter().map(|v| i128::from(*v)).collect(),
		}
	};
	if values.len() != count || values.iter().any(|v| !ty.contains(*v)) {
		return Err(CompileError::Malformed(format!("tensor {name}: values do not fit its type")));
	}
	Ok(Tensor { ty, shape, values: values.into_iter().map(Value::constant).collect() })
}

impl Graph {
	/// Decodes an integer ONNX model and checks its inputs, outputs and constants. Operators
	/// are checked when the graph is synthesized ([`Graph::compile`]).
	pub fn from_onnx(bytes: &[u8]) -> Result<Self> {
		let model: ModelProto =
			onnx::decode_model(bytes).map_err(|e| CompileError::Malformed(e.to_string()))?;
		let graph =
			model.graph.ok_or_else(|| CompileError::Malformed("the model has no graph".into()))?;
		let mut constants = HashMap::new();
		let mut weights = 0usize;
		for initializer in &graph.initializer {
			let tensor = constant_tensor(initializer)?;
			weights = weights.saturating_add(tensor.values.len());
			if weights > MAX_CONSTANT_VALUES {
				return Err(CompileError::TooLarge(format!(
					"the weights (over {MAX_CONSTANT_VALUES} values)"
				)));
			}
			constants.insert(initializer.name.clone(), tensor);
		}
		let inputs = graph
			.input
			.iter()
			.filter(|input| !constants.contains_key(&input.name))
			.map(|input| {
				let (ty, shape) = static_shape(input)?;
				Ok(TensorInfo { name: input.name.clone(), ty, shape })
			})
			.collect::<Result<Vec<_>>>()?;
		let outputs = graph
			.output
			.iter()
			.map(|output| {
				let (ty, shape) = static_shape(output)?;
				Ok(TensorInfo { name: output.name.clone(), ty, shape })
			})
			.collect::<Result<Vec<_>>>()?;
		let mut io_values = 0usize;
		for info in inputs.iter().chain(&outputs) {
			io_values = io_values
				.saturating_add(checked_len(&info.shape, &format!("tensor {}", info.name))?);
		}
		if io_values > MAX_IO_VALUES {
			return Err(CompileError::TooLarge(format!(
				"the inputs and outputs (over {MAX_IO_VALUES} values)"
			)));
		}
		Ok(Graph { inputs, outputs, nodes: graph.node, constants })
	}

	/// Synthesizes the circuit on an all-zero input: enough to count constraints and run the
	/// setup, since the circuit's shape does not depend on the values.
	pub fn compile(&self) -> Result<Synthesis> {
		self.check_public_cost(DEFAULT_MAX_CONSTRAINTS)?;
		let zeros: Vec<Vec<i128>> = self.inputs.iter().map(|info| vec![0; info.len()]).collect();
		self.synthesize(&zeros)
	}

	/// Refuses a graph whose inputs and outputs alone cost more than `max_constraints`: each
	/// input value's range check (one constraint a bit), and one constraint per
	/// public field element. Checked before anything is built for them.
	fn check_public_cost(&self, max_constraints: usize) -> Result<()> {
		let checks = self.inputs.iter().fold(0usize, |cost, info| {
			cost.saturating_add(info.len().saturating_mul(info.ty.bits() as usize))
		});
		let public = crate::packing::public_input_count(
			self.inputs.iter().chain(&self.outputs).map(|info| (info.ty, info.len())),
		);
		if checks.saturating_add(public) > max_constraints {
			return Err(CompileError::TooLarge(format!(
				"the circuit (over {max_constraints} constraints)"
			)));
		}
		Ok(())
	}

	/// How many times each tensor is read: by nodes, and once more when it is a graph output.
	fn readers(&self) -> HashMap<&str, usize> {
		let mut readers: HashMap<&str, usize> = HashMap::new();
		let names = self.nodes.iter().flat_map(|node| node.input.iter().map(String::as_str));
		for name in names.chain(self.outputs.iter().map(|info| info.name.as_str())) {
			*readers.entry(name).or_default() += 1;
		}
		readers
	}

	/// [`Graph::synthesize_within`] with [`DEFAULT_MAX_CONSTRAINTS`].
	pub fn synthesize(&self, inputs: &[Vec<i128>]) -> Result<Synthesis> {
		self.synthesize_within(inputs, DEFAULT_MAX_CONSTRAINTS)
	}

	/// Synthesizes the circuit for `inputs` (one row-major vector per graph input): the
	/// matrices, the assignment and the outputs, computed with ONNX Runtime's integer
	/// semantics. Gives up past `max_constraints` constraints (a prover passes the count the
	/// registry holds for the model), so a crafted graph cannot exhaust a node's memory.
	pub fn synthesize_within(
		&self,
		inputs: &[Vec<i128>],
		max_constraints: usize,
	) -> Result<Synthesis> {
		if inputs.len() != self.inputs.len() {
			return Err(CompileError::BadInput(format!(
				"{} input tensors for a graph with {}",
				inputs.len(),
				self.inputs.len()
			)));
		}
		self.check_public_cost(max_constraints)?;
		let mut layout = Layout::default();
		let slots: Vec<_> = self
			.inputs
			.iter()
			.chain(&self.outputs)
			.flat_map(|info| std::iter::repeat_n(info.ty, info.len()))
			.map(|ty| layout.place(ty))
			.collect();
		let weights: usize = self.constants.values().map(|tensor| tensor.values.len()).sum();
		// The packed values, then the job binding (zero until [`Synthesis::bind`]).
		let public_inputs = layout.elements() + 1;
		// An input value is its bits' sum and the offset: as many terms as the widest type's
		// bits, and one.
		let input_terms =
			self.inputs.iter().map(|info| info.ty.bits() as usize + 1).max().unwrap_or(1);
		let mut builder =
			Builder::new(public_inputs, max_constraints, weights.saturating_mul(input_terms));
		let mut packed: Vec<Lc> = vec![Vec::new(); layout.elements()];
		let mut slot_iter = slots.iter();
		let mut env: HashMap<String, Tensor> = self.constants.clone();

		for (info, values) in self.inputs.iter().zip(inputs) {
			if values.len() != info.len() {
				return Err(CompileError::BadInput(format!(
					"input {} has {} values, expected {}",
					info.name,
					values.len(),
					info.len()
				)));
			}
			let mut tensor = Tensor { ty: info.ty, shape: info.shape.clone(), values: Vec::new() };
			for value in values {
				if !info.ty.contains(*value) {
					return Err(CompileError::BadInput(format!(
						"input {} value {value} is outside {:?}",
						info.name, info.ty
					)));
				}
				let offset_value = (*value + info.ty.offset()) as u128;
				let bits = builder.bits_of(offset_value, info.ty.bits());
				let shifted: Lc = bits_lc(&bits, 0, 0);
				let slot = slot_iter.next().ok_or_else(|| {
					CompileError::Malformed("more input values than the layout".into())
				})?;
				add_scaled(&mut packed[slot.element], &shifted, pow2(slot.shift));
				// The value is its bits' combination, with no variable of its own: a constraint
				// and a witness less per input value (the matrix products that read it carry
				// its bits' terms instead, which costs no constraint).
				let mut lc = shifted;
				lc.push((-Fr::from(info.ty.offset()), 0));
				tensor.values.push(Value {
					lc,
					value: *value,
					lo: info.ty.min(),
					hi: info.ty.max(),
				});
			}
			env.insert(info.name.clone(), tensor);
		}

		let readers = self.readers();
		let mut fused_with_previous = false;
		for (position, node) in self.nodes.iter().enumerate() {
			if std::mem::take(&mut fused_with_previous) {
				continue;
			}
			let label = if node.name.is_empty() {
				format!("{}#{position}", node.op_type)
			} else {
				node.name.clone()
			};
			let next = self.nodes.get(position + 1);
			let (output, producer) =
				match next.and_then(|next| rescale_clip(&env, node, next, &readers, &label)) {
					Some(rescale) => {
						fused_with_previous = true;
						(rescale_values(&mut builder, &rescale?)?, next.unwrap_or(node))
					}
					None => (apply(&mut builder, &env, node, &label)?, node),
				};
			builder.charge(&output.values);
			builder.check_budget()?;
			let name = producer
				.output
				.first()
				.ok_or_else(|| CompileError::Malformed(format!("node {label} has no output")))?;
			env.insert(name.clone(), output);
		}

		let mut outputs = Vec::new();
		for info in &self.outputs {
			let tensor = env
				.get(&info.name)
				.ok_or_else(|| CompileError::MissingTensor { name: info.name.clone() })?;
			if tensor.ty != info.ty || tensor.shape != info.shape {
				return Err(CompileError::Unsupported {
					node: info.name.clone(),
					why: format!(
						"computed as {:?} {:?}, declared as {:?} {:?}",
						tensor.ty, tensor.shape, info.ty, info.shape
					),
				});
			}
			let mut values = Vec::with_capacity(tensor.values.len());
			for value in &tensor.values {
				values.push(builder.wrap(value.clone(), info.ty));
				builder.check_budget()?;
			}
			for value in &values {
				let slot = slot_iter.next().ok_or_else(|| {
					CompileError::Malformed("more output values than the layout".into())
				})?;
				let mut shifted = value.lc.clone();
				shifted.push((Fr::from(info.ty.offset()), 0));
				add_scaled(&mut packed[slot.element], &shifted, pow2(slot.shift));
			}
			outputs.push(values.iter().map(|v| v.value).collect());
		}

		for (element, lc) in packed.into_iter().enumerate() {
			let public = element + 1;
			let value = eval(&builder.assignment, &lc);
			builder.assignment[public] = value;
			builder.enforce(lc, vec![(Fr::one(), 0)], vec![(Fr::one(), public)]);
		}
		// The binding constrains nothing about the model; its own constraint gives it a
		// query of its own in the key, so a proof verifies for one binding only.
		builder.enforce(
			vec![(Fr::one(), public_inputs)],
			vec![(Fr::one(), 0)],
			vec![(Fr::one(), public_inputs)],
		);
		Ok(Synthesis {
			matrices: [builder.a, builder.b, builder.c],
			public_inputs,
			assignment: builder.assignment,
			outputs,
		})
	}
}

fn pow2(bits: u32) -> Fr {
	Fr::from(2u8).pow([u64::from(bits)])
}

fn eval(assignment: &[Fr], lc: &Lc) -> Fr {
	lc.iter().map(|(c, v)| *c * assignment.get(*v).copied().unwrap_or_default()).sum()
}

fn add_scaled(target: &mut Lc, lc: &Lc, factor: Fr) {
	target.extend(lc.iter().map(|(c, v)| (*c * factor, *v)));
}

/// Merges the terms of each variable and drops zero terms.
fn compact(mut lc: Lc) -> Lc {
	lc.sort_unstable_by_key(|(_, variable)| *variable);
	let mut out: Lc = Vec::with_capacity(lc.len());
	for (coefficient, variable) in lc {
		match out.last_mut() {
			Some((c, v)) if *v == variable => *c += coefficient,
			_ => out.push((coefficient, variable)),
		}
	}
	out.retain(|(c, _)| !c.is_zero());
	out
}

fn scaled(lc: &Lc, factor: Fr) -> Lc {
	lc.iter().map(|(c, v)| (*c * factor, *v)).collect()
}

fn sum(a: &Lc, b: &Lc) -> Lc {
	let mut out = a.clone();
	out.extend_from_slice(b);
	out
}

/// `Σ_{i >= from} bits[i] · 2^(i - from) - subtract`.
fn bits_lc(bits: &[usize], from: usize, subtract: i128) -> Lc {
	let mut lc: Lc =
		bits.iter().skip(from).enumerate().map(|(i, bit)| (pow2(i as u32), *bit)).collect();
	if subtract != 0 {
		lc.push((-Fr::from(subtract), 0));
	}
	lc
}

/// The smallest `m` with `-2^m <= lo` and `hi < 2^m`.
fn magnitude_bits(lo: i128, hi: i128) -> u32 {
	let bound = (-lo).max(hi.saturating_add(1)).max(1) as u128;
	128 - (bound - 1).leading_zeros()
}

/// Builds the constraint system and the assignment together.
struct Builder {
	a: Vec<Lc>,
	b: Vec<Lc>,
	c: Vec<Lc>,
	assignment: Vec<Fr>,
	max_constraints: usize,
	/// Terms built so far, in constraints and values (see [`TERMS_PER_CONSTRAINT`]).
	terms: usize,
	max_terms: usize,
}

impl Builder {
	/// `weight_terms`: the graph's weights times the terms of its widest input value.
	fn new(public_inputs: usize, max_constraints: usize, weight_terms: usize) -> Self {
		let mut assignment = vec![Fr::zero(); public_inputs + 1];
		assignment[0] = Fr::one();
		let max_terms = max_constraints
			.saturating_mul(TERMS_PER_CONSTRAINT)
			.saturating_add(weight_terms.saturating_mul(TERMS_PER_WEIGHT))
			.clamp(MIN_TERMS, MAX_TERMS);
		Builder {
			a: Vec::new(),
			b: Vec::new(),
			c: Vec::new(),
			assignment,
			max_constraints,
			terms: 0,
			max_terms,
		}
	}

	/// Fails once the circuit has grown past its budget, in constraints or in terms.
	fn check_budget(&self) -> Result<()> {
		if self.a.len() > self.max_constraints {
			return Err(CompileError::TooLarge(format!(
				"the circuit (over {} constraints)",
				self.max_constraints
			)));
		}
		if self.terms > self.max_terms {
			return Err(CompileError::TooLarge(format!(
				"the graph's linear combinations (over {} terms)",
				self.max_terms
			)));
		}
		Ok(())
	}

	/// Counts `count` terms built.
	fn add_terms(&mut self, count: usize) {
		self.terms = self.terms.saturating_add(count);
	}

	/// Counts the terms of `values`, one more for each value.
	fn charge(&mut self, values: &[Value]) {
		let terms = values.iter().fold(0usize, |sum, v| sum.saturating_add(v.lc.len() + 1));
		self.add_terms(terms);
	}

	fn witness(&mut self, value: Fr) -> usize {
		self.assignment.push(value);
		self.assignment.len() - 1
	}

	fn enforce(&mut self, a: Lc, b: Lc, c: Lc) {
		self.add_terms(a.len().saturating_add(b.len()).saturating_add(c.len()));
		self.a.push(a);
		self.b.push(b);
		self.c.push(c);
	}

	/// `count` boolean witnesses holding the low bits of `value`.
	fn bits_of(&mut self, value: u128, count: u32) -> Vec<usize> {
		(0..count)
			.map(|i| {
				let bit = self.witness(Fr::from((value >> i) & 1));
				self.enforce(
					vec![(Fr::one(), bit)],
					vec![(Fr::one(), bit)],
					vec![(Fr::one(), bit)],
				);
				bit
			})
			.collect()
	}

	/// The `m + 1` bits of `x + 2^m` (so bit `m` is set exactly when `x >= 0`), with `m` at
	/// least `min_bits`, constrained to recompose to `x + 2^m`.
	fn decompose(&mut self, x: &Value, min_bits: u32) -> (Vec<usize>, u32) {
		let m = magnitude_bits(x.lo, x.hi).max(min_bits);
		let shifted = (x.value + (1i128 << m)) as u128;
		let bits = self.bits_of(shifted, m + 1);
		let mut target = x.lc.clone();
		target.push((pow2(m), 0));
		self.enforce(bits_lc(&bits, 0, 0), vec![(Fr::one(), 0)], target);
		(bits, m)
	}

	/// `[x >= 0]` as a boolean linear combination.
	fn non_negative(&mut self, x: &Value) -> Lc {
		if x.lo >= 0 {
			return vec![(Fr::one(), 0)];
		}
		if x.hi < 0 {
			return Vec::new();
		}
		let (bits, m) = self.decompose(x, 0);
		vec![(Fr::one(), bits[m as usize])]
	}

	/// `otherwise + s · (x - otherwise)` for a boolean `s`: `x` when `s` holds, else the
	/// constant `otherwise`. `chosen` is `s` in this run.
	fn select(
		&mut self,
		s: Lc,
		x: &Value,
		otherwise: i128,
		chosen: bool,
		lo: i128,
		hi: i128,
	) -> Value {
		let value = if chosen { x.value } else { otherwise };
		let out = self.witness(Fr::from(value));
		let mut diff = x.lc.clone();
		diff.push((-Fr::from(otherwise), 0));
		self.enforce(s, diff, vec![(Fr::one(), out), (-Fr::from(otherwise), 0)]);
		Value { lc: vec![(Fr::one(), out)], value, lo, hi }
	}

	/// `max(x, bound)`.
	fn max_with(&mut self, x: &Value, bound: i128) -> Value {
		if x.lo >= bound {
			return x.clone();
		}
		if x.hi <= bound {
			return Value::constant(bound);
		}
		let mut diff = x.clone();
		diff.lc.push((-Fr::from(bound), 0));
		diff.value -= bound;
		diff.lo -= bound;
		diff.hi -= bound;
		let s = self.non_negative(&diff);
		self.select(s, x, bound, x.value >= bound, bound, x.hi)
	}

	/// `min(x, bound)`.
	fn min_with(&mut self, x: &Value, bound: i128) -> Value {
		if x.hi <= bound {
			return x.clone();
		}
		if x.lo >= bound {
			return Value::constant(bound);
		}
		// [bound - x >= 0]
		let diff = Value {
			lc: sum(&vec![(Fr::from(bound), 0)], &scaled(&x.lc, -Fr::one())),
			value: bound - x.value,
			lo: bound - x.hi,
			hi: bound - x.lo,
		};
		let s = self.non_negative(&diff);
		self.select(s, x, bound, x.value <= bound, x.lo, bound)
	}

	/// `x / 2^k`, truncated toward zero.
	fn div_pow2(&mut self, x: &Value, k: u32) -> Value {
		let value = x.value / (1i128 << k);
		let (lo, hi) = (x.lo / (1i128 << k), x.hi / (1i128 << k));
		if k == 0 {
			return x.clone();
		}
		let (bits, m) = self.decompose(x, k);
		// floor(x / 2^k) from the high bits of x + 2^m.
		let floor = bits_lc(&bits, k as usize, 1i128 << (m - k));
		if x.lo >= 0 {
			return Value { lc: floor, value, lo, hi };
		}
		// A negative x with a non-zero remainder rounds up by one.
		let remainder: Lc =
			bits.iter().take(k as usize).enumerate().map(|(i, b)| (pow2(i as u32), *b)).collect();
		let (nz, nz_value) = self.is_nonzero(remainder);
		let sign = bits[m as usize];
		let negative = x.value < 0;
		let carry = self.witness(Fr::from(negative && nz_value));
		self.enforce(
			vec![(Fr::one(), 0), (-Fr::one(), sign)],
			vec![(Fr::one(), nz)],
			vec![(Fr::one(), carry)],
		);
		let mut lc = floor;
		lc.push((Fr::one(), carry));
		Value { lc, value, lo, hi }
	}

	/// A boolean witness that is one exactly when `lc` is not zero (two constraints), and its
	/// value in this run.
	fn is_nonzero(&mut self, lc: Lc) -> (usize, bool) {
		let value = eval(&self.assignment, &lc);
		let nonzero = !value.is_zero();
		let inverse = self.witness(value.inverse().unwrap_or_default());
		let nz = self.witness(Fr::from(nonzero));
		self.enforce(lc.clone(), vec![(Fr::one(), inverse)], vec![(Fr::one(), nz)]);
		self.enforce(lc, vec![(Fr::one(), 0), (-Fr::one(), nz)], Vec::new());
		(nz, nonzero)
	}

	/// `Clip(Div(x, 2^k), 0, 2^j - 1)` with ONNX Runtime's semantics (the division truncates
	/// toward zero, so a negative `x` gives zero), from one decomposition of `x`: its sign bit,
	/// bits `k..k+j` as the quotient when it fits, and whether any bit above is set. The
	/// separate operators decompose three times (`x`, then the quotient for each bound).
	fn rescale_clip(&mut self, x: &Value, k: u32, j: u32) -> Value {
		let top = (1i128 << j) - 1;
		let value = (x.value / (1i128 << k)).clamp(0, top);
		if x.hi < (1i128 << k) {
			return Value::constant(0);
		}
		if x.lo >= (top + 1) << k {
			return Value::constant(top);
		}
		let (bits, m) = self.decompose(x, k + j);
		let (k, j, m) = (k as usize, j as usize, m as usize);
		// For x >= 0 (bit m set), x's bits below m are x itself.
		let low: Lc = (k..k + j).map(|i| (pow2((i - k) as u32), bits[i])).collect();
		let positive = if m > k + j {
			let high: Lc = (k + j..m).map(|i| (Fr::one(), bits[i])).collect();
			let (over, over_value) = self.is_nonzero(high);
			// positive = low + over * (top - low)
			let low_value = eval(&self.assignment, &low);
			let chosen = if over_value { Fr::from(top) } else { low_value };
			let out = self.witness(chosen);
			let mut rest = scaled(&low, -Fr::one());
			rest.push((Fr::from(top), 0));
			let mut out_minus_low = scaled(&low, -Fr::one());
			out_minus_low.push((Fr::one(), out));
			self.enforce(vec![(Fr::one(), over)], rest, out_minus_low);
			vec![(Fr::one(), out)]
		} else {
			low
		};
		if x.lo >= 0 {
			return Value { lc: positive, value, lo: 0, hi: top };
		}
		// A negative x gives zero: the result is the sign bit times the positive branch.
		let sign = bits[m];
		let out = self.witness(Fr::from(value));
		self.enforce(vec![(Fr::one(), sign)], positive, vec![(Fr::one(), out)]);
		Value { lc: vec![(Fr::one(), out)], value, lo: 0, hi: top }
	}

	/// `x` wrapped to `ty` in two's complement, when it may not fit.
	fn wrap(&mut self, x: Value, ty: IntType) -> Value {
		if ty.contains(x.lo) && ty.contains(x.hi) {
			return x;
		}
		let width = ty.bits();
		let (bits, _) = self.decompose(&x, width);
		let modulus = 1i128 << width;
		let mut value = x.value.rem_euclid(modulus);
		let mut lc = bits_lc(&bits[..width as usize], 0, 0);
		if ty.signed() {
			if value > ty.max() {
				value -= modulus;
			}
			// The top bit weighs -2^(w-1) instead of +2^(w-1).
			lc.push((-pow2(width), bits[width as usize - 1]));
		}
		Value { lc, value, lo: ty.min(), hi: ty.max() }
	}
}

/// A `Div` by a constant `2^k` whose result only the next node reads, a `Clip` to `[0, 2^j - 1]`
/// (the requantization the preparation tool writes after each hidden layer): computed as one.
struct RescaleClip<'a> {
	x: &'a Tensor,
	divisor: &'a Tensor,
	k: u32,
	j: u32,
	label: String,
}

/// The fused rescale of `node` and `next`, when they are one (see [`RescaleClip`]); an error
/// when they are but an operand is malformed.
fn rescale_clip<'a>(
	env: &'a HashMap<String, Tensor>,
	node: &NodeProto,
	next: &NodeProto,
	readers: &HashMap<&str, usize>,
	label: &str,
) -> Option<Result<RescaleClip<'a>>> {
	let quotient = node.output.first()?;
	let plain = |n: &NodeProto| n.domain.is_empty() || n.domain == "ai.onnx";
	if node.op_type != "Div"
		|| next.op_type != "Clip"
		|| !plain(node)
		|| !plain(next)
		|| next.input.first() != Some(quotient)
		|| readers.get(quotient.as_str()) != Some(&1)
	{
		return None;
	}
	let constant = |index| {
		optional_input(env, next, index, label)
			.ok()
			.flatten()
			.and_then(|t| scalar(t, label, "").ok())
	};
	let (Some(0), Some(top)) = (constant(1), constant(2)) else { return None };
	let divisor = input(env, node, 1, label).ok()?;
	let k = match divisor.values.as_slice() {
		[d] if d.is_constant() && d.value > 1 && d.value.count_ones() == 1 => {
			d.value.trailing_zeros()
		}
		_ => return None,
	};
	// `top` is 2^j - 1, j >= 1.
	if top < 1 || (top + 1).count_ones() != 1 {
		return None;
	}
	let j = (top + 1).trailing_zeros();
	// Beyond any value's magnitude the bound never binds: the operators run apart.
	if k + j > MAX_MAGNITUDE_BITS {
		return None;
	}
	Some(input(env, node, 0, label).map(|x| RescaleClip {
		x,
		divisor,
		k,
		j,
		label: label.to_string(),
	}))
}

/// The values of a fused rescale: each element of `x` divided and clipped.
fn rescale_values(builder: &mut Builder, fused: &RescaleClip<'_>) -> Result<Tensor> {
	let (k, j) = (fused.k, fused.j);
	if !fused.x.ty.contains((1i128 << j) - 1) {
		return Err(unsupported(&fused.label, "Clip's max is outside the tensor's type"));
	}
	elementwise(builder, fused.x, fused.divisor, &fused.label, &mut |b, x, _| {
		Ok(b.rescale_clip(x, k, j))
	})
}

fn check_magnitude(value: &Value, node: &str) -> Result<()> {
	let limit = 1i128 << MAX_MAGNITUDE_BITS;
	if value.lo < -limit || value.hi > limit {
		return Err(CompileError::Magnitude { node: node.into() });
	}
	Ok(())
}

fn attribute<'a>(node: &'a NodeProto, name: &str) -> Option<&'a onnx::AttributeProto> {
	node.attribute.iter().find(|a| a.name == name)
}

fn input<'a>(
	env: &'a HashMap<String, Tensor>,
	node: &NodeProto,
	index: usize,
	label: &str,
) -> Result<&'a Tensor> {
	let name = node.input.get(index).filter(|n| !n.is_empty()).ok_or_else(|| {
		CompileError::Unsupported { node: label.into(), why: format!("input {index} is missing") }
	})?;
	env.get(name).ok_or_else(|| CompileError::MissingTensor { name: name.clone() })
}

fn optional_input<'a>(
	env: &'a HashMap<String, Tensor>,
	node: &NodeProto,
	index: usize,
	label: &str,
) -> Result<Option<&'a Tensor>> {
	match node.input.get(index) {
		Some(name) if !name.is_empty() => input(env, node, index, label).map(Some),
		_ => Ok(None),
	}
}

fn unsupported(label: &str, why: impl Into<String>) -> CompileError {
	CompileError::Unsupported { node: label.into(), why: why.into() }
}

fn scalar(tensor: &Tensor, label: &str, what: &str) -> Result<i128> {
	match tensor.values.as_slice() {
		[v] if v.is_constant() => Ok(v.value),
		_ => Err(unsupported(label, format!("{what} must be a constant scalar"))),
	}
}

/// Numpy broadcasting of two shapes.
fn broadcast_shape(a: &[usize], b: &[usize], label: &str) -> Result<Vec<usize>> {
	let rank = a.len().max(b.len());
	let dim = |shape: &[usize], i: usize| {
		let pad = rank - shape.len();
		if i < pad {
			1
		} else {
			shape[i - pad]
		}
	};
	(0..rank)
		.map(|i| match (dim(a, i), dim(b, i)) {
			(x, y) if x == y => Ok(x),
			(1, y) => Ok(y),
			(x, 1) => Ok(x),
			(x, y) => Err(unsupported(
				label,
				format!("shapes {a:?} and {b:?} do not broadcast ({x} vs {y})"),
			)),
		})
		.collect()
}

/// The flat index in `shape` (right-aligned, broadcast) of the flat index `flat` in `out`.
fn broadcast_index(out: &[usize], shape: &[usize], mut flat: usize) -> usize {
	let pad = out.len() - shape.len();
	let mut index = 0;
	let mut stride = 1;
	for i in (0..out.len()).rev() {
		let coordinate = flat % out[i];
		flat /= out[i];
		if i >= pad {
			let size = shape[i - pad];
			if size != 1 {
				index += coordinate * stride;
			}
			stride *= size;
		}
	}
	index
}

/// `op` applied to each value of `x`, giving a tensor of type `ty` and `x`'s shape.
fn map_values(
	builder: &mut Builder,
	x: &Tensor,
	ty: IntType,
	op: &mut dyn FnMut(&mut Builder, &Value) -> Value,
) -> Result<Tensor> {
	let mut values = Vec::with_capacity(x.values.len());
	for value in &x.values {
		values.push(op(builder, value));
		builder.check_budget()?;
	}
	Ok(Tensor { ty, shape: x.shape.clone(), values })
}

fn elementwise(
	builder: &mut Builder,
	a: &Tensor,
	b: &Tensor,
	label: &str,
	op: &mut dyn FnMut(&mut Builder, &Value, &Value) -> Result<Value>,
) -> Result<Tensor> {
	let shape = broadcast_shape(&a.shape, &b.shape, label)?;
	let count = checked_len(&shape, &format!("node {label}'s result"))?;
	let mut values = Vec::with_capacity(count);
	for flat in 0..count {
		builder.check_budget()?;
		let x = &a.values[broadcast_index(&shape, &a.shape, flat)];
		let y = &b.values[broadcast_index(&shape, &b.shape, flat)];
		let mut value = op(builder, x, y)?;
		builder.add_terms(value.lc.len());
		check_magnitude(&value, label)?;
		value.lc = compact(value.lc);
		values.push(builder.wrap(value, a.ty));
	}
	Ok(Tensor { ty: a.ty, shape, values })
}

fn add_values(x: &Value, y: &Value, sign: i128, label: &str) -> Result<Value> {
	let overflow = || CompileError::Magnitude { node: label.into() };
	let (lo, hi) = if sign > 0 {
		(x.lo.checked_add(y.lo), x.hi.checked_add(y.hi))
	} else {
		(x.lo.checked_sub(y.hi), x.hi.checked_sub(y.lo))
	};
	let value = x.value.checked_add(sign * y.value).ok_or_else(overflow)?;
	let value = Value {
		lc: sum(&x.lc, &scaled(&y.lc, Fr::from(sign))),
		value,
		lo: lo.ok_or_else(overflow)?,
		hi: hi.ok_or_else(overflow)?,
	};
	check_magnitude(&value, label)?;
	Ok(value)
}

fn mul_values(builder: &mut Builder, x: &Value, y: &Value, label: &str) -> Result<Value> {
	let overflow = || CompileError::Magnitude { node: label.into() };
	let corners = [
		x.lo.checked_mul(y.lo),
		x.lo.checked_mul(y.hi),
		x.hi.checked_mul(y.lo),
		x.hi.checked_mul(y.hi),
	];
	let corners = corners.into_iter().collect::<Option<Vec<i128>>>().ok_or_else(overflow)?;
	let lo = corners.iter().copied().min().unwrap_or_default();
	let hi = corners.iter().copied().max().unwrap_or_default();
	let value = x.value * y.value;
	let lc = if x.is_constant() {
		scaled(&y.lc, Fr::from(x.value))
	} else if y.is_constant() {
		scaled(&x.lc, Fr::from(y.value))
	} else {
		let out = builder.witness(Fr::from(value));
		builder.enforce(x.lc.clone(), y.lc.clone(), vec![(Fr::one(), out)]);
		vec![(Fr::one(), out)]
	};
	let value = Value { lc, value, lo, hi };
	check_magnitude(&value, label)?;
	Ok(value)
}

/// `a · b` for `a` of shape `[.., m, k]` and `b` of shape `[k, n]`, one of them constant.
fn matmul(
	builder: &mut Builder,
	a: &Tensor,
	b: &Tensor,
	ty: IntType,
	label: &str,
) -> Result<Tensor> {
	if !a.is_constant() && !b.is_constant() {
		return Err(unsupported(label, "a matrix product of two computed tensors is outside the subset; one operand must be a weight"));
	}
	let (a_shape, squeeze_row) = match a.shape.len() {
		1 => (vec![1, a.shape[0]], true),
		0 => return Err(unsupported(label, "MatMul of a scalar")),
		_ => (a.shape.clone(), false),
	};
	let (b_shape, squeeze_col) = match b.shape.len() {
		1 => (vec![b.shape[0], 1], true),
		2 => (b.shape.clone(), false),
		_ => return Err(unsupported(label, "MatMul with a batched right operand")),
	};
	let (k, n) = (b_shape[0], b_shape[1]);
	let m = a_shape[a_shape.len() - 1];
	if m != k {
		return Err(unsupported(label, format!("inner dimensions {m} and {k} differ")));
	}
	let rows = checked_len(&a_shape[..a_shape.len() - 1], &format!("node {label}'s rows"))?;
	let mut result_shape = a_shape[..a_shape.len() - 1].to_vec();
	result_shape.push(n);
	checked_len(&result_shape, &format!("node {label}'s result"))?;
	let mut values = Vec::with_capacity(rows * n);
	let overflow = || CompileError::Magnitude { node: label.into() };
	for row in 0..rows {
		for col in 0..n {
			builder.check_budget()?;
			// Summed in place: one weight times one value per term, the weight a constant.
			let mut acc = Value { lc: Vec::new(), value: 0, lo: 0, hi: 0 };
			for i in 0..k {
				let (x, y) = (&a.values[row * k + i], &b.values[i * n + col]);
				let (weight, term) = if y.is_constant() { (y.value, x) } else { (x.value, y) };
				if weight == 0 {
					continue;
				}
				let (lo, hi) = if weight > 0 { (term.lo, term.hi) } else { (term.hi, term.lo) };
				let scaled_value = |v: i128| v.checked_mul(weight).ok_or_else(overflow);
				acc.value =
					acc.value.checked_add(scaled_value(term.value)?).ok_or_else(overflow)?;
				acc.lo = acc.lo.checked_add(scaled_value(lo)?).ok_or_else(overflow)?;
				acc.hi = acc.hi.checked_add(scaled_value(hi)?).ok_or_else(overflow)?;
				let factor = Fr::from(weight);
				builder.add_terms(term.lc.len());
				acc.lc.extend(term.lc.iter().map(|(c, v)| (*c * factor, *v)));
			}
			check_magnitude(&acc, label)?;
			acc.lc = compact(acc.lc);
			values.push(builder.wrap(acc, ty));
		}
	}
	let mut shape = a_shape[..a_shape.len() - 1].to_vec();
	if squeeze_row {
		shape.pop();
	}
	if !squeeze_col {
		shape.push(n);
	}
	Ok(Tensor { ty, shape, values })
}

fn subtract_zero_point(
	tensor: &Tensor,
	zero_point: Option<&Tensor>,
	label: &str,
) -> Result<Tensor> {
	let Some(zero_point) = zero_point else { return Ok(tensor.clone()) };
	let zp = scalar(zero_point, label, "a zero point")?;
	let values = tensor
		.values
		.iter()
		.map(|v| add_values(v, &Value::constant(zp), -1, label))
		.collect::<Result<_>>()?;
	Ok(Tensor { ty: IntType::I32, shape: tensor.shape.clone(), values })
}

fn apply(
	builder: &mut Builder,
	env: &HashMap<String, Tensor>,
	node: &NodeProto,
	label: &str,
) -> Result<Tensor> {
	if !(node.domain.is_empty() || node.domain == "ai.onnx") {
		return Err(CompileError::UnsupportedOperator {
			op: format!("{}:{}", node.domain, node.op_type),
			node: label.into(),
		});
	}
	let arg = |i| input(env, node, i, label);
	match node.op_type.as_str() {
		"Identity" => arg(0).cloned(),
		"Add" | "Sub" => {
			let sign = if node.op_type == "Add" { 1 } else { -1 };
			elementwise(builder, arg(0)?, arg(1)?, label, &mut |_, x, y| add_values(x, y, sign, label))
		},
		"Mul" => elementwise(builder, arg(0)?, arg(1)?, label, &mut |b, x, y| mul_values(b, x, y, label)),
		"Div" => elementwise(builder, arg(0)?, arg(1)?, label, &mut |b, x, y| {
			let divisor = y.value;
			if !y.is_constant() || divisor <= 0 || divisor.count_ones() != 1 {
				return Err(unsupported(label, "Div needs a constant power-of-two divisor"));
			}
			Ok(b.div_pow2(x, divisor.trailing_zeros()))
		}),
		"Relu" => {
			let x = arg(0)?;
			map_values(builder, x, x.ty, &mut |b, v| b.max_with(v, 0))
		},
		"Clip" => {
			let x = arg(0)?;
			let lo = optional_input(env, node, 1, label)?.map(|t| scalar(t, label, "Clip's min")).transpose()?;
			let hi = optional_input(env, node, 2, label)?.map(|t| scalar(t, label, "Clip's max")).transpose()?;
			map_values(builder, x, x.ty, &mut |b, v| {
				let v = match lo { Some(lo) => b.max_with(v, lo), None => v.clone() };
				match hi { Some(hi) => b.min_with(&v, hi), None => v }
			})
		},
		"Cast" => {
			let x = arg(0)?;
			let to = attribute(node, "to").map(|a| a.i).unwrap_or_default();
			let ty = i32::try_from(to).ok().and_then(IntType::from_onnx_code).ok_or_else(|| unsupported(label, "Cast to a non-integer type"))?;
			map_values(builder, x, ty, &mut |b, v| b.wrap(v.clone(), ty))
		},
		"Reshape" => {
			let x = arg(0)?;
			let target = arg(1)?;
			if !target.is_constant() {
				return Err(unsupported(label, "Reshape needs a constant shape"));
			}
			let count: usize = x.shape.iter().product();
			let mut shape = Vec::new();
			let mut infer = None;
			for (i, dim) in target.values.iter().enumerate() {
				match dim.value {
					-1 => { infer = Some(i); shape.push(1) },
					0 => shape.push(*x.shape.get(i).ok_or_else(|| unsupported(label, "Reshape copies a missing dimension"))?),
					d if d > 0 => shape.push(d as usize),
					_ => return Err(unsupported(label, "Reshape with a negative dimension")),
				}
			}
			let known = checked_len(&shape, &format!("node {label}'s shape"))?;
			if let Some(i) = infer {
				if known == 0 || !count.is_multiple_of(known) {
					return Err(unsupported(label, "Reshape cannot infer its -1 dimension"));
				}
				shape[i] = count / known;
			}
			if shape.iter().product::<usize>() != count {
				return Err(unsupported(label, format!("Reshape of {:?} to {shape:?}", x.shape)));
			}
			Ok(Tensor { ty: x.ty, shape, values: x.values.clone() })
		},
		"Flatten" => {
			let x = arg(0)?;
			let rank = x.shape.len() as i64;
			let axis = attribute(node, "axis").map(|a| a.i).unwrap_or(1);
			let axis = if axis < 0 { axis + rank } else { axis };
			if !(0..=rank).contains(&axis) {
				return Err(unsupported(label, "Flatten's axis is out of range"));
			}
			let (head, tail) = x.shape.split_at(axis as usize);
			let shape = vec![
				checked_len(head, &format!("node {label}'s rows"))?,
				checked_len(tail, &format!("node {label}'s columns"))?,
			];
			Ok(Tensor { ty: x.ty, shape, values: x.values.clone() })
		},
		"MatMul" => {
			let (a, b) = (arg(0)?, arg(1)?);
			matmul(builder, a, b, a.ty, label)
		},
		"MatMulInteger" => {
			let a = subtract_zero_point(arg(0)?, optional_input(env, node, 2, label)?, label)?;
			let b = subtract_zero_point(arg(1)?, optional_input(env, node, 3, label)?, label)?;
			matmul(builder, &a, &b, IntType::I32, label)
		},
		"Gemm" => Err(unsupported(label, "integer Gemm has no ONNX Runtime kernel; write MatMul then Add (the preparation tool does)")),
		op => Err(CompileError::UnsupportedOperator { op: op.into(), node: label.into() }),
	}
}
