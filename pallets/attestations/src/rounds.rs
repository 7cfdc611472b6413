//! Opening, checking and deciding rounds, and moving slashed funds: who loses what, and who is
//! paid.

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Balanced, BalancedHold, MutateHold},
		tokens::Precision,
		Imbalance, OnUnbalanced,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use opg_primitives::attestation::{
	signing_message, Conclusion, NodeKeySignature, NodeRegistry, NodeRole, OnConclusion,
	OutputHash, SignedStatement, SlashBond, SlashReason, SubjectId,
};
use sp_runtime::{
	traits::{CheckedDiv, One, Saturating, Zero},
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionValidityError,
		TransactionValidityWithRefund, ValidTransaction,
	},
	RuntimeAppPublic, SaturatedConversion,
};

use crate::{
	commitment_of, ActiveParameters, BalanceOf, Claims, CommitteeMember, Config, CreditOf, Duties,
	Error, Event, HoldReason, Pallet, Round, RoundOf, RoundOrigin, Rounds, StatementOf,
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
		T::Nodes::begin_work(claimant)?;
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
	/// block's VRF randomness, which nobody knew when the round was opened, and starts its
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
			T::Nodes::select(NodeRole::Verifier, subject, parameters.committee_size, &exclude)
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
			let _ = T::Nodes::begin_work(member);
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
			Duties::<T>::remove(&member.account, subject);
			match (member.revealed, decided) {
				(None, _) => {
					T::Nodes::end_work(&member.account, Some(false));
					pot.subsume(T::Nodes::slash_bond(
						&member.account,
						parameters.no_reveal_slash,
						SlashReason::NoReveal,
					));
				}
				(Some(output), Some(decided)) if output != decided => {
					reveals = reveals.saturating_add(1);
					T::Nodes::end_work(&member.account, Some(false));
					pot.subsume(T::Nodes::slash_bond(
						&member.account,
						parameters.minority_slash,
						SlashReason::MinorityReveal,
					));
				}
				(Some(_), _) => {
					reveals = reveals.saturating_add(1);
					// An undecided round counts neither for nor against those who revealed.
					T::Nodes::end_work(&member.account, decided.map(|_| true));
					honest.push(member.account.clone());
				}
			}
		}
		T::Nodes::end_work(&round.claimant, decided.map(|decided| decided == round.claimed));
		let kind = round.origin.kind();
		let conclusion = match decided {
			Some(decided) => {
				let upheld = decided == round.claimed;
				match (&round.origin, upheld) {
					(RoundOrigin::Verification, false) => pot.subsume(T::Nodes::slash_bond(
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
						let lost = T::Nodes::slash_bond(
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

	/// Checks that `who` may back new work: registered and not leaving (a leaving node's bond is
	/// on its way out).
	pub(crate) fn ensure_can_work(who: &T::AccountId) -> DispatchResult {
		let standing = T::Nodes::standing(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(!standing.leaving, Error::<T>::NodeLeaving);
		Ok(())
	}

	/// Whether `signature` is `key`'s over `statement` on this chain.
	fn verify_statement(
		key: &opg_primitives::attestation::NodeKey,
		statement: &StatementOf<'_, T>,
		signature: &NodeKeySignature,
	) -> bool {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		key.verify(&signing_message(&genesis, statement), signature)
	}

	/// A pallet error as a transaction-validity error: `Custom(index)` where `index` is the
	/// error's index in this pallet's `Error` enum.
	pub(crate) fn invalid(error: Error<T>) -> TransactionValidityError {
		let index = error.encode().first().copied().unwrap_or(u8::MAX);
		match error {
			Error::<T>::BadSignature => InvalidTransaction::BadProof.into(),
			Error::<T>::NotRegistered => InvalidTransaction::BadSigner.into(),
			_ => InvalidTransaction::Custom(index).into(),
		}
	}

	/// Pool validity of a commit or reveal: one of each per member and round.
	pub(crate) fn round_validity(
		what: &'static [u8],
		subject: &SubjectId,
		member: &T::AccountId,
	) -> TransactionValidityWithRefund {
		let left: u64 = Rounds::<T>::get(subject)
			.map(|round| {
				round
					.reveal_deadline
					.saturating_sub(frame_system::Pallet::<T>::block_number())
					.saturated_into()
			})
			.unwrap_or(1);
		ValidTransaction::with_tag_prefix("OpgRound")
			.priority(TransactionPriority::MAX / 2)
			.and_provides((what, subject, member))
			.longevity(left.max(1))
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// Checks a commitment; returns the round and the member's position in it.
	pub(crate) fn check_commit(
		subject: &SubjectId,
		member: &T::AccountId,
		commitment: &sp_core::H256,
		signature: &NodeKeySignature,
	) -> Result<(RoundOf<T>, usize), Error<T>> {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NoSuchRound)?;
		let (index, slot) = round.member(member).ok_or(Error::<T>::NotCommitteeMember)?;
		ensure!(slot.commitment.is_none(), Error::<T>::AlreadyCommitted);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < round.commit_deadline, Error::<T>::CommitPhaseOver);
		let key = T::Nodes::role_key(member).ok_or(Error::<T>::NotRegistered)?;
		let statement =
			SignedStatement::Commit { subject, round: &round.opened_at, member, commitment };
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, index))
	}

	/// Checks a reveal; returns the round and the member's position in it.
	pub(crate) fn check_reveal(
		subject: &SubjectId,
		member: &T::AccountId,
		output: &OutputHash,
		salt: &[u8; 32],
		signature: &NodeKeySignature,
	) -> Result<(RoundOf<T>, usize), Error<T>> {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NoSuchRound)?;
		let (index, slot) = round.member(member).ok_or(Error::<T>::NotCommitteeMember)?;
		let commitment = slot.commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(slot.revealed.is_none(), Error::<T>::AlreadyRevealed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			now >= round.commit_deadline || round.all_committed(),
			Error::<T>::RevealPhaseNotOpen
		);
		ensure!(now < round.reveal_deadline, Error::<T>::RevealPhaseOver);
		ensure!(
			commitment_of(subject, &round.opened_at, member, output, salt) == commitment,
			Error::<T>::CommitmentMismatch
		);
		let key = T::Nodes::role_key(member).ok_or(Error::<T>::NotRegistered)?;
		let statement =
			SignedStatement::Reveal { subject, round: &round.opened_at, member, output, salt };
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, index))
	}
}
