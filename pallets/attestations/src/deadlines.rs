//! Deadlines: the per-block lists of rounds to draw or decide and of claims whose challenge
//! window closes, and the `on_initialize` pass that ends what is due.

use super::*;
use opg_primitives::deadlines;

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

	/// Ends what is due by `now`, first due first, within [`Config::DeadlineBudget`]: rounds
	/// from [`DueFrom`] on (each block's verification rounds, then its disputes), then claims
	/// from [`ClaimsDueFrom`] on with what the rounds left. What the budget does not reach
	/// stays listed and waits for the next block, so a block full of deadlines never runs over
	/// its weight, and everything of a kind due in one block is ended before anything of that
	/// kind due later. Rounds go first and keep their own cursor: the budget always covers a
	/// block's round lists full (`integrity_test`), so a backlog of claims never delays a
	/// draw, a reveal deadline or a dispute's settlement. The calls that act within a window
	/// (commit, reveal, challenge, appeal) check its deadline themselves, so a deadline ended
	/// late gives nobody more time.
	pub(crate) fn end_due(now: BlockNumberFor<T>) -> Weight {
		let budget = T::DeadlineBudget::get();
		// Rounds keep room for the claims' walk and one claim at its worst, so every block
		// ends a claim even while a lagging round cursor catches up.
		let for_rounds = budget
			.saturating_sub(Self::block_claims_base())
			.saturating_sub(Self::claim_deadline_weight());
		let (due_from, rounds) = deadlines::end_due_within(
			DueFrom::<T>::get(),
			now,
			for_rounds,
			Self::block_deadlines_base(),
			|at, weight| Self::end_rounds_at(at, for_rounds, weight),
		);
		DueFrom::<T>::put(due_from);
		let left = budget.saturating_sub(rounds);
		let (claims_due_from, claims) = deadlines::end_due_within(
			ClaimsDueFrom::<T>::get(),
			now,
			left,
			Self::block_claims_base(),
			|at, weight| Self::end_claims_at(at, left, weight),
		);
		ClaimsDueFrom::<T>::put(claims_due_from);
		rounds.saturating_add(claims)
	}

	/// Ends block `at`'s round deadlines (verification rounds, then disputes) while `weight`
	/// leaves room in `budget` for one more at its worst case; whether all of them ended.
	fn end_rounds_at(at: BlockNumberFor<T>, budget: Weight, weight: &mut Weight) -> bool {
		let room = Self::round_deadline_weight(RoundKind::Verification);
		while let Some(subject) = deadlines::next_within(*weight, room, budget, || {
			Deadlines::<T>::mutate_exists(at, deadlines::take_first)
		}) {
			weight.saturating_accrue(Self::end_round(subject, at));
		}
		if Deadlines::<T>::contains_key(at) {
			return false;
		}
		let room = Self::round_deadline_weight(RoundKind::Dispute);
		while let Some(subject) = deadlines::next_within(*weight, room, budget, || {
			DisputeDeadlines::<T>::mutate_exists(at, deadlines::take_first)
		}) {
			weight.saturating_accrue(Self::end_round(subject, at));
		}
		!DisputeDeadlines::<T>::contains_key(at)
	}

	/// Ends block `at`'s claim deadlines while `weight` leaves room in `budget` for one more
	/// at its worst case; whether all of them ended.
	fn end_claims_at(at: BlockNumberFor<T>, budget: Weight, weight: &mut Weight) -> bool {
		let room = Self::claim_deadline_weight();
		while let Some(subject) = deadlines::next_within(*weight, room, budget, || {
			ClaimDeadlines::<T>::mutate_exists(at, deadlines::take_first)
		}) {
			weight.saturating_accrue(Self::end_claim(subject, at));
		}
		!ClaimDeadlines::<T>::contains_key(at)
	}

	/// Whether claims are taken: false when the claim cursor leaves more than
	/// [`MAX_CLAIM_LAG`] blocks up to the current one unfinished and still has claims listed
	/// where it stands. Then standing claims wait longer than a consumer should let fees wait,
	/// and new claims are better refused up front (with nothing held) than piled behind them.
	/// (Two reads, which the consumer charges.)
	pub fn accepting_claims() -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		let cursor = ClaimsDueFrom::<T>::get();
		cursor.saturating_add(MAX_CLAIM_LAG.into()) > now
			|| !ClaimDeadlines::<T>::contains_key(cursor)
	}

	/// Ends what round `subject` had due at block `at` (its draw, audit roll, reveal deadline
	/// or appeal window); the weight it took.
	fn end_round(subject: SubjectId, at: BlockNumberFor<T>) -> Weight {
		let taken = T::DbWeight::get().reads_writes(2, 1);
		let Some(round) = Rounds::<T>::get(subject) else { return taken };
		if round.awaiting_appeal() {
			// A dispute's verdict whose appeal window ended unappealed: it settles now.
			if round.verdict.as_ref().is_some_and(|verdict| verdict.appeal_until == at) {
				let (size, first) = round.sizes();
				Self::settle(subject, round);
				return taken
					.saturating_add(Self::conclude_weight(size, first))
					.saturating_add(T::OnConclusion::weight());
			}
		} else if !round.drawn() && round.draw_at == at {
			let size = Self::committee_size_of(&round);
			let first = round.sizes().1;
			let drawing = taken
				.saturating_add(T::WeightInfo::draw_committee(size))
				// A verification round's audit roll, searched for in the lists ahead.
				.saturating_add(
					T::DbWeight::get().reads_writes(u64::from(DEADLINE_SEARCH) + 1, 1),
				);
			// A drawn committee ends nothing yet: charged its draw, not the conclusion the
			// hook kept room for, which only a round that found no committee takes.
			return if Self::draw_committee(subject, round) {
				drawing
			} else {
				drawing
					.saturating_add(Self::conclude_weight(0, first))
					.saturating_add(T::OnConclusion::weight())
			};
		} else if round.drawn() && round.audit == (AuditStage::Pending { at }) {
			let size = ActiveParameters::<T>::get().committee_size;
			Self::roll_audit(subject, round);
			return taken.saturating_add(T::WeightInfo::draw_committee(size));
		} else if round.drawn() && round.reveal_deadline == at {
			let (size, first) = round.sizes();
			Self::conclude_round(subject, round);
			return taken
				.saturating_add(Self::conclude_weight(size, first))
				.saturating_add(T::OnConclusion::weight());
		}
		taken
	}

	/// Lets claim `subject` stand if its challenge window ended at block `at`; the weight it
	/// took.
	fn end_claim(subject: SubjectId, at: BlockNumberFor<T>) -> Weight {
		let Some(claim) = Claims::<T>::get(subject).filter(|c| c.challenge_deadline == at) else {
			// Challenged, or moved: its entry taken and the claim read.
			return T::DbWeight::get().reads_writes(1, 1);
		};
		Claims::<T>::remove(subject);
		T::Nodes::end_work(&claim.claimant, Some(true));
		Self::deposit_event(Event::ClaimStood {
			subject,
			claimant: claim.claimant.clone(),
			output: claim.output,
		});
		// Charged what the consumer took: a job made final without a refuser to slash, nearly
		// every claim, costs a fraction of the bound the hook keeps room for.
		let concluded = T::OnConclusion::on_conclusion(
			subject,
			&Conclusion::Unchallenged { claimant: claim.claimant, output: claim.output },
		);
		Self::claim_stands_weight().saturating_add(concluded)
	}

	/// What the hook takes for each block its round cursor walks besides its entries: the
	/// measured base (which walks all three lists of an empty block), and the reads of the two
	/// round lists (taken, then checked empty) and the cursor's write.
	pub fn block_deadlines_base() -> Weight {
		T::WeightInfo::end_due_base().saturating_add(T::DbWeight::get().reads_writes(4, 1))
	}

	/// What the hook takes for each block its claim cursor walks besides its claims: the
	/// cursor read, the claim list read (taken, then checked empty) and the cursor's write.
	pub fn block_claims_base() -> Weight {
		T::DbWeight::get().reads_writes(3, 1)
	}

	/// The least [`Config::DeadlineBudget`] may be: the block's walk of both cursors, its round
	/// lists full to their caps at their worst, and one standing claim at its worst. Then a
	/// block's rounds always end in it and every block ends at least one claim.
	/// Claims are charged what they took, so nearly all of them (no refuser to slash) end many
	/// to each worst case the budget keeps room for; how many is the runtime's check.
	pub fn least_deadline_budget() -> Weight {
		let rounds = Self::round_deadline_weight(RoundKind::Verification)
			.saturating_mul(T::MaxDeadlinesPerBlock::get().into());
		let disputes = Self::round_deadline_weight(RoundKind::Dispute)
			.saturating_mul(T::MaxDisputeDeadlinesPerBlock::get().into());
		Self::block_deadlines_base()
			.saturating_add(Self::block_claims_base())
			.saturating_add(rounds)
			.saturating_add(disputes)
			.saturating_add(Self::claim_deadline_weight())
	}

	/// The most one round deadline may take ([`Self::end_round`] at the largest committee,
	/// an appealed dispute's first committee included): the room the hook keeps for it.
	pub fn round_deadline_weight(kind: RoundKind) -> Weight {
		let most = T::MaxCommitteeSize::get();
		// Only a dispute is appealed: its second committee is judged beside the first.
		let first = match kind {
			RoundKind::Verification => 0,
			RoundKind::Dispute => most,
		};
		let draw =
			T::WeightInfo::draw_committee(most).saturating_add(Self::conclude_weight(0, first));
		T::DbWeight::get()
			.reads_writes(2, 1)
			.saturating_add(draw.max(Self::conclude_weight(most, first)))
			.saturating_add(T::OnConclusion::weight())
	}

	/// What the hook takes for one standing claim besides its consumer's part: the slope of
	/// the measured `claim_stands(n)` (its intercept is the block's, `end_due_base`).
	pub fn claim_stands_weight() -> Weight {
		T::WeightInfo::claim_stands(1).saturating_sub(T::WeightInfo::claim_stands(0))
	}

	/// The most one claim deadline may take ([`Self::end_claim`]): the room the hook keeps
	/// for the next one.
	pub fn claim_deadline_weight() -> Weight {
		Self::claim_stands_weight()
			.saturating_add(T::OnConclusion::unchallenged_weight())
			.max(T::DbWeight::get().reads_writes(1, 1))
	}
}
