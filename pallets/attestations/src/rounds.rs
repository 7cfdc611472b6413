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
	self as api, signing_message, Conclusion, NodeKeySignature, NodeRegistry, NodeRole,
	OnConclusion, OutputHash, RoundKind, SignedStatement, SlashBond, SlashReason, SubjectId,
	SubjectOutputs,
};
use opg_primitives::randomness::BlockRandomness;
use sp_runtime::{
	traits::{CheckedDiv, One, Saturating, Zero},
	transaction_validity::{
		InvalidTransaction, TransactionPriority, TransactionValidityError,
		TransactionValidityWithRefund, ValidTransaction,
	},
	Perbill, RuntimeAppPublic, SaturatedConversion,
};

use crate::{
	bit, commitment_of, ActiveParameters, AuditStage, BalanceOf, Claims, CoChallengers,
	CommitteeMember, Config, CreditOf, Deadlines, Duties, Error, Event, HoldReason, Pallet,
	RevealedOutput, RevealedOutputs, Round, RoundOf, RoundOrigin, Rounds, StatementOf, Verdict,
	CLAIMANT_POSITION, FIRST_COMMITTEE_OFFSET,
};

/// Where a participant sits in a round.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Seat {
	/// On the committee, at this position.
	Member(usize),
	/// The claimant of a verification round, which reveals beside the committee.
	Claimant,
}

impl<T: Config> Pallet<T> {
	/// Opens a round on `claimant`'s `claim` about `subject` (whose context is `context`), its
	/// committee to be drawn at the start of the next block, and counts the claimant's work. In
	/// a verification round the claimant reveals too, so its duty is indexed.
	pub(crate) fn open_round_for(
		subject: SubjectId,
		claimant: &T::AccountId,
		claim: sp_core::H256,
		context: sp_core::H256,
		origin: RoundOrigin<T::AccountId, BalanceOf<T>>,
	) -> DispatchResult {
		ensure!(
			!Claims::<T>::contains_key(subject) && !Rounds::<T>::contains_key(subject),
			Error::<T>::SubjectInUse
		);
		Self::ensure_can_work(claimant)?;
		let now = frame_system::Pallet::<T>::block_number();
		let kind = origin.kind();
		let draw_at = Self::schedule(subject, kind, now.saturating_add(One::one()))?;
		T::Nodes::begin_work(claimant)?;
		if kind == RoundKind::Verification {
			Duties::<T>::insert(claimant, subject, ());
		}
		Rounds::<T>::insert(
			subject,
			Round {
				origin,
				claimant: claimant.clone(),
				claim,
				context,
				claimant_output: None,
				claimant_agrees: 0,
				committee: BoundedVec::new(),
				draw_at,
				votes_needed: 0,
				opened_at: now,
				commit_deadline: Zero::zero(),
				reveal_deadline: Zero::zero(),
				verdict: None,
				appeal: None,
				audit: AuditStage::None,
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

	/// The size of the committee `round` draws: the `committee_size` parameter, or for an
	/// appeal twice the first committee's size, at most `MaxCommitteeSize`.
	pub(crate) fn committee_size_of(round: &RoundOf<T>) -> u32 {
		match &round.appeal {
			Some(appeal) => (appeal.first_committee.len() as u32)
				.saturating_mul(2)
				.min(T::MaxCommitteeSize::get()),
			None => ActiveParameters::<T>::get().committee_size,
		}
	}

	/// Draws the committee of `subject`'s round (never the claimant or a challenger, nor for
	/// an appeal the first committee) from this block's VRF randomness, which nobody knew when
	/// the round was opened (or appealed), and starts its commit phase. Without enough eligible
	/// verifiers (or a deadline slot) the round ends undecided at once, and nobody is blamed
	/// (an appeal then leaves the first verdict standing). Returns whether a committee was
	/// drawn.
	pub(crate) fn draw_committee(subject: SubjectId, mut round: RoundOf<T>) -> bool {
		let parameters = ActiveParameters::<T>::get();
		let size = Self::committee_size_of(&round);
		let mut exclude = alloc::vec![round.claimant.clone()];
		if let RoundOrigin::Dispute { challenger, .. } = &round.origin {
			exclude.push(challenger.clone());
			exclude.extend(CoChallengers::<T>::get(subject).into_iter().map(|(who, _)| who));
		}
		if let Some(appeal) = &round.appeal {
			exclude.extend(appeal.first_committee.iter().map(|member| member.account.clone()));
			// The appellant may be a verifier (anyone may appeal a verdict that upheld a claim):
			// it does not judge its own appeal.
			exclude.push(appeal.appellant.clone());
		}
		let now = frame_system::Pallet::<T>::block_number();
		let commit_deadline = now.saturating_add(parameters.commit_period);
		let kind = round.origin.kind();
		let drawn = T::Nodes::select(NodeRole::Verifier, subject, size, &exclude).ok().and_then(
			|committee| {
				let members = committee
					.iter()
					.map(|account| CommitteeMember {
						account: account.clone(),
						commitment: None,
						revealed: None,
						agrees: 0,
					})
					.collect::<Vec<_>>();
				let members = BoundedVec::try_from(members).ok()?;
				let reveal_deadline = Self::schedule(
					subject,
					kind,
					commit_deadline.saturating_add(parameters.reveal_period),
				)
				.ok()?;
				Some((committee, members, reveal_deadline))
			},
		);
		let Some((committee, members, reveal_deadline)) = drawn else {
			Self::deposit_event(Event::NoCommittee { subject });
			Self::conclude_round(subject, round);
			return false;
		};
		// A verification round's audit is rolled at its commit deadline (or sooner, once every
		// member has committed); a roll that would come too late to leave room for reveals is
		// not made.
		round.audit = AuditStage::None;
		if kind == RoundKind::Verification && !parameters.audit_share.is_zero() {
			let roll = Self::first_with_room(commit_deadline, |at| {
				at < reveal_deadline
					&& Deadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
			});
			if let Ok(at) = roll {
				round.audit = AuditStage::Pending { at };
			}
		}
		for member in &committee {
			// Selection returns eligible (so registered, not leaving) nodes only.
			let _ = T::Nodes::begin_work(member);
			Duties::<T>::insert(member, subject, ());
		}
		round.committee = members;
		round.votes_needed = parameters.votes_needed(size);
		round.commit_deadline = commit_deadline;
		round.reveal_deadline = reveal_deadline;
		Rounds::<T>::insert(subject, round);
		Self::deposit_event(Event::CommitteeDrawn {
			subject,
			committee,
			commit_deadline,
			reveal_deadline,
		});
		true
	}

	/// Rolls `subject`'s audit at the start of the block its [`AuditStage::Pending`] names: with
	/// probability `audit_share`, from this block's VRF randomness, an audit committee as large
	/// as the first (never the first committee or the claimant) is drawn into the positions
	/// after the first committee's, and commits within a fresh `commit_period`; the reveal
	/// deadline moves `reveal_period` after that. Without randomness, verifiers or a deadline
	/// slot the round goes on unaudited. Either way reveals open now, with at least a full
	/// `reveal_period` before the deadline (a roll that full deadline lists pushed late moves the
	/// deadline, so nobody loses the window to reveal).
	pub(crate) fn roll_audit(subject: SubjectId, mut round: RoundOf<T>) {
		round.audit = AuditStage::None;
		let parameters = ActiveParameters::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let kind = round.origin.kind();
		// 64 bits reduced to parts per billion: uniform but for a bias of 1e-10.
		let roll = T::Randomness::random(&(b"opg:audit", subject).encode()).map(|random| {
			let mut bytes = [0u8; 8];
			bytes.copy_from_slice(random.get(..8).unwrap_or(&[0u8; 8]));
			Perbill::from_parts((u64::from_le_bytes(bytes) % 1_000_000_000) as u32)
		});
		let first = round.committee.len() as u32;
		let size = parameters.committee_size.min(T::MaxCommitteeSize::get().saturating_sub(first));
		let auditors =
			roll.filter(|roll| *roll < parameters.audit_share && size > 0).and_then(|_| {
				let mut exclude: Vec<T::AccountId> =
					round.committee.iter().map(|member| member.account.clone()).collect();
				exclude.push(round.claimant.clone());
				T::Nodes::select(NodeRole::Verifier, subject, size, &exclude).ok()
			});
		let commit_deadline = now.saturating_add(parameters.commit_period);
		let earliest_reveal_deadline = match &auditors {
			Some(_) => commit_deadline.saturating_add(parameters.reveal_period),
			None => now.saturating_add(parameters.reveal_period),
		};
		if round.reveal_deadline < earliest_reveal_deadline {
			// Off the old deadline first (one entry), then onto the new one; if no block has
			// room the old one is taken back (its room was just freed) and the round goes on
			// unaudited with it.
			Self::unschedule(subject, kind, round.reveal_deadline);
			match Self::schedule(subject, kind, earliest_reveal_deadline) {
				Ok(deadline) => round.reveal_deadline = deadline,
				Err(_) => {
					let _ = Self::schedule(subject, kind, round.reveal_deadline);
					Rounds::<T>::insert(subject, round);
					return;
				}
			}
		}
		if let Some(auditors) = auditors {
			for auditor in &auditors {
				let seat = CommitteeMember {
					account: auditor.clone(),
					commitment: None,
					revealed: None,
					agrees: 0,
				};
				if round.committee.try_push(seat).is_ok() {
					// Selection returns eligible (so registered, not leaving) nodes only.
					let _ = T::Nodes::begin_work(auditor);
					Duties::<T>::insert(auditor, subject, ());
				}
			}
			round.audit =
				AuditStage::Audited { from: first, votes_needed: parameters.votes_needed(size) };
			round.commit_deadline = commit_deadline;
			Self::deposit_event(Event::AuditDrawn {
				subject,
				auditors,
				commit_deadline,
				reveal_deadline: round.reveal_deadline,
			});
		}
		Rounds::<T>::insert(subject, round);
	}

	/// Brings `subject`'s audit roll forward to the next block once every member has
	/// committed, so that the reveals (which wait for the roll) are not held up to the commit
	/// deadline. The roll stays where it was when the next block has no room.
	pub(crate) fn roll_sooner(subject: SubjectId, round: &mut RoundOf<T>) {
		let AuditStage::Pending { at } = round.audit else { return };
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		if at <= next || !round.all_committed() {
			return;
		}
		// Off the later block first, so the search below finds it again if nothing sooner has
		// room (it searches from `next` on, and `at` has room once freed).
		Deadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject));
		let sooner = Self::first_with_room(next, |block| {
			block <= at && Deadlines::<T>::try_mutate(block, |list| list.try_push(subject)).is_ok()
		})
		.or_else(|_| Deadlines::<T>::try_mutate(at, |list| list.try_push(subject)).map(|_| at));
		round.audit = match sooner {
			Ok(block) => AuditStage::Pending { at: block },
			// Unreachable (the freed room is there), but never leave a roll unscheduled.
			Err(_) => AuditStage::None,
		};
	}

	/// Keeps `seat`'s checked reveal of `output` in `subject`'s round and compares it with every
	/// output revealed before it, both ways (each output as the other's reference), so the
	/// round's agreement sets are complete when it ends.
	pub(crate) fn record_reveal(
		subject: SubjectId,
		round: &mut RoundOf<T>,
		seat: Seat,
		output: RevealedOutput<T>,
	) {
		let hash = api::revealed_hash(&output);
		// Two outputs agree when each is within the tolerance of the other: a tolerance relative
		// to its reference is one-sided, and judged one way an output just beyond the truth
		// would gather every honest output's support without agreeing with any of them.
		let agree =
			|ours: &[u8], ours_hash: &OutputHash, theirs: &[u8], their_hash: &OutputHash| {
				ours_hash == their_hash
					|| (T::Outputs::agrees(subject, ours, theirs)
						&& T::Outputs::agrees(subject, theirs, ours))
			};
		let claimant_output = round.claimant_output.and_then(|theirs| {
			Some((theirs, RevealedOutputs::<T>::get(subject, CLAIMANT_POSITION)?))
		});
		match seat {
			Seat::Member(position) => {
				let mut agrees = bit(position);
				for (other, member) in round.committee.iter_mut().enumerate() {
					let Some(theirs) = member.revealed.filter(|_| other != position) else {
						continue;
					};
					let Some(bytes) = RevealedOutputs::<T>::get(subject, other as u32) else {
						continue;
					};
					if agree(&output, &hash, &bytes, &theirs) {
						agrees |= bit(other);
						member.agrees |= bit(position);
					}
				}
				if let Some((theirs, bytes)) = claimant_output {
					if agree(&bytes, &theirs, &output, &hash) {
						round.claimant_agrees |= bit(position);
					}
				}
				if let Some(slot) = round.committee.get_mut(position) {
					slot.revealed = Some(hash);
					slot.agrees = agrees;
				}
				RevealedOutputs::<T>::insert(subject, position as u32, output);
			}
			Seat::Claimant => {
				for (other, member) in round.committee.iter().enumerate() {
					let Some(theirs) = member.revealed else { continue };
					let Some(bytes) = RevealedOutputs::<T>::get(subject, other as u32) else {
						continue;
					};
					if agree(&output, &hash, &bytes, &theirs) {
						round.claimant_agrees |= bit(other);
					}
				}
				round.claimant_output = Some(hash);
				RevealedOutputs::<T>::insert(subject, CLAIMANT_POSITION, output);
			}
		}
	}

	/// Ends `subject`'s round once its reveals are in (or its reveal deadline came). A dispute
	/// whose first committee decided only records its verdict ([`Round::verdict`]), open to one
	/// appeal for `appeal_window` blocks, and nothing moves yet; every other round (a
	/// verification round, an undecided dispute, an appeal) settles at once ([`Self::settle`]).
	pub(crate) fn conclude_round(subject: SubjectId, mut round: RoundOf<T>) {
		let first_dispute_round = matches!(round.origin, RoundOrigin::Dispute { .. })
			&& round.verdict.is_none()
			&& round.appeal.is_none();
		if let Some(position) = round.decided_position().filter(|_| first_dispute_round) {
			let decided = round
				.committee
				.get(position)
				.and_then(|member| member.revealed)
				.unwrap_or_default();
			let claim_upheld = round.claim_upheld_by(position);
			let now = frame_system::Pallet::<T>::block_number();
			let window = ActiveParameters::<T>::get().appeal_window;
			// Without room for the window's end (every block it could move to is full of
			// disputes), the verdict is final at once.
			if let Ok(appeal_until) =
				Self::schedule(subject, RoundKind::Dispute, now.saturating_add(window))
			{
				round.verdict = Some(Verdict {
					decided,
					position: position as u32,
					claim_upheld,
					appeal_until,
				});
				Rounds::<T>::insert(subject, round);
				Self::deposit_event(Event::DisputeDecided {
					subject,
					decided,
					claim_upheld,
					appeal_until,
				});
				return;
			}
		}
		Self::settle(subject, round);
	}

	/// Judges `members`, each with `agrees(position, member)`: whether its revealed output
	/// agrees with the decided one (`None` when nothing was decided). A silent member loses
	/// `no_reveal_slash`, a disagreeing one `minority_slash`, into `pot`. Ends each member's
	/// work and duty; returns the members that revealed and were not slashed, and how many
	/// revealed.
	fn judge(
		subject: SubjectId,
		round: &RoundOf<T>,
		members: &[CommitteeMember<T::AccountId>],
		agrees: impl Fn(usize, &CommitteeMember<T::AccountId>) -> Option<bool>,
		pot: &mut CreditOf<T>,
	) -> (Vec<T::AccountId>, u32) {
		let parameters = ActiveParameters::<T>::get();
		let mut honest = Vec::new();
		let mut reveals = 0u32;
		for (position, member) in members.iter().enumerate() {
			Self::end_duty(subject, round, &member.account);
			if member.revealed.is_none() {
				T::Nodes::end_work(&member.account, Some(false));
				pot.subsume(T::Nodes::slash_bond(
					&member.account,
					parameters.no_reveal_slash,
					SlashReason::NoReveal,
				));
				continue;
			}
			reveals = reveals.saturating_add(1);
			let verdict = agrees(position, member);
			if verdict == Some(false) {
				T::Nodes::end_work(&member.account, Some(false));
				pot.subsume(T::Nodes::slash_bond(
					&member.account,
					parameters.minority_slash,
					SlashReason::MinorityReveal,
				));
			} else {
				// An undecided round counts neither for nor against those who revealed.
				T::Nodes::end_work(&member.account, verdict);
				honest.push(member.account.clone());
			}
		}
		(honest, reveals)
	}

	/// Settles `subject`'s round for good: slashes the minority, the non-revealers and the
	/// loser, pays the winners, ends everyone's work, forgets the revealed outputs, removes the
	/// round and tells the consumer.
	///
	/// After an appeal, a decided appeal committee's verdict is final: the claimant and the
	/// challenger are settled by it, the appeal committee is judged and paid like any dispute
	/// committee, the first committee's members whose outputs disagree with the final output
	/// lose `minority_slash` (silent ones `no_reveal_slash`), and the appellant gets its bond
	/// back if the verdict changed and loses it otherwise (`reward_share` to the appeal
	/// majority, the rest to the treasury). An appeal that ends undecided leaves the first
	/// verdict standing, settled as if never appealed, and returns the appeal bond; only its
	/// silent members are slashed.
	pub(crate) fn settle(subject: SubjectId, round: RoundOf<T>) {
		let parameters = ActiveParameters::<T>::get();
		let joined = CoChallengers::<T>::take(subject);
		let decided = round.decided_position();
		let mut pot = CreditOf::<T>::zero();
		let (honest, mut reveals) = Self::judge(
			subject,
			&round,
			&round.committee,
			|_, member| decided.map(|position| member.agrees & bit(position) != 0),
			&mut pot,
		);
		// The final verdict (the decided output's hash, whether the claim stood), who shares
		// the dispute fee, and who shares the losers' slashes.
		let mut verdict = decided.and_then(|position| {
			let reference = round.committee.get(position)?;
			let upheld = round.claim_upheld_by(position);
			Some((reference.revealed.unwrap_or_default(), upheld))
		});
		let mut fee_to = honest.clone();
		let mut pot_to = honest;
		if let Some(appeal) = &round.appeal {
			let first = &appeal.first_committee;
			let kept = |position: usize| {
				RevealedOutputs::<T>::get(
					subject,
					FIRST_COMMITTEE_OFFSET.saturating_add(position as u32),
				)
			};
			match verdict {
				Some((final_hash, _)) => {
					let reference = decided
						.and_then(|position| RevealedOutputs::<T>::get(subject, position as u32));
					let (_, first_reveals) = Self::judge(
						subject,
						&round,
						first,
						|position, member| {
							Some(match (member.revealed, kept(position), &reference) {
								(Some(hash), _, _) if hash == final_hash => true,
								(Some(_), Some(ours), Some(reference)) => {
									T::Outputs::agrees(subject, &ours, reference)
										&& T::Outputs::agrees(subject, reference, &ours)
								}
								_ => false,
							})
						},
						&mut pot,
					);
					reveals = reveals.saturating_add(first_reveals);
				}
				None => {
					// The first verdict stands: its committee is judged and paid by it.
					let position = round.verdict.as_ref().map(|first| first.position as usize);
					let (first_honest, first_reveals) = Self::judge(
						subject,
						&round,
						first,
						|_, member| position.map(|position| member.agrees & bit(position) != 0),
						&mut pot,
					);
					reveals = reveals.saturating_add(first_reveals);
					verdict =
						round.verdict.as_ref().map(|first| (first.decided, first.claim_upheld));
					fee_to = first_honest.clone();
					pot_to.extend(first_honest);
				}
			}
		}
		let kind = round.origin.kind();
		let upheld = verdict.is_some_and(|(_, upheld)| upheld);
		// A verification round's claimant that never revealed (once a committee was drawn, so it
		// could have) loses at least what a silent member loses: hiding an output it knows to be
		// wrong is never cheaper than revealing it.
		let silent_claimant =
			kind == RoundKind::Verification && round.drawn() && round.claimant_output.is_none();
		if kind == RoundKind::Verification {
			Self::end_duty(subject, &round, &round.claimant);
		}
		T::Nodes::end_work(
			&round.claimant,
			if silent_claimant { Some(false) } else { verdict.map(|_| upheld) },
		);
		if silent_claimant {
			pot.subsume(T::Nodes::slash_bond(
				&round.claimant,
				parameters.false_claim_slash.max(parameters.no_reveal_slash),
				SlashReason::NoReveal,
			));
		}
		if let Some(appeal) = &round.appeal {
			let first_upheld = round.verdict.as_ref().map(|first| first.claim_upheld);
			if decided.is_some() && first_upheld == Some(upheld) {
				// The appeal committee confirmed the verdict: the appellant loses its bond.
				let lost = Self::forfeit(
					HoldReason::AppealBond,
					&appeal.appellant,
					appeal.bond,
					SlashReason::FailedAppeal,
				);
				Self::pay_out(lost, &fee_to);
			} else {
				let released = T::Currency::release(
					&HoldReason::AppealBond.into(),
					&appeal.appellant,
					appeal.bond,
					Precision::BestEffort,
				)
				.unwrap_or_else(|_| Zero::zero());
				Self::deposit_event(Event::AppealBondReleased {
					appellant: appeal.appellant.clone(),
					amount: released,
				});
			}
		}
		let claimant_output = RevealedOutputs::<T>::get(subject, CLAIMANT_POSITION);
		let conclusion = match verdict {
			Some((decided_hash, _)) => {
				match (&round.origin, upheld) {
					(RoundOrigin::Verification, false) if !silent_claimant => {
						pot.subsume(T::Nodes::slash_bond(
							&round.claimant,
							parameters.false_claim_slash,
							SlashReason::FalseClaim,
						))
					}
					(RoundOrigin::Verification, _) => {}
					(RoundOrigin::Dispute { challenger, bond }, true) => {
						let lost = Self::forfeit(
							HoldReason::ChallengeBond,
							challenger,
							*bond,
							SlashReason::FailedChallenge,
						);
						let (fee, mut rest) = lost.split(parameters.dispute_fee);
						Self::pay_evenly(fee, &fee_to);
						// Those who joined the challenge lose their bonds too.
						for (joiner, bond) in &joined {
							rest.subsume(Self::forfeit(
								HoldReason::ChallengeBond,
								joiner,
								*bond,
								SlashReason::FailedChallenge,
							));
						}
						Self::pay_out(rest, core::slice::from_ref(&round.claimant));
					}
					(RoundOrigin::Dispute { challenger, bond }, false) => {
						// The committee's fee comes out of the bond either way; the rest goes back,
						// and the challenger is paid from the false claimant's bond.
						Self::charge_dispute_fee(
							challenger,
							*bond,
							parameters.dispute_fee,
							&fee_to,
						);
						let lost = T::Nodes::slash_bond(
							&round.claimant,
							parameters.false_claim_slash,
							SlashReason::FalseClaim,
						);
						// The first challenger's reward is whole whoever joined: those who joined
						// get their bonds back and share what would go to the treasury, so
						// accounts of the claimant's that join take nothing from the challenger.
						let reward = parameters.reward_share.mul_floor(lost.peek());
						let (first, rest) = lost.split(reward);
						Self::pay_evenly(first, core::slice::from_ref(challenger));
						let joiners: Vec<T::AccountId> =
							joined.iter().map(|(joiner, _)| joiner.clone()).collect();
						for (joiner, bond) in &joined {
							Self::release_challenge_bond(joiner, *bond);
						}
						Self::pay_evenly(rest, &joiners);
					}
				}
				Self::deposit_event(Event::RoundDecided {
					subject,
					kind,
					claim: round.claim,
					decided: decided_hash,
					claim_upheld: upheld,
				});
				Conclusion::Decided {
					kind,
					claimant: round.claimant.clone(),
					claim: round.claim,
					claim_upheld: upheld,
					decided: decided_hash,
					output: claimant_output.filter(|_| upheld).map(|output| output.into_inner()),
					majority: fee_to.clone(),
				}
			}
			None => {
				if let RoundOrigin::Dispute { challenger, bond } = &round.origin {
					// A challenge that won no verdict is never free: the dispute fee comes out of
					// its bond, to the members who revealed (the treasury when none did or no
					// committee was drawn). Else a requester could challenge its own job's honest
					// answer and, should the dispute end undecided, have the result and its fee
					// back for nothing.
					Self::charge_dispute_fee(challenger, *bond, parameters.dispute_fee, &fee_to);
				}
				for (joiner, bond) in &joined {
					Self::release_challenge_bond(joiner, *bond);
				}
				Self::deposit_event(Event::RoundUndecided { subject, kind, reveals });
				Conclusion::Undecided { kind, claimant: round.claimant.clone(), claim: round.claim }
			}
		};
		Self::pay_out(pot, &pot_to);
		let kept = T::MaxCommitteeSize::get().saturating_mul(2).saturating_add(1);
		let _ = RevealedOutputs::<T>::clear_prefix(subject, kept, None);
		Rounds::<T>::remove(subject);
		// A round's deadline is charged the consumer's bound ([`Self::round_deadline_weight`]):
		// rounds are few, and every path that ends one charges before it knows the verdict.
		let _ = T::OnConclusion::on_conclusion(subject, &conclusion);
	}

	/// Ends `who`'s duty in `subject`'s round: the index entry, and (through offchain indexing)
	/// the output and salt its offchain worker kept for it.
	pub(crate) fn end_duty(subject: SubjectId, round: &RoundOf<T>, who: &T::AccountId) {
		Duties::<T>::remove(who, subject);
		sp_io::offchain_index::clear(&api::duty_storage_key(
			&subject,
			&round.claim,
			&round.context,
			who,
		));
	}

	/// Takes `amount` of what `who` holds for `hold` (a challenge or appeal bond it lost), with
	/// the event that says why; returns the funds for the winners.
	fn forfeit(
		hold: HoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
		reason: SlashReason,
	) -> CreditOf<T> {
		let (lost, _) = T::Currency::slash(&hold.into(), who, amount);
		Self::deposit_event(Event::Slashed { who: who.clone(), amount: lost.peek(), reason });
		lost
	}

	/// Takes the dispute fee (at most the bond) out of `challenger`'s challenge `bond` for
	/// `fee_to` (the treasury when empty) and gives it the rest back.
	fn charge_dispute_fee(
		challenger: &T::AccountId,
		bond: BalanceOf<T>,
		dispute_fee: BalanceOf<T>,
		fee_to: &[T::AccountId],
	) {
		let fee = dispute_fee.min(bond);
		let (paid, _) = T::Currency::slash(&HoldReason::ChallengeBond.into(), challenger, fee);
		Self::pay_evenly(paid, fee_to);
		Self::release_challenge_bond(challenger, bond.saturating_sub(fee));
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

	/// Pays all of `pot` to `winners` in equal parts, and the rounding dust (or all of it when
	/// there are no winners) to the treasury.
	pub(crate) fn pay_evenly(pot: CreditOf<T>, winners: &[T::AccountId]) {
		Self::split_among(pot, winners, Perbill::one());
	}

	/// Pays `reward_share` of `pot` to `winners` in equal parts and the rest (with any
	/// rounding dust, or all of it when there are no winners) to the treasury.
	pub(crate) fn pay_out(pot: CreditOf<T>, winners: &[T::AccountId]) {
		Self::split_among(pot, winners, ActiveParameters::<T>::get().reward_share);
	}

	/// Pays `share` of `pot` to `winners` in equal parts and the rest (with any
	/// rounding dust, or all of it when there are no winners) to the treasury.
	fn split_among(pot: CreditOf<T>, winners: &[T::AccountId], share: Perbill) {
		if pot.peek().is_zero() {
			return;
		}
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
		let statement = SignedStatement::Commit {
			subject,
			round: &round.opened_at,
			claim: &round.claim,
			context: &round.context,
			member,
			commitment,
		};
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, index))
	}

	/// Checks a reveal (a member's, or a verification round's claimant's): the phase, the
	/// commitment, the output's form and the signature. Returns the round and the seat.
	pub(crate) fn check_reveal(
		subject: &SubjectId,
		who: &T::AccountId,
		output: &[u8],
		salt: &[u8; 32],
		signature: &NodeKeySignature,
	) -> Result<(RoundOf<T>, Seat), Error<T>> {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NoSuchRound)?;
		let verification = round.origin.kind() == RoundKind::Verification;
		let (seat, commitment, revealed) = match round.member(who) {
			Some((index, slot)) => (Seat::Member(index), slot.commitment, slot.revealed.is_some()),
			None if verification && &round.claimant == who => {
				(Seat::Claimant, Some(round.claim), round.claimant_output.is_some())
			}
			None => return Err(Error::<T>::NotCommitteeMember),
		};
		let commitment = commitment.ok_or(Error::<T>::NotCommitted)?;
		ensure!(!revealed, Error::<T>::AlreadyRevealed);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(round.reveals_open(now), Error::<T>::RevealPhaseNotOpen);
		ensure!(now < round.reveal_deadline, Error::<T>::RevealPhaseOver);
		let hash = api::revealed_hash(output);
		ensure!(
			commitment_of(subject, &round.context, who, &hash, salt) == commitment,
			Error::<T>::CommitmentMismatch
		);
		ensure!(T::Outputs::is_valid(*subject, output), Error::<T>::InvalidOutput);
		let key = T::Nodes::role_key(who).ok_or(Error::<T>::NotRegistered)?;
		let statement = SignedStatement::Reveal {
			subject,
			round: &round.opened_at,
			claim: &round.claim,
			context: &round.context,
			member: who,
			output: &hash,
			salt,
		};
		ensure!(Self::verify_statement(&key, &statement, signature), Error::<T>::BadSignature);
		Ok((round, seat))
	}
}
