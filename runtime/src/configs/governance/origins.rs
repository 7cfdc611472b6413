//! The origins that referenda on OPG's custom tracks dispatch with, and whether the chain uses
//! the production or the development timing of its tracks.
//!
//! A referendum's proposal names one of these origins (or root); the track of that origin
//! decides the deposit, the periods and the curves (see [`super::tracks`]). Each pallet then
//! accepts the origin that governs it: the registry [`ModelCurator`], attestations and the
//! inference deadlines [`NodeAdmin`], the inference fees [`FeeAdmin`], the treasury
//! [`Treasurer`] (with a spend limit), the referenda themselves [`ReferendumCanceller`]. Root, the
//! root track's origin, passes everywhere.

pub use pallet_custom_origins::*;

#[frame_support::pallet]
pub mod pallet_custom_origins {
	use frame_support::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The custom origins, one per track besides root.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// Approves model versions (and with them their ZK verifying keys), suspends, resumes
		/// and removes models, and says whether approval is required.
		#[codec(index = 0)]
		ModelCurator,
		/// Sets the node parameters (bonds, slashes, committee size, periods) and chills nodes.
		#[codec(index = 1)]
		NodeAdmin,
		/// Sets the protocol fees and the fee shares.
		#[codec(index = 2)]
		FeeAdmin,
		/// Spends from the treasury, up to the treasurer track's limit.
		#[codec(index = 3)]
		Treasurer,
		/// Cancels referenda (refunding their deposits) or kills them (slashing the deposits
		/// to the treasury).
		#[codec(index = 4)]
		ReferendumCanceller,
	}

	/// Which periods the tracks run on.
	#[derive(
		PartialEq,
		Eq,
		Clone,
		Copy,
		Default,
		MaxEncodedLen,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		Debug,
		serde::Serialize,
		serde::Deserialize,
	)]
	pub enum Timing {
		/// Days and weeks: time for holders to read, discuss and vote.
		#[default]
		Production,
		/// A few blocks, for dev and local chains, where a referendum is a test.
		Development,
	}

	/// The periods the tracks use: set in the chain spec, never changed afterwards (no call but
	/// root's `System.set_storage` writes it), so a production chain cannot be switched to
	/// minute-long referenda. Only the `development` preset sets `Development`.
	#[pallet::storage]
	pub type TrackTiming<T> = StorageValue<_, Timing, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The chain's timing; production when the chain spec says nothing.
		pub timing: Timing,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			TrackTiming::<T>::put(self.timing);
		}
	}

	impl<T: Config> Pallet<T> {
		/// Whether the tracks run on development periods.
		pub fn is_development() -> bool {
			TrackTiming::<T>::get() == Timing::Development
		}
	}

	/// Declares `$name`, an `EnsureOrigin` that accepts exactly `Origin::$variant`.
	macro_rules! ensure_custom_origin {
		($($name:ident => $variant:ident),* $(,)?) => { $(
			#[doc = concat!("Accepts the [`Origin::", stringify!($variant), "`] origin.")]
			pub struct $name;
			impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
			where
				for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
			{
				type Success = ();

				fn try_origin(o: O) -> Result<Self::Success, O> {
					if let Ok(Origin::$variant) = o.caller().try_into() {
						return Ok(());
					}
					Err(o)
				}

				#[cfg(feature = "runtime-benchmarks")]
				fn try_successful_origin() -> Result<O, ()> {
					Ok(O::from(Origin::$variant))
				}
			}
		)* };
	}

	ensure_custom_origin! {
		ModelCurator => ModelCurator,
		NodeAdmin => NodeAdmin,
		FeeAdmin => FeeAdmin,
		Treasurer => Treasurer,
		ReferendumCanceller => ReferendumCanceller,
	}
}
