//! Registration, roles, bonds and their unbonding, open work, and slashing.

use frame_support::traits::Imbalance;

use super::*;

impl<T: Config> Pallet<T> {
	/// The node record of `who`.
	pub(crate) fn node(who: &T::AccountId) -> Result<NodeInfoOf<T>, Error<T>> {
		Nodes::<T>::get(who).ok_or(Error::<T>::NotRegistered)
	}

	/// Stores `node` and brings its pool memberships in line with it: the one place a change
	/// that can move a node in or out of a pool (status, chill, roles, bond) is stored. (Changes
	/// that cannot, the role key and the work counter, write `Nodes` directly.)
	pub(crate) fn store_node(who: &T::AccountId, node: &NodeInfoOf<T>) {
		Nodes::<T>::insert(who, node);
		Self::sync_pools(who, node);
	}

	/// Removes a node whose bond is all withdrawn; its TEE registration, if any, ends first.
	fn remove_node(who: &T::AccountId, node: &NodeInfoOf<T>) {
		T::Enclaves::deregister(who);
		for role in NodeRole::ALL {
			Self::pool_remove(role, who);
		}
		Nodes::<T>::remove(who);
		NodeByKey::<T>::remove(&node.key);
		NodeCount::<T>::mutate(|count| *count = count.saturating_sub(1));
		Self::deposit_event(Event::NodeRemoved { node: who.clone() });
	}

	/// Registers `who`: the one path for calls and genesis.
	pub(crate) fn do_register(
		who: &T::AccountId,
		roles: RoleSet,
		key: NodeKey,
		endpoint: Option<EndpointOf<T>>,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Nodes::<T>::contains_key(who), Error::<T>::AlreadyRegistered);
		Self::check_roles(roles, endpoint.as_ref())?;
		ensure!(
			bond >= Self::required_bond(roles, &ActiveParameters::<T>::get()),
			Error::<T>::BondBelowMinimum
		);
		ensure!(!NodeByKey::<T>::contains_key(&key), Error::<T>::KeyInUse);
		let count = NodeCount::<T>::get();
		ensure!(count < T::MaxNodes::get(), Error::<T>::TooManyNodes);
		ensure!(
			Self::has_heartbeat_room(count.saturating_add(1), &ActiveParameters::<T>::get()),
			Error::<T>::NoHeartbeatRoom
		);
		T::Currency::hold(&HoldReason::NodeBond.into(), who, bond)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		let now = frame_system::Pallet::<T>::block_number();
		let node = NodeInfo {
			roles,
			key: key.clone(),
			endpoint,
			bonded: bond,
			unlocking: BoundedVec::new(),
			status: NodeStatus::Active,
			chilled: false,
			last_heartbeat: None,
			open_work: 0,
			registered_at: now,
		};
		NodeCount::<T>::put(count.saturating_add(1));
		NodeByKey::<T>::insert(&key, who);
		Self::store_node(who, &node);
		Self::deposit_event(Event::NodeRegistered { node: who.clone(), roles, key, bond });
		Ok(())
	}

	/// Checks a role set and its endpoint: at least one role; an http(s) endpoint exactly when
	/// the set includes the data role.
	fn check_roles(roles: RoleSet, endpoint: Option<&EndpointOf<T>>) -> DispatchResult {
		ensure!(!roles.is_empty(), Error::<T>::NoRoles);
		ensure!(!roles.contains(NodeRole::Tee), Error::<T>::TeeRoleNotDeclarable);
		let endpoint_ok = match endpoint {
			Some(url) => {
				roles.contains(NodeRole::Data)
					&& (url.starts_with(b"http://") || url.starts_with(b"https://"))
					&& url.iter().all(|byte| byte.is_ascii_graphic())
			}
			None => !roles.contains(NodeRole::Data),
		};
		ensure!(endpoint_ok, Error::<T>::BadEndpoint);
		Ok(())
	}

	/// The bond `roles` need: the sum of their minimums.
	pub fn required_bond(roles: RoleSet, parameters: &ParametersOf<T>) -> BalanceOf<T> {
		roles.iter().fold(Zero::zero(), |total: BalanceOf<T>, role| {
			total.saturating_add(match role {
				NodeRole::Inference => parameters.min_inference_bond,
				NodeRole::Verifier => parameters.min_verifier_bond,
				NodeRole::Data => parameters.min_data_bond,
				NodeRole::Tee => Zero::zero(),
			})
		})
	}

	/// Moves `amount` of the active bond into a new unbonding chunk.
	fn start_unbonding(
		node: &mut NodeInfoOf<T>,
		amount: BalanceOf<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let unlock_at = frame_system::Pallet::<T>::block_number()
			.saturating_add(ActiveParameters::<T>::get().unbonding_period);
		if let Some(chunk) = node.unlocking.iter_mut().find(|chunk| chunk.unlock_at == unlock_at) {
			chunk.amount = chunk.amount.saturating_add(amount);
		} else {
			node.unlocking
				.try_push(UnlockChunk { amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnlockingChunks)?;
		}
		node.bonded = node.bonded.saturating_sub(amount);
		Ok(unlock_at)
	}

	pub(crate) fn do_bond_extra(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut node = Self::node(who)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		T::Currency::hold(&HoldReason::NodeBond.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientFunds)?;
		node.bonded = node.bonded.saturating_add(amount);
		Self::deposit_event(Event::Bonded { node: who.clone(), amount });
		Self::refresh_status(who, &mut node, frame_system::Pallet::<T>::block_number());
		Self::store_node(who, &node);
		Ok(())
	}

	pub(crate) fn do_unbond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
		let mut node = Self::node(who)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		ensure!(amount <= node.bonded, Error::<T>::UnbondExceedsBond);
		let remaining = node.bonded.saturating_sub(amount);
		ensure!(
			remaining >= Self::required_bond(node.roles, &ActiveParameters::<T>::get()),
			Error::<T>::BondBelowMinimum
		);
		let unlock_at = Self::start_unbonding(&mut node, amount)?;
		Self::store_node(who, &node);
		Self::deposit_event(Event::Unbonding { node: who.clone(), amount, unlock_at });
		Ok(())
	}

	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> DispatchResult {
		let mut node = Self::node(who)?;
		let now = frame_system::Pallet::<T>::block_number();
		let due: BalanceOf<T> = node
			.unlocking
			.iter()
			.filter(|chunk| chunk.unlock_at <= now)
			.fold(Zero::zero(), |total, chunk| total.saturating_add(chunk.amount));
		let leaving = node.status == NodeStatus::Leaving;
		// A leaving node slashed down to nothing has nothing due, and must still be able to go.
		ensure!(
			!due.is_zero() || (leaving && node.total_held().is_zero()),
			Error::<T>::NothingToWithdraw
		);
		node.unlocking.retain(|chunk| chunk.unlock_at > now);
		if !due.is_zero() {
			T::Currency::release(&HoldReason::NodeBond.into(), who, due, Precision::BestEffort)?;
			Self::deposit_event(Event::Withdrawn { node: who.clone(), amount: due });
		}
		if node.status == NodeStatus::Leaving && node.total_held().is_zero() {
			Self::remove_node(who, &node);
		} else {
			Self::store_node(who, &node);
		}
		Ok(())
	}

	pub(crate) fn do_leave(who: &T::AccountId) -> DispatchResult {
		let mut node = Self::node(who)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		ensure!(node.open_work == 0, Error::<T>::HasOpenWork);
		let amount = node.bonded;
		if !amount.is_zero() {
			let unlock_at = Self::start_unbonding(&mut node, amount)?;
			Self::deposit_event(Event::Unbonding { node: who.clone(), amount, unlock_at });
		}
		node.status = NodeStatus::Leaving;
		Self::store_node(who, &node);
		Self::deposit_event(Event::NodeLeaving { node: who.clone() });
		Ok(())
	}

	pub(crate) fn do_set_roles(
		who: &T::AccountId,
		roles: RoleSet,
		endpoint: Option<EndpointOf<T>>,
	) -> DispatchResult {
		let mut node = Self::node(who)?;
		ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
		Self::check_roles(roles, endpoint.as_ref())?;
		ensure!(
			node.bonded >= Self::required_bond(roles, &ActiveParameters::<T>::get()),
			Error::<T>::BondBelowMinimum
		);
		// Jobs it holds must be answered (or time out, and be slashed) as an inference node.
		ensure!(
			roles.contains(NodeRole::Inference)
				|| !node.roles.contains(NodeRole::Inference)
				|| node.open_work == 0,
			Error::<T>::InferenceRoleInUse
		);
		let roles = if node.roles.contains(NodeRole::Tee) && roles.contains(NodeRole::Inference) {
			roles.with(NodeRole::Tee)
		} else {
			roles
		};
		node.roles = roles;
		node.endpoint = endpoint;
		Self::store_node(who, &node);
		if !roles.contains(NodeRole::Tee) {
			T::Enclaves::deregister(who);
		}
		Self::deposit_event(Event::RolesChanged { node: who.clone(), roles });
		Ok(())
	}

	/// Checks that `key_proof` is `key`'s signature of [`SignedStatement::KeyOwnership`] for
	/// `who`.
	pub(crate) fn check_key_proof(
		who: &T::AccountId,
		key: &NodeKey,
		key_proof: &NodeKeySignature,
	) -> DispatchResult {
		let statement = SignedStatement::KeyOwnership { account: who };
		ensure!(Self::verify_statement(key, &statement, key_proof), Error::<T>::BadSignature);
		Ok(())
	}

	/// Counts a unit of work for `who` (a claim, a round, a consumer's job): only a registered
	/// node that is not leaving may take work, since a leaving node's bond is on its way out.
	pub(crate) fn begin_work(who: &T::AccountId) -> DispatchResult {
		Nodes::<T>::try_mutate(who, |node| {
			let node = node.as_mut().ok_or(Error::<T>::NotRegistered)?;
			ensure!(node.status != NodeStatus::Leaving, Error::<T>::NodeLeaving);
			node.open_work = node.open_work.saturating_add(1);
			Ok(())
		})
	}

	/// Ends a unit of work for `who`, counting `outcome` in its reputation when there is one.
	pub(crate) fn end_work(who: &T::AccountId, outcome: Option<bool>) {
		Nodes::<T>::mutate(who, |node| {
			if let Some(node) = node {
				node.open_work = node.open_work.saturating_sub(1);
			}
		});
		if let Some(succeeded) = outcome {
			Reputations::<T>::mutate(who, |reputation| {
				if succeeded {
					reputation.completed = reputation.completed.saturating_add(1);
				} else {
					reputation.failed = reputation.failed.saturating_add(1);
				}
			});
		}
	}

	/// Slashes `fraction` of everything `who` holds as a bond (active first, then the newest
	/// unbonding chunks), records it, and returns the slashed funds.
	pub(crate) fn slash_bond(
		who: &T::AccountId,
		fraction: sp_runtime::Perbill,
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

	/// Slashes `fraction` of `who`'s bond for a fault and sends it to [`Config::OnSlash`].
	pub(crate) fn slash_to_treasury(
		who: &T::AccountId,
		fraction: sp_runtime::Perbill,
	) -> BalanceOf<T> {
		let credit = Self::slash_bond(who, fraction, SlashReason::Fault);
		let amount = credit.peek();
		T::OnSlash::on_unbalanced(credit);
		amount
	}
}
