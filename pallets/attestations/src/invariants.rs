//! The pallet's invariants (see the crate docs), checked by `try_state` and after every unit
//! test, and the units of open work it gives each node, which the runtime checks against the
//! registry's counts.

#[cfg(any(feature = "try-runtime", test))]
use super::*;

#[cfg(any(feature = "try-runtime", test))]
impl<T: Config> Pallet<T> {
	/// Checks the invariants listed in the crate docs.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		let now = frame_system::Pallet::<T>::block_number();
		opg_primitives::check_storage_version::<Self>()?;
		// Deadlines at the cursors or later are listed (rounds' at `DueFrom`, claims' at
		// `ClaimsDueFrom`); the hook ended everything before them.
		let due_from = DueFrom::<T>::get();
		ensure!(due_from <= now.saturating_add(One::one()), "the deadline cursor is ahead of time");
		let claims_due_from = ClaimsDueFrom::<T>::get();
		ensure!(
			claims_due_from <= now.saturating_add(One::one()),
			"the claim cursor is ahead of time"
		);

		// Rounds, claims, deadlines and challenge bonds.
		let mut challenge_bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut appeal_bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut scheduled = 0usize;
		let mut duties = 0usize;
		let mut reveals = 0usize;
		for (subject, round) in Rounds::<T>::iter() {
			ensure!(!Claims::<T>::contains_key(subject), "a subject has a claim and a round");
			for (position, member) in round.committee.iter().enumerate() {
				ensure!(
					Duties::<T>::contains_key(&member.account, subject),
					"a committee member's duty is not indexed"
				);
				duties = duties.saturating_add(1);
				ensure!(
					member.revealed.is_none() || member.commitment.is_some(),
					"a member revealed without committing"
				);
				let kept = RevealedOutputs::<T>::get(subject, position as u32);
				ensure!(
					kept.map(|output| api::revealed_hash(&output)) == member.revealed,
					"a member's revealed output is not kept, or differs from its reveal"
				);
				reveals = reveals.saturating_add(usize::from(member.revealed.is_some()));
			}
			let kept = RevealedOutputs::<T>::get(subject, CLAIMANT_POSITION);
			ensure!(
				kept.map(|output| api::revealed_hash(&output)) == round.claimant_output,
				"the claimant's revealed output is not kept, or differs from its reveal"
			);
			reveals = reveals.saturating_add(usize::from(round.claimant_output.is_some()));
			if round.origin.kind() == RoundKind::Verification {
				ensure!(
					Duties::<T>::contains_key(&round.claimant, subject),
					"a verification round's claimant has no duty to reveal"
				);
				duties = duties.saturating_add(1);
			} else {
				ensure!(round.claimant_output.is_some(), "a dispute has no claimed output");
			}
			match (&round.verdict, &round.appeal) {
				(Some(verdict), None) => {
					// A provisional verdict: its first committee's, decided, open to appeal.
					let position = round.decided_position();
					ensure!(
						position == Some(verdict.position as usize),
						"a provisional verdict is not what its committee decided"
					);
					let decided = position
						.and_then(|position| round.committee.get(position))
						.and_then(|member| member.revealed);
					ensure!(decided == Some(verdict.decided), "a verdict names another output");
				}
				(None, Some(_)) => return Err("an appeal of no verdict".into()),
				_ => ensure!(!round.all_revealed(), "a round is open and decided"),
			}
			ensure!(
				round.verdict.is_none() || round.origin.kind() == RoundKind::Dispute,
				"a verification round waits for an appeal"
			);
			if let Some(appeal) = &round.appeal {
				for (position, member) in appeal.first_committee.iter().enumerate() {
					let at = FIRST_COMMITTEE_OFFSET.saturating_add(position as u32);
					let kept = RevealedOutputs::<T>::get(subject, at);
					ensure!(
						kept.map(|output| api::revealed_hash(&output)) == member.revealed,
						"a first committee member's output is not kept, or differs from its reveal"
					);
					reveals = reveals.saturating_add(usize::from(member.revealed.is_some()));
				}
				let entry = appeal_bonds.entry(appeal.appellant.clone()).or_insert_with(Zero::zero);
				*entry = entry.saturating_add(appeal.bond);
			}
			let deadline = match &round.verdict {
				Some(verdict) if round.appeal.is_none() => verdict.appeal_until,
				_ if round.drawn() => round.reveal_deadline,
				_ => round.draw_at,
			};
			ensure!(deadline >= due_from, "an open round's deadline was passed over");
			let scheduled_at = match round.origin.kind() {
				RoundKind::Verification => Deadlines::<T>::get(deadline).contains(&subject),
				RoundKind::Dispute => DisputeDeadlines::<T>::get(deadline).contains(&subject),
			};
			ensure!(scheduled_at, "an open round is not scheduled in its kind's list");
			scheduled = scheduled.saturating_add(1);
			match round.audit {
				AuditStage::Pending { at } => {
					ensure!(
						round.origin.kind() == RoundKind::Verification && round.drawn(),
						"an audit is pending in a dispute or an undrawn round"
					);
					ensure!(
						at >= due_from && at < round.reveal_deadline,
						"an audit roll is not due between the cursor and the reveal deadline"
					);
					ensure!(
						Deadlines::<T>::get(at).contains(&subject),
						"a pending audit roll is not scheduled"
					);
					ensure!(
						round.committee.iter().all(|member| member.revealed.is_none())
							&& round.claimant_output.is_none(),
						"an output was revealed before the audit roll"
					);
					scheduled = scheduled.saturating_add(1);
				}
				AuditStage::Audited { from, votes_needed } => {
					ensure!(
						round.origin.kind() == RoundKind::Verification
							&& (from as usize) < round.committee.len()
							&& votes_needed as usize
								<= round.committee.len().saturating_sub(from as usize),
						"an audit without audit seats, or in a dispute"
					);
				}
				AuditStage::None => {}
			}
			if let RoundOrigin::Dispute { challenger, bond } = &round.origin {
				let entry = challenge_bonds.entry(challenger.clone()).or_insert_with(Zero::zero);
				*entry = entry.saturating_add(*bond);
				for (joiner, bond) in CoChallengers::<T>::get(subject) {
					ensure!(
						&joiner != challenger && joiner != round.claimant,
						"a dispute's first challenger or claimant joined its challenge"
					);
					let entry = challenge_bonds.entry(joiner).or_insert_with(Zero::zero);
					*entry = entry.saturating_add(bond);
				}
			}
		}
		for (subject, claim) in Claims::<T>::iter() {
			ensure!(
				claim.challenge_deadline >= claims_due_from,
				"an open claim's deadline was passed over"
			);
			ensure!(
				ClaimDeadlines::<T>::get(claim.challenge_deadline).contains(&subject),
				"an open claim is not scheduled"
			);
			scheduled = scheduled.saturating_add(1);
		}
		let listed: usize = Deadlines::<T>::iter_values()
			.map(|list| list.len())
			.chain(DisputeDeadlines::<T>::iter_values().map(|list| list.len()))
			.chain(ClaimDeadlines::<T>::iter_values().map(|list| list.len()))
			.sum();
		ensure!(
			RevealedOutputs::<T>::iter().count() == reveals,
			"an output is kept for no reveal of an open round"
		);
		ensure!(listed == scheduled, "a deadline is listed for no open round or claim");
		ensure!(
			Deadlines::<T>::iter_keys()
				.chain(DisputeDeadlines::<T>::iter_keys())
				.all(|at| at >= due_from),
			"a round deadline list is left behind the cursor"
		);
		ensure!(
			ClaimDeadlines::<T>::iter_keys().all(|at| at >= claims_due_from),
			"a claim deadline list is left behind the claim cursor"
		);
		ensure!(Duties::<T>::iter().count() == duties, "a duty is indexed for no committee seat");
		ensure!(
			CoChallengers::<T>::iter_keys().all(|subject| Rounds::<T>::get(subject)
				.is_some_and(|round| matches!(round.origin, RoundOrigin::Dispute { .. }))),
			"challengers joined no running dispute"
		);
		for (challenger, bond) in challenge_bonds {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::ChallengeBond.into(), &challenger)
					== bond,
				"a challenger's held bond differs from its disputes"
			);
		}
		// Every account's appeal hold belongs to an open appeal (a settled one released it).
		let holders = frame_system::Account::<T>::iter_keys()
			.filter(|who| {
				!T::Currency::balance_on_hold(&HoldReason::AppealBond.into(), who).is_zero()
			})
			.count();
		ensure!(holders == appeal_bonds.len(), "an appeal bond is held for no open appeal");
		for (appellant, bond) in appeal_bonds {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::AppealBond.into(), &appellant) == bond,
				"an appellant's held bond differs from its appeals"
			);
		}
		Ok(())
	}

	/// How many units of open work each node has in this pallet: one per claim it made and per
	/// round it claims in or sits on the committee of. The node registry must count at least as
	/// many (the consumer's jobs add their own).
	pub fn open_work_units() -> alloc::collections::BTreeMap<T::AccountId, u32> {
		let mut work = alloc::collections::BTreeMap::<T::AccountId, u32>::new();
		let mut count = |who: &T::AccountId| {
			let entry = work.entry(who.clone()).or_default();
			*entry = entry.saturating_add(1);
		};
		for (_, round) in Rounds::<T>::iter() {
			round.committee.iter().for_each(|member| count(&member.account));
			if let Some(appeal) = &round.appeal {
				appeal.first_committee.iter().for_each(|member| count(&member.account));
			}
			count(&round.claimant);
		}
		for (_, claim) in Claims::<T>::iter() {
			count(&claim.claimant);
		}
		work
	}
}
