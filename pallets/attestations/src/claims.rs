//! Claims open to challenge (vanilla mode), the challenges that turn them into disputes, and
//! the appeals of disputes' verdicts.

use super::*;

impl<T: Config> Pallet<T> {
	/// Records `claimant`'s claim of `claimed` for `subject` (whose context is `context`), open
	/// to challenge for the challenge window, and counts the claimant's work.
	pub(crate) fn do_open_claim(
		subject: SubjectId,
		claimant: &T::AccountId,
		claimed: OutputHash,
		context: sp_core::H256,
	) -> DispatchResult {
		ensure!(
			!Claims::<T>::contains_key(subject) && !Rounds::<T>::contains_key(subject),
			Error::<T>::SubjectInUse
		);
		Self::ensure_can_work(claimant)?;
		let now = frame_system::Pallet::<T>::block_number();
		let window = ActiveParameters::<T>::get().challenge_window;
		let challenge_deadline = Self::schedule_claim(subject, now.saturating_add(window))?;
		T::Nodes::begin_work(claimant)?;
		Claims::<T>::insert(
			subject,
			Claim { claimant: claimant.clone(), output: claimed, context, challenge_deadline },
		);
		Self::deposit_event(Event::ClaimOpened {
			subject,
			claimant: claimant.clone(),
			output: claimed,
			challenge_deadline,
		});
		Ok(())
	}

	/// `who` challenges the claim on `subject`: its challenge bond is held and a dispute round
	/// opens on the claim, with the claimed output (which the consumer published) as the
	/// claimant's reveal. Anyone but the claimant may challenge: a verifier that re-ran the job,
	/// or the requester that paid for it.
	pub(crate) fn do_challenge(who: T::AccountId, subject: SubjectId) -> DispatchResult {
		let claim = Claims::<T>::get(subject).ok_or(Error::<T>::NoSuchClaim)?;
		ensure!(claim.claimant != who, Error::<T>::OwnClaim);
		ensure!(
			frame_system::Pallet::<T>::block_number() < claim.challenge_deadline,
			Error::<T>::ChallengeWindowOver
		);
		let claimed = T::Outputs::claimed_output(subject)
			.filter(|output| api::revealed_hash(output) == claim.output)
			.and_then(|output| RevealedOutput::<T>::try_from(output).ok())
			.ok_or(Error::<T>::NoClaimedOutput)?;
		let bond = ActiveParameters::<T>::get().challenge_bond;
		T::Currency::hold(&HoldReason::ChallengeBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		Claims::<T>::remove(subject);
		Self::unschedule_claim(subject, claim.challenge_deadline);
		// The claim's unit of open work passes to the round, which counts its own.
		T::Nodes::end_work(&claim.claimant, None);
		Self::deposit_event(Event::Challenged { subject, challenger: who.clone(), bond });
		Self::open_round_for(
			subject,
			&claim.claimant,
			claim.output,
			claim.context,
			RoundOrigin::Dispute { challenger: who, bond },
		)?;
		Rounds::<T>::mutate(subject, |round| {
			if let Some(round) = round {
				round.claimant_output = Some(claim.output);
			}
		});
		RevealedOutputs::<T>::insert(subject, CLAIMANT_POSITION, claimed);
		Ok(())
	}

	/// `who` joins the challenge of `subject`'s running dispute (before its reveals open),
	/// holding the same challenge bond: if the claim falls it gets its bond back and shares the
	/// treasury's part of the claimant's slash with the other joiners (the first challenger's
	/// reward stays whole); it loses its bond if the claim stands, and gets it back if the round
	/// ends undecided. A friend of
	/// the node that challenged first with a weak case cannot keep others out of the dispute.
	pub(crate) fn do_join_challenge(who: T::AccountId, subject: SubjectId) -> DispatchResult {
		let round = Rounds::<T>::get(subject).ok_or(Error::<T>::NotJoinable)?;
		let RoundOrigin::Dispute { challenger, .. } = &round.origin else {
			return Err(Error::<T>::NotJoinable.into());
		};
		// Until reveals open: a joiner stakes on what it re-ran, as the first challenger did,
		// not on the committee's outputs once they are public.
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(
			round.verdict.is_none() && round.appeal.is_none() && !round.reveals_open(now),
			Error::<T>::NotJoinable
		);
		ensure!(who != round.claimant, Error::<T>::OwnClaim);
		let mut joined = CoChallengers::<T>::get(subject);
		ensure!(
			&who != challenger && joined.iter().all(|(other, _)| other != &who),
			Error::<T>::AlreadyChallenging
		);
		// A member would judge its own stake: the committee is drawn without challengers, and
		// once it is drawn its members cannot become one.
		ensure!(round.member(&who).is_none(), Error::<T>::OnCommittee);
		let bond = ActiveParameters::<T>::get().challenge_bond;
		joined.try_push((who.clone(), bond)).map_err(|_| Error::<T>::TooManyChallengers)?;
		T::Currency::hold(&HoldReason::ChallengeBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		CoChallengers::<T>::insert(subject, joined);
		Self::deposit_event(Event::ChallengeJoined { subject, challenger: who, bond });
		Ok(())
	}

	/// `who` appeals the provisional verdict of `subject`'s dispute: only its loser, within the
	/// appeal window, once. Holds the appeal bond (twice the challenge bond), keeps the first
	/// committee and its revealed outputs aside (at [`FIRST_COMMITTEE_OFFSET`] plus each
	/// position), and re-opens the round for a committee twice the size, drawn in the next
	/// block. The first committee's work stays open: it is judged against the final verdict.
	pub(crate) fn do_appeal(who: T::AccountId, subject: SubjectId) -> DispatchResult {
		let mut round = Rounds::<T>::get(subject).ok_or(Error::<T>::AppealWindowOver)?;
		ensure!(matches!(round.origin, RoundOrigin::Dispute { .. }), Error::<T>::AppealWindowOver);
		ensure!(round.appeal.is_none(), Error::<T>::AlreadyAppealed);
		let verdict = round.verdict.clone().ok_or(Error::<T>::AppealWindowOver)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now < verdict.appeal_until, Error::<T>::AppealWindowOver);
		// A verdict against the claim is the claimant's to appeal; one that upheld it anyone's
		// but the claimant's (the challenger, the requester, any verifier), so a friend of the
		// node that challenged first and lost cannot keep the appeal from being heard.
		let may_appeal =
			if verdict.claim_upheld { who != round.claimant } else { who == round.claimant };
		ensure!(may_appeal, Error::<T>::NotTheLoser);
		let bond = ActiveParameters::<T>::get().challenge_bond.saturating_mul(2u32.into());
		T::Currency::hold(&HoldReason::AppealBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		Self::unschedule(subject, RoundKind::Dispute, verdict.appeal_until);
		let draw_at = Self::schedule(subject, RoundKind::Dispute, now.saturating_add(1u32.into()))?;
		let first_committee = core::mem::take(&mut round.committee);
		for (position, member) in first_committee.iter().enumerate() {
			// Its seat is done (it committed and revealed, or it is silent for good); its work
			// stays open until the final verdict judges it.
			Self::end_duty(subject, &round, &member.account);
			if let Some(output) = RevealedOutputs::<T>::take(subject, position as u32) {
				let kept = FIRST_COMMITTEE_OFFSET.saturating_add(position as u32);
				RevealedOutputs::<T>::insert(subject, kept, output);
			}
		}
		round.appeal = Some(Appeal { appellant: who.clone(), bond, first_committee });
		// The claimant's agreement bits name the new committee's positions.
		round.claimant_agrees = 0;
		round.draw_at = draw_at;
		round.votes_needed = 0;
		round.commit_deadline = Zero::zero();
		round.reveal_deadline = Zero::zero();
		Rounds::<T>::insert(subject, round);
		Self::deposit_event(Event::Appealed { subject, appellant: who, bond, draw_at });
		Ok(())
	}
}
