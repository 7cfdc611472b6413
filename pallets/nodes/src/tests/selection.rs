//! Selection: deterministic, distinct, stake-weighted choices from the pools, and pools that
//! stay consistent with the nodes whatever happens to them.

use super::*;
use opg_primitives::attestation::TeeRoles;

#[test]
fn selection_is_deterministic_distinct_and_excludes() {
	network().build_and_execute(|| {
		let first = Nodes::select_nodes(NodeRole::Verifier, subject(1), 5, &[2, 3]).unwrap();
		let again = Nodes::select_nodes(NodeRole::Verifier, subject(1), 5, &[2, 3]).unwrap();
		assert_eq!(first, again);
		let mut sorted = first.clone();
		sorted.sort();
		assert_eq!(sorted, vec![4, 5, 6, 7, 8]);
		assert_eq!(
			Nodes::select_nodes(NodeRole::Verifier, subject(1), 6, &[2, 3]),
			Err(Error::<Test>::NotEnoughNodes.into())
		);
		assert_eq!(
			Nodes::select_nodes(NodeRole::Data, subject(1), 1, &[]),
			Err(Error::<Test>::NotEnoughNodes.into())
		);
		assert_eq!(Nodes::select(NodeRole::Inference, subject(1), 1, &[]), Ok(vec![1]));
	});
}

mod selection_properties {
	use super::*;
	use proptest::prelude::*;

	/// Test externalities with one verifier per stake, accounts 1, 2, ... in order (heartbeat
	/// periods long enough for that many nodes).
	fn pool_of(stakes: &[Balance]) -> sp_io::TestExternalities {
		stakes
			.iter()
			.enumerate()
			.fold(ExtBuilder::default().heartbeat_period(100), |builder, (i, stake)| {
				builder.node(i as AccountId + 1, verifier(), *stake)
			})
			.build()
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]

		/// Same state, same choice; never an excluded node or a duplicate; exactly `k` when
		/// enough nodes remain.
		#[test]
		fn deterministic_distinct_and_never_excluded(
			stakes in proptest::collection::vec(100u64..5_000, 1..20),
			k in 1u32..6,
			excluded in proptest::collection::vec(1u64..21, 0..4),
			seed in any::<u8>(),
		) {
			pool_of(&stakes).execute_with(|| {
				let chosen = Nodes::select_nodes(NodeRole::Verifier, subject(seed), k, &excluded);
				let again = Nodes::select_nodes(NodeRole::Verifier, subject(seed), k, &excluded);
				prop_assert_eq!(&chosen, &again);
				let candidates = (1..=stakes.len() as u64).filter(|n| !excluded.contains(n)).count();
				match chosen {
					Ok(chosen) => {
						prop_assert_eq!(chosen.len(), k as usize);
						let mut unique = chosen.clone();
						unique.sort();
						unique.dedup();
						prop_assert_eq!(unique.len(), chosen.len());
						prop_assert!(chosen.iter().all(|who| !excluded.contains(who)));
					},
					Err(_) => prop_assert!(candidates < k as usize),
				}
				Ok(())
			})?;
		}

		/// After pools change (bonds, leaves, chills, slashes, the Tee role), the tree still
		/// matches the nodes.
		#[test]
		fn pools_stay_consistent(
			stakes in proptest::collection::vec(100u64..5_000, 2..20),
			operations in proptest::collection::vec((0u8..7, 0usize..24, 1u64..500), 1..30),
		) {
			pool_of(&stakes).execute_with(|| {
				for (operation, index, amount) in operations {
					let who = (index % stakes.len()) as AccountId + 1;
					let origin = RuntimeOrigin::signed(who);
					let _ = match operation {
						0 => Nodes::bond_extra(origin, amount),
						1 => Nodes::unbond(origin, amount),
						2 => Nodes::leave(origin),
						3 => Nodes::chill(RuntimeOrigin::root(), who),
						4 => {
							slash_for_fault(who, Perbill::from_parts(amount as u32 * 2_000_000));
							Ok(())
						},
						5 => Nodes::set_roles(
							origin,
							RoleSet::from_roles(&[NodeRole::Inference, NodeRole::Verifier]),
							None,
						),
						_ => {
							if amount % 2 == 0 {
								<Nodes as TeeRoles<_>>::grant_tee_role(&who);
							} else {
								<Nodes as TeeRoles<_>>::revoke_tee_role(&who);
							}
							Ok(())
						},
					};
				}
				prop_assert_eq!(Nodes::do_try_state(), Ok(()));
				Ok(())
			})?;
		}
	}

	/// Over many subjects each node is chosen in proportion to its stake: for single draws
	/// from stakes 1:2:3:4 over 20,000 subjects, every node's share is within 1.5 percentage
	/// points of its stake share (over four standard deviations: a biased draw fails, chance
	/// does not).
	#[test]
	fn choice_is_proportional_to_stake() {
		let stakes = [1_000, 2_000, 3_000, 4_000];
		pool_of(&stakes).execute_with(|| {
			let mut counts = [0u32; 4];
			for n in 0u32..20_000 {
				let subject = H256::from_low_u64_be(n as u64);
				let chosen = Nodes::select_nodes(NodeRole::Verifier, subject, 1, &[]).unwrap();
				counts[(chosen[0] - 1) as usize] += 1;
			}
			for (count, stake) in counts.iter().zip(stakes) {
				let share = *count as f64 / 20_000.0;
				let expected = stake as f64 / 10_000.0;
				assert!((share - expected).abs() < 0.015, "share {share} vs stake {expected}");
			}
		});
	}
}
