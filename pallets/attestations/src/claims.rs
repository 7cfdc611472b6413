//! Claims open to challenge (vanilla mode), and the challenges that turn them into disputes.

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
}
