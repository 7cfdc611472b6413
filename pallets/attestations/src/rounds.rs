//! Opening and deciding rounds, and moving slashed funds: who loses what, and who is paid.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Balanced, BalancedHold, MutateHold},
		tokens::Precision,
		Imbalance, OnUnbalanced,
	},
};
use opg_primitives::attestation::{Conclusion, NodeRole, OnConclusion, OutputHash, SubjectId};
use sp_runtime::{
	traits::{CheckedDiv, One, Saturating, Zero},
	Perbill,
};

use crate::{
	ActiveParameters, BalanceOf, Claims, CommitteeMember, Config, CreditOf, Duties, Error, Event,
	HoldReason, Nodes, Pallet, Reputations, Round, RoundOf, RoundOrigin, Rounds, SlashReason,
};

impl<T: Config> Pallet<T> {
	/// Opens a round on `claimant`'s claim of `claimed` for `subject`, its committee to be
	/// drawn at the start of the next block, and counts the claimant's work.
	pub(crate) fn open_round_for(
		subject: SubjectId,
		claimant: &T::AccountId,
		claimed: OutputHash,
		origin: RoundOrigin<T::AccountId, BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(
			!Claims::<T>::contains_key(subject) && !Rounds::<T>::contains_key(subject),
			Error::<T>::SubjectInUse
		);
		Self::ensure_can_work(claimant)?;
		let now = frame_system::Pallet::<T>::block_number();
		let draw_at = Self::schedule(subject, now.saturating_add(One::one()))?;
		Self::begin_internal_work(claimant)?;
		let kind = origin.kind();
		Rounds::<T>::insert(
			subject,
			Round {
				origin,
				claimant: claimant.clone(),
				claimed,
				committee: BoundedVec::new(),
				draw_at,
				votes_needed: 0,
				opened_at: now,
				commit_deadline: Zero::zero(),
				reveal_deadline: Zero::zero(),
			},
		);
		Self::deposit_event(Event::RoundOpened {
			subject,
			kind,
			claimant: claimant.clone(),
			draw_at,
		});
		Ok(())
	}

	/// Draws the committee of `subject`'s round (never the claimant or a challenger) from this
	/// block's parent hash, which did not exist when the round was opened, and starts its
	/// commit phase. Without enough eligible verifiers (or a deadline slot) the round ends
	/// undecided at once.
	pub(crate) fn draw_committee(subject: SubjectId, mut round: RoundOf<T>) {
		let parameters = ActiveParameters::<T>::get();
		let mut exclude = alloc::vec![round.claimant.clone()];
		if let RoundOrigin::Dispute { challenger, .. } = &round.origin {
			exclude.push(challenger.clone());
		}
		let now = frame_system::Pallet::<T>::block_number();
		let commit_deadline = now.saturating_add(parameters.commit_period);
		let drawn =
			Self::select_nodes(NodeRole::Verifier, subject, parameters.committee_size, &exclude)
				.ok()
				.and_then(|committee| {
					let members = committee
						.iter()
						.map(|account| CommitteeMember {
							account: account.clone(),
							commitment: None,
							revealed: None,
						})
						.collect::<Vec<_>>();
					let members = BoundedVec::try_from(members).ok()?;
					let reveal_deadline = Self::schedule(
						subject,
						commit_deadline.saturating_add(parameters.reveal_period),
					)
					.ok()?;
					Some((committee, members, reveal_deadline))
				});
		let Some((committee, members, reveal_deadline)) = drawn else {
			Self::deposit_event(Event::NoCommittee { subject });
			Self::conclude_round(subject, round);
			return;
		};
		for member in &committee {
			// Selection returns eligible (so registered, not leaving) nodes only.
			let _ = Self::begin_internal_work(member);
			Duties::<T>::insert(member, subject, ());
		}
		round.committee = members;
		round.votes_needed = parameters.votes_needed(parameters.committee_size);
		round.commit_deadline = commit_deadline;
		round.reveal_deadline = reveal_deadline;
		Rounds::<T>::insert(subject, round);
		Self::deposit_event(Event::CommitteeDrawn {
			subject,
			committee,
			commit_deadline,
			reveal_deadline,
		});
	}

	/// Decides `subject`'s round: slashes the minority, the non-revealers and the loser, pays
	/// the winners, ends everyone's work, removes the round and tells the consumer.
	pub(crate) fn conclude_round(subject: SubjectId, round: RoundOf<T>) {
		let parameters = ActiveParameters::<T>::get();
		let decided = round.decided_output();
		let mut pot = CreditOf::<T>::zero();
		let mut honest = Vec::new();
		let mut reveals = 0u32;
		for member in &round.committee {
			Self::end_internal_work(&member.account);
			Duties::<T>::remove(&member.account, subject);
			match (member.revealed, decided) {
				(None, _) => {
					pot.subsume(Self::slash_bond(
						&member.account,
						parameters.no_reveal_slash,
						SlashReason::NoReveal,
					));
					Self::note_outcome(&member.account, false);
				}
				(Some(output), Some(decided)) if output != decided => {
					reveals = reveals.saturating_add(1);
					pot.subsume(Self::slash_bond(
						&member.account,
						parameters.minority_slash,
						SlashReason::MinorityReveal,
					));
					Self::note_outcome(&member.account, false);
				}
				(Some(_), _) => {
					reveals = reveals.saturating_add(1);
					if decided.is_some() {
						Self::note_outcome(&member.account, true);
					}
					honest.push(member.account.clone());
				}
			}
		}
		Self::end_internal_work(&round.claimant);
		let kind = round.origin.kind();
		let conclusion = match decided {
			Some(decided) => {
				let upheld = decided == round.claimed;
				Self::note_outcome(&round.claimant, upheld);
				match (&round.origin, upheld) {
					(RoundOrigin::Verification, false) => pot.subsume(Self::slash_bond(
						&round.claimant,
						parameters.false_claim_slash,
						SlashReason::FalseClaim,
					)),
					(RoundOrigin::Verification, true) => {}
					(RoundOrigin::Dispute { challenger, bond }, true) => {
						let (lost, _) = T::Currency::slash(
							&HoldReason::ChallengeBond.into(),
							challenger,
							*bond,
						);
						Self::deposit_event(Event::Slashed {
							who: challenger.clone(),
							amount: lost.peek(),
							reason: SlashReason::FailedChallenge,
						});
						Self::pay_out(lost, core::slice::from_ref(&round.claimant));
					}
					(RoundOrigin::Dispute { challenger, bond }, false) => {
						Self::release_challenge_bond(challenger, *bond);
						let lost = Self::slash_bond(
							&round.claimant,
							parameters.false_claim_slash,
							SlashReason::FalseClaim,
						);
						Self::pay_out(lost, core::slice::from_ref(challenger));
					}
				}
				Self::deposit_event(Event::RoundDecided {
					subject,
					kind,
					claimed: round.claimed,
					decided,
					claim_upheld: upheld,
				});
				Conclusion::Decided {
					kind,
					majority: honest.clone(),
					claimant: round.claimant.clone(),
					claimed: round.claimed,
					decided,
				}
			}
			None => {
				if let RoundOrigin::Dispute { challenger, bond } = &round.origin {
					Self::release_challenge_bond(challenger, *bond);
				}
				Self::deposit_event(Event::RoundUndecided { subject, kind, reveals });
				Conclusion::Undecided {
					kind,
					claimant: round.claimant.clone(),
					claimed: round.claimed,
				}
			}
		};
		Self::pay_out(pot, &honest);
		Rounds::<T>::remove(subject);
		T::OnConclusion::on_conclusion(subject, &conclusion);
	}

	/// Gives a challenger its bond back.
	fn release_challenge_bond(challenger: &T::AccountId, bond: BalanceOf<T>) {
		let released = T::Currency::release(
			&HoldReason::ChallengeBond.into(),
			challenger,
			bond,
			Precision::BestEffort,
		)
		.unwrap_or_else(|_| Zero::zero());
		Self::deposit_event(Event::ChallengeBondReleased {
			challenger: challenger.clone(),
			amount: released,
		});
	}

	/// Slashes `fraction` of everything `who` holds as a bond (active first, then the newest
	/// unbonding chunks), records it, and returns the slashed funds.
	pub(crate) fn slash_bond(
		who: &T::AccountId,
		fraction: Perbill,
		reason: SlashReason,
	) -> CreditOf<T> {
		let Some(mut node) = Nodes::<T>::get(who) else { return CreditOf::<T>::zero() };
		let amount = fraction.mul_floor(node.total_held());
		if amount.is_zero() {
			return CreditOf::<T>::zero();
		}
		let (credit, _) = T::Currency::slash(&HoldReason::NodeBond.into(), who, amount);
		let mut left = credit.peek();
		let from_active = left.min(node.bonded);
		node.bonded = node.bonded.saturating_sub(from_active);
		left = left.saturating_sub(from_active);
		for chunk in node.unlocking.iter_mut().rev() {
			let taken = left.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(taken);
			left = left.saturating_sub(taken);
		}
		node.unlocking.retain(|chunk| !chunk.amount.is_zero());
		Self::refresh_status(who, &mut node, frame_system::Pallet::<T>::block_number());
		Self::store_node(who, &node);
		Reputations::<T>::mutate(who, |reputation| {
			reputation.slashes = reputation.slashes.saturating_add(1);
			reputation.slashed = reputation.slashed.saturating_add(credit.peek());
		});
		Self::deposit_event(Event::Slashed { who: who.clone(), amount: credit.peek(), reason });
		credit
	}

	/// Pays `reward_share` of `pot` to `winners` in equal parts and the rest (with any
	/// rounding dust, or all of it when there are no winners) to the treasury.
	pub(crate) fn pay_out(pot: CreditOf<T>, winners: &[T::AccountId]) {
		if pot.peek().is_zero() {
			return;
		}
		let share = ActiveParameters::<T>::get().reward_share;
		let mut rest = pot;
		let count = BalanceOf::<T>::from(winners.len() as u32);
		if !count.is_zero() {
			let each = share.mul_floor(rest.peek()).checked_div(&count).unwrap_or_else(Zero::zero);
			for winner in winners {
				let (reward, remainder) = rest.split(each);
				rest = remainder;
				let amount = reward.peek();
				match T::Currency::resolve(winner, reward) {
					Ok(()) => Self::deposit_event(Event::Rewarded { who: winner.clone(), amount }),
					Err(unpaid) => rest.subsume(unpaid),
				}
			}
		}
		T::OnSlash::on_unbalanced(rest);
	}
}
