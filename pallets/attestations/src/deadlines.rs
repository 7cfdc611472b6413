//! Deadlines: the per-block lists of rounds to draw or decide and of claims whose challenge
//! window closes, and the `on_initialize` pass that ends what is due.

use super::*;

impl<T: Config> Pallet<T> {
	/// Puts round `subject` on its kind's deadline list ([`Deadlines`] for verification
	/// rounds, [`DisputeDeadlines`] for disputes) of block `earliest`, or of the first of the
	/// next [`DEADLINE_SEARCH`] blocks with room. Returns the block.
	pub(crate) fn schedule(
		subject: SubjectId,
		kind: RoundKind,
		earliest: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		Self::first_with_room(earliest, |at| match kind {
			RoundKind::Verification => {
				Deadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
			}
			RoundKind::Dispute => {
				DisputeDeadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
			}
		})
	}

	/// Puts claim `subject` on the claim deadline list of block `earliest`, or of the first of
	/// the next [`DEADLINE_SEARCH`] blocks with room. Returns the block.
	pub(crate) fn schedule_claim(
		subject: SubjectId,
		earliest: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		Self::first_with_room(earliest, |at| {
			ClaimDeadlines::<T>::try_mutate(at, |list| list.try_push(subject)).is_ok()
		})
	}

	/// The first block from `earliest`, within [`DEADLINE_SEARCH`] more, at which `push`
	/// succeeds.
	pub(crate) fn first_with_room(
		earliest: BlockNumberFor<T>,
		mut push: impl FnMut(BlockNumberFor<T>) -> bool,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		let mut at = earliest;
		for _ in 0..=DEADLINE_SEARCH {
			if push(at) {
				return Ok(at);
			}
			at = at.saturating_add(1u32.into());
		}
		Err(Error::<T>::DeadlineQueueFull)
	}

	/// Takes round `subject` off block `at`'s deadline list of its kind.
	pub(crate) fn unschedule(subject: SubjectId, kind: RoundKind, at: BlockNumberFor<T>) {
		match kind {
			RoundKind::Verification => {
				Deadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject))
			}
			RoundKind::Dispute => {
				DisputeDeadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject))
			}
		}
	}

	/// Takes claim `subject` off block `at`'s claim deadline list.
	pub(crate) fn unschedule_claim(subject: SubjectId, at: BlockNumberFor<T>) {
		ClaimDeadlines::<T>::mutate_exists(at, |list| Self::remove_entry(list, subject));
	}

	/// Removes one entry of `subject` from a deadline list, and the list when it is left empty.
	/// One: a round may have two deadlines in the same block (an audit's new reveal deadline
	/// where its old one was), and taking one off must leave the other.
	pub(crate) fn remove_entry<S: Get<u32>>(
		list: &mut Option<BoundedVec<SubjectId, S>>,
		subject: SubjectId,
	) {
		if let Some(entries) = list {
			if let Some(index) = entries.iter().position(|entry| *entry == subject) {
				entries.remove(index);
			}
			if entries.is_empty() {
				*list = None;
			}
		}
	}

	/// Ends the claims and rounds whose deadline is `now`.
	pub(crate) fn end_due(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::end_due_base();
		let due = Deadlines::<T>::take(now).into_iter().chain(DisputeDeadlines::<T>::take(now));
		for subject in due {
			let Some(round) = Rounds::<T>::get(subject) else { continue };
			if round.awaiting_appeal() {
				// A dispute's verdict whose appeal window ended unappealed: it settles now.
				if round.verdict.as_ref().is_some_and(|verdict| verdict.appeal_until == now) {
					let (size, first) = round.sizes();
					Self::settle(subject, round);
					weight = weight
						.saturating_add(Self::conclude_weight(size, first))
						.saturating_add(T::OnConclusion::weight());
				}
			} else if !round.drawn() && round.draw_at == now {
				let size = Self::committee_size_of(&round);
				let first = round.sizes().1;
				Self::draw_committee(subject, round);
				weight = weight
					.saturating_add(T::WeightInfo::draw_committee(size))
					.saturating_add(Self::conclude_weight(0, first))
					.saturating_add(T::OnConclusion::weight());
			} else if round.drawn() && round.audit == (AuditStage::Pending { at: now }) {
				let size = ActiveParameters::<T>::get().committee_size;
				Self::roll_audit(subject, round);
				weight = weight.saturating_add(T::WeightInfo::draw_committee(size));
			} else if round.drawn() && round.reveal_deadline == now {
				let (size, first) = round.sizes();
				Self::conclude_round(subject, round);
				weight = weight
					.saturating_add(Self::conclude_weight(size, first))
					.saturating_add(T::OnConclusion::weight());
			}
		}
		for subject in ClaimDeadlines::<T>::take(now) {
			if let Some(claim) = Claims::<T>::get(subject).filter(|c| c.challenge_deadline == now) {
				Claims::<T>::remove(subject);
				T::Nodes::end_work(&claim.claimant, Some(true));
				Self::deposit_event(Event::ClaimStood {
					subject,
					claimant: claim.claimant.clone(),
					output: claim.output,
				});
				T::OnConclusion::on_conclusion(
					subject,
					&Conclusion::Unchallenged { claimant: claim.claimant, output: claim.output },
				);
				weight = weight
					.saturating_add(T::WeightInfo::claim_stands())
					.saturating_add(T::OnConclusion::weight());
			}
		}
		weight
	}
}
