//! Governed parameters: one mechanism for every pallet whose numbers token holders change.
//!
//! A pallet keeps its parameters in one struct, stored whole; a referendum changes one field at
//! a time (so that referenda on different fields run side by side and none restores a value
//! another one changed), and no field may leave the runtime's bounds (a minimum and a maximum
//! parameter set). [`governed_parameters!`] writes the struct, the one-field change enum with
//! stable SCALE indices, `apply` and `within` from one list of fields;
//! each pallet keeps only the relations between its fields (a quorum above one half, an
//! unbonding period longer than a dispute) in a `check` of its own.

/// Declares a pallet's governed parameters: the struct, the enum of one-field changes
/// (`#[codec(index)]` as written, so an encoded change never means another field), and
/// `apply` (sets the field a change names) and `within` (every field between its bounds, by
/// `PartialOrd`: a composite field, such as a fee split, compares field by field, so it lies
/// within its bounds when each of its parts does).
///
/// ```ignore
/// use opg_primitives::governed_parameters;
/// use sp_runtime::Perbill;
///
/// governed_parameters! {
///     /// What governance sets.
///     #[derive(Clone, PartialEq, Debug, Encode, Decode)]
///     pub struct Parameters<Balance, BlockNumber> {
///         /// The least a node bonds.
///         pub min_bond: Balance => MinBond = 0,
///         /// Blocks a round lasts.
///         pub period: BlockNumber => Period = 1,
///         /// What a loser loses.
///         pub slash: Perbill => Slash = 2,
///     }
///     /// One parameter with its new value.
///     #[derive(Clone, PartialEq, Debug, Encode, Decode)]
///     pub enum ParameterChange;
/// }
///
/// let mut parameters = Parameters { min_bond: 10u64, period: 5u32, slash: Perbill::zero() };
/// parameters.apply(ParameterChange::Period(7));
/// assert_eq!(parameters.period, 7);
/// let minimum = Parameters { min_bond: 1, period: 1, slash: Perbill::zero() };
/// let maximum = Parameters { min_bond: 100, period: 6, slash: Perbill::one() };
/// assert!(!parameters.within(&minimum, &maximum));
/// ```
#[macro_export]
macro_rules! governed_parameters {
	(
		$(#[$meta:meta])*
		pub struct $name:ident<$($generic:ident),+> {
			$(
				$(#[$field_meta:meta])*
				pub $field:ident: $ty:ty => $variant:ident = $index:literal,
			)+
		}
		$(#[$change_meta:meta])*
		pub enum $change:ident;
	) => {
		$(#[$meta])*
		pub struct $name<$($generic),+> {
			$(
				$(#[$field_meta])*
				pub $field: $ty,
			)+
		}

		$(#[$change_meta])*
		pub enum $change<$($generic),+> {
			$(
				#[doc = concat!("Sets [`", stringify!($name), "::", stringify!($field), "`].")]
				#[codec(index = $index)]
				$variant($ty),
			)+
		}

		impl<$($generic),+> $name<$($generic),+> {
			/// Sets the parameter that `change` names.
			pub fn apply(&mut self, change: $change<$($generic),+>) {
				match change {
					$($change::$variant(value) => self.$field = value,)+
				}
			}
		}

		impl<$($generic: PartialOrd),+> $name<$($generic),+> {
			/// Whether every parameter lies between its value in `minimum` and in `maximum`
			/// (inclusive): the bounds no referendum can leave.
			pub fn within(&self, minimum: &Self, maximum: &Self) -> bool {
				true $(&& minimum.$field <= self.$field && self.$field <= maximum.$field)+
			}
		}
	};
}

#[cfg(test)]
mod tests {
	use sp_runtime::Perbill;

	crate::governed_parameters! {
		/// Test parameters.
		#[derive(Clone, PartialEq, Debug, codec::Encode, codec::Decode)]
		pub struct Parameters<Balance, BlockNumber> {
			/// A bond.
			pub bond: Balance => Bond = 0,
			/// A period.
			pub period: BlockNumber => Period = 3,
			/// A fraction.
			pub slash: Perbill => Slash = 1,
		}
		/// A change.
		#[derive(Clone, PartialEq, Debug, codec::Encode, codec::Decode)]
		pub enum ParameterChange;
	}

	fn parameters(bond: u128, period: u32, slash: u32) -> Parameters<u128, u32> {
		Parameters { bond, period, slash: Perbill::from_percent(slash) }
	}

	#[test]
	fn a_change_sets_exactly_its_field() {
		let mut set = parameters(10, 5, 20);
		set.apply(ParameterChange::Slash(Perbill::from_percent(30)));
		assert_eq!(set, parameters(10, 5, 30));
		set.apply(ParameterChange::Bond(11));
		assert_eq!(set, parameters(11, 5, 30));
	}

	#[test]
	fn a_change_encodes_with_its_declared_index() {
		use codec::Encode;
		assert_eq!(ParameterChange::<u128, u32>::Period(7).encode().first(), Some(&3));
		assert_eq!(ParameterChange::<u128, u32>::Slash(Perbill::zero()).encode().first(), Some(&1));
	}

	#[test]
	fn within_checks_every_field_inclusively() {
		let (minimum, maximum) = (parameters(1, 1, 0), parameters(100, 10, 50));
		assert!(parameters(1, 10, 50).within(&minimum, &maximum));
		assert!(!parameters(0, 5, 10).within(&minimum, &maximum));
		assert!(!parameters(5, 11, 10).within(&minimum, &maximum));
		assert!(!parameters(5, 5, 51).within(&minimum, &maximum));
	}
}
