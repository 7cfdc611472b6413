"""`Client`: the SDK in one object. Connect to any OPG node, publish models, request verified
inference and get numpy arrays back, follow jobs, run a node, vote.

    import numpy as np
    import opg

    client = opg.connect("ws://127.0.0.1:9944", signer="//Alice")
    result = client.infer(1, "attested", {"X": np.array([[5.1, 3.5, 1.4, 0.2]], np.float32)})
    result.outputs["probabilities"]      # numpy.ndarray, float32, as ONNX Runtime computed it
    result.verification.verifiers        # the verifier nodes that re-executed it and agreed
    result.fee                           # planck paid (opg.format_opg(result.fee) for people)

Every method waits at most the client's `timeout` for any one answer of the node; transactions
wait for inclusion, jobs for their final event. Failures raise `opg.ChainError` subclasses
(`opg.errors`): a failed call carries its pallet error's name and documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from substrateinterface import Keypair, SubstrateInterface

from . import chain, disputes, governance, jobs, nodes, upload
from .errors import InvalidInput, JobRefunded


@dataclass
class RequestedJob:
    """A request the chain accepted: the job's id, the fee it holds (planck), the mode, and
    the block that holds the request (where its history starts).

    The job starts queued: its node is drawn at the start of the next block (`JobAssigned`),
    or of a later one when no node is free then, up to block `queued_until`; after that it is
    refunded (`NoNodeAvailable`). `queued_until` is None where the chain did not say."""

    job: int
    model: int
    version: int
    mode: str
    fee: int
    block_number: int
    block_hash: str
    schema: dict = field(repr=False, default_factory=dict)
    queued_until: int | None = None


@dataclass
class InferenceResult:
    """A verified result.

    `outputs` maps each output's name to a numpy array in its declared dtype (float32 outputs
    bit for bit as ONNX Runtime computed them). `fee` is what the request paid in planck and
    `payouts` how the chain split it (`owner_paid`, `node_paid`, `verifiers_paid`,
    `treasury_paid`). `verification` says what made the chain accept the result, `history`
    every event about the job from its request to `JobFinal` (block `final_at`)."""

    job: int
    model: int
    version: int
    mode: str
    outputs: dict[str, np.ndarray]
    fee: int
    payouts: dict[str, int]
    verification: jobs.Verification
    requested_at: int
    final_at: int
    history: list[jobs.JobEvent]


class Client:
    """A connection to one OPG node and, optionally, the account that signs (`signer`)."""

    def __init__(self, substrate: SubstrateInterface, signer: Keypair | None = None):
        self.substrate = substrate
        self.signer = signer

    # -- connection ------------------------------------------------------------------------

    @classmethod
    def connect(cls, url: str = "ws://127.0.0.1:9944", signer: str | Keypair | None = None,
                timeout: float = chain.DEFAULT_TIMEOUT) -> "Client":
        """Connects to the node at `url` (ws://, wss://, http:// or https://). `signer` is a
        Keypair or a secret URI (`//Alice` on a dev chain, or a mnemonic)."""
        keypair = chain.keypair(signer) if isinstance(signer, str) else signer
        return cls(chain.connect(url, timeout), keypair)

    def close(self) -> None:
        self.substrate.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    @property
    def url(self) -> str:
        return self.substrate.url

    def _signer(self, signer: str | Keypair | None) -> Keypair:
        if isinstance(signer, str):
            return chain.keypair(signer)
        chosen = signer or self.signer
        if chosen is None:
            raise InvalidInput("this call signs a transaction: give the client a signer "
                               "(opg.connect(url, signer='//Alice')) or pass signer=")
        return chosen

    def address(self, signer: str | Keypair | None = None) -> str:
        """The SS58 address of the signer."""
        return self._signer(signer).ss58_address

    def balance(self, account: str | None = None) -> int:
        """The free balance of `account` (default: the signer's), in planck."""
        who = account or self.address()
        return int(self.substrate.query("System", "Account", [who]).value["data"]["free"])

    # -- models ----------------------------------------------------------------------------

    def upload_model(self, model: str | Path | bytes, *, name: str | None = None,
                     description: str = "", price: int = 0,
                     modes: tuple[str, ...] | list[str] = ("vanilla", "attested"),
                     zk_dir: str | Path | None = None, tolerance: str | None = None,
                     model_id: int | None = None, quiet: bool = False,
                     signer: str | Keypair | None = None) -> upload.UploadResult:
        """Publishes an ONNX model (a path or its bytes): registers it as a new model `name`
        priced `price` planck per call (`opg.to_planck("0.01")` reads OPG), or as a new
        version of `model_id`, and uploads it with a progress bar on stderr (none when
        `quiet`). `modes` are the modes it may run in (`zk` needs `zk_dir`, the folder of
        `opg-node zk-setup`); `tolerance` is the absolute difference verifiers allow between
        float outputs (e.g. `"1e-5"`, the default for float outputs). An interrupted upload of
        the same bytes resumes."""
        if isinstance(model, (str, Path)):
            path = Path(model)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from error
            name = name if name is not None or model_id is not None else path.stem
        else:
            data = bytes(model)
        try:
            schema = upload.models.schema_from_onnx(data)
        except upload.models.SchemaError as error:
            raise InvalidInput(f"not a model the registry can hold: {error}") from error
        zk = upload.read_zk_artifacts(str(zk_dir)) if zk_dir is not None else None
        return upload.upload_model(
            self.substrate, self._signer(signer), data, name=name, description=description,
            price=price, modes=upload.mode_set(modes, zk is not None),
            tolerance=upload.parse_tolerance(tolerance, schema), zk=zk, model_id=model_id,
            schema=schema, quiet=quiet)

    def model(self, model_id: int) -> dict | None:
        """The model's record: owner, name, price, status, active version (None if absent)."""
        return chain.registry(self.substrate, "Models", [model_id])

    def zk_key_origin(self, model_id: int, version: int | None = None) -> str | dict | None:
        """How the ZK key of `model_id`'s `version` (default: the version it runs) was made, as
        the registry records it: `"InsecureTestSetup"` (made by one party, on a dev chain only:
        whoever made it can forge proofs), `"CeremonyRunning"`, `{"Ceremony": {"contributions":
        n, "drawn": d}}` (the chain's ceremony, `d` of its contributors drawn verifier nodes);
        None for a version without ZK mode (or one whose ceremony failed: it is removed)."""
        if version is None:
            version = (self.model(model_id) or {}).get("active_version")
            if version is None:
                return None
        return chain.registry(self.substrate, "ZkKeyOrigins", [model_id, int(version)])

    def schema(self, model_id: int) -> dict:
        """The inputs and outputs (names, dtypes, shapes) of the version the model runs now."""
        return jobs.runnable_version(self.substrate, model_id)[1]

    # -- inference -------------------------------------------------------------------------

    def fee_quote(self, model: int, mode: str = "vanilla",
                  inputs: dict[str, Any] | None = None) -> jobs.FeeQuote:
        """What a request for `model` in `mode` on `inputs` holds now, in planck: `total` (the
        model's price plus the protocol fee: the mode's, and `output_byte_fee` for each byte
        of the largest answer the model's outputs allow at the request's batch), held until
        the job is final or refunded, and `output_deposit` (`output_byte_deposit` a byte of
        that answer), held until the job is pruned and then handed back. Without `inputs` it
        quotes a request of batch 1 (a larger batch pays for its larger answer)."""
        if mode not in jobs.MODES:
            raise InvalidInput(f"unknown mode {mode!r}: use one of {', '.join(jobs.MODES)}")
        _, schema, price = jobs.runnable_version(self.substrate, model)
        items = jobs.build_input(schema, inputs) if inputs is not None else None
        return jobs.fee_quote(self.substrate, mode, price, schema, items)

    def quote(self, model: int, mode: str = "vanilla",
              inputs: dict[str, Any] | None = None) -> int:
        """The fee, in planck, a request for `model` in `mode` on `inputs` holds until its job
        ends: the `total` of `fee_quote` (which also says the output deposit held beside it
        until the job is pruned). Without `inputs`, a request of batch 1."""
        return self.fee_quote(model, mode, inputs).total

    def request(self, model: int, mode: str, inputs: dict[str, Any], *,
                max_fee: int | None = None,
                signer: str | Keypair | None = None) -> RequestedJob:
        """Sends an inference request (holding the fee, at most `max_fee` planck; default the
        fee quoted for these `inputs` just before sending: pass the quote you showed a user to
        bind it) and returns once it is in a block. Beside the fee the chain holds the output
        deposit until the job is pruned (`fee_quote`); `max_fee` does not bound it. `inputs`
        maps each input's name to a numpy array, nested lists or a scalar, converted exactly
        to the chain's fixed-point tensors. The job is queued then: its node is drawn in a
        later block (see `RequestedJob`)."""
        runnable = jobs.runnable_version(self.substrate, model)
        version, schema, _ = runnable
        job_id, fee, included = jobs.request(self.substrate, self._signer(signer), model, inputs,
                                             mode, max_fee, runnable)
        number = int(self.substrate.get_block_number(included.block_hash))
        until = jobs.queued_until(self.substrate, job_id, included.block_hash)
        return RequestedJob(job_id, model, version, mode, fee, number, included.block_hash,
                            schema, until)

    def wait(self, requested: RequestedJob, *, timeout: float | None = None,
             on_event: Callable[[jobs.JobEvent], None] | None = None) -> InferenceResult:
        """Follows the job block by block until it is final; returns its verified result.
        `on_event` sees each event about the job as it lands (requested, then assigned a block
        later or more while the job is queued, result submitted, verified, final;
        `jobs.stage_of(events so far)` names the stage). Raises JobRefunded when the job ends
        without a verified result (`NoNodeAvailable` when no node could be drawn while it was
        queued), and NotIncluded after `timeout` seconds (default: what the mode takes on this
        chain's parameters, `jobs.patience`; the job goes on, and its fee stays held until it
        ends). The output deposit stays held after the job ends, until it is pruned."""
        if timeout is None:
            timeout = jobs.patience(self.substrate, requested.mode)
        history = jobs.follow(self.substrate, requested.job, requested.block_number, timeout,
                              on_event=on_event)
        last = history[-1]
        if last.name == "JobRefunded":
            reason, _ = jobs.variant(last.fields["reason"])
            raise JobRefunded(requested.job, reason, jobs.refund_reason(last.fields["reason"]),
                              int(last.fields["amount"]))
        payouts = {key: int(last.fields[key])
                   for key in ("owner_paid", "node_paid", "verifiers_paid", "treasury_paid")}
        return InferenceResult(
            job=requested.job, model=requested.model, version=requested.version,
            mode=requested.mode, outputs=jobs.outputs_of(history, requested.schema),
            fee=requested.fee, payouts=payouts,
            verification=jobs.verification_of(requested.mode, history),
            requested_at=requested.block_number, final_at=last.block_number, history=history)

    def infer(self, model: int, mode: str, inputs: dict[str, Any], *,
              max_fee: int | None = None, timeout: float | None = None,
              on_event: Callable[[jobs.JobEvent], None] | None = None,
              signer: str | Keypair | None = None) -> InferenceResult:
        """Requests inference of `model` in `mode` (`vanilla`, `attested`, `zk` or `tee`) on
        `inputs` and waits for the verified result: `request` then `wait`."""
        requested = self.request(model, mode, inputs, max_fee=max_fee, signer=signer)
        return self.wait(requested, timeout=timeout, on_event=on_event)

    def job(self, job_id: int) -> dict | None:
        """The job's record as the chain holds it now (None once pruned): requester, model,
        mode, fee quote (`price`, `protocol_fee`, `total`, `output_deposit`), `output_bound`
        (the most bytes its answer may take, which the request paid for), `status` (`Queued` with the last block that draws a node for it,
        `Assigned`, `Accepted`, `Verifying`, `Final`, `Refunded`)."""
        return jobs.job(self.substrate, job_id)

    def job_status(self, job_id: int) -> str:
        """One line saying where the job stands, for a person."""
        record = self.job(job_id)
        if record is None:
            raise chain.ChainError(f"job {job_id} does not exist (or was pruned)")
        return jobs.describe(record)

    def jobs(self, requester: str | None = None) -> dict[int, dict]:
        """The jobs of `requester` (default: the signer) the chain still holds, by id."""
        return jobs.jobs_of(self.substrate, requester or self.address())

    def job_history(self, job_id: int, since: int,
                    until: int | None = None) -> list[jobs.JobEvent]:
        """Every event about the job in blocks `since` (its request's block) to `until`."""
        return jobs.history(self.substrate, job_id, since, until)

    # -- nodes -----------------------------------------------------------------------------

    def register_node(self, role_key: str | Keypair, roles: list[str], bond: int, *,
                      endpoint: str | None = None,
                      signer: str | Keypair | None = None) -> chain.Included:
        """Registers the signer as a node with `roles` (`inference`, `verifier`, `data`),
        holding `bond` planck; `role_key` is the key its offchain worker signs with (insert it
        into the node's keystore with `opg-node key insert --key-type opgn`)."""
        key = chain.keypair(role_key) if isinstance(role_key, str) else role_key
        return nodes.register(self.substrate, self._signer(signer), key, roles, bond, endpoint)

    def bond(self, amount: int, *, signer: str | Keypair | None = None) -> chain.Included:
        """Adds `amount` planck to the signer's node bond."""
        return nodes.bond_extra(self.substrate, self._signer(signer), amount)

    def unbond(self, amount: int, *, signer: str | Keypair | None = None) -> chain.Included:
        """Starts unbonding `amount` planck of the signer's node bond."""
        return nodes.unbond(self.substrate, self._signer(signer), amount)

    def leave(self, *, signer: str | Keypair | None = None) -> chain.Included:
        """Stops the signer's node serving and starts unbonding its whole bond (refused while
        it holds open work)."""
        return nodes.leave(self.substrate, self._signer(signer))

    def node(self, account: str | None = None) -> dict | None:
        """The node record of `account` (default: the signer)."""
        return nodes.node(self.substrate, account or self.address())

    # -- disputes --------------------------------------------------------------------------

    def challenge(self, job: int, *, signer: str | Keypair | None = None) -> chain.Included:
        """Challenges vanilla `job`'s result within its challenge window, holding the
        challenge bond: a committee re-runs the job and decides (see `opg.disputes`). The
        requester may challenge its own job; the node may not."""
        return disputes.challenge(self.substrate, self._signer(signer), job)

    def join_challenge(self, job: int, *,
                       signer: str | Keypair | None = None) -> chain.Included:
        """Joins `job`'s running dispute before its reveals open, holding the challenge bond."""
        return disputes.join(self.substrate, self._signer(signer), job)

    def appeal(self, job: int, *, signer: str | Keypair | None = None) -> chain.Included:
        """Appeals the provisional verdict of `job`'s dispute within its appeal window,
        holding twice the challenge bond."""
        return disputes.appeal(self.substrate, self._signer(signer), job)

    def dispute(self, job: int) -> dict | None:
        """`job`'s open claim or dispute round: `{"claim": ...}` while it can be challenged,
        `{"round": ...}` while a committee judges it, None otherwise."""
        claim = disputes.claim(self.substrate, job)
        if claim is not None:
            return {"claim": claim}
        round_ = disputes.dispute(self.substrate, job)
        return None if round_ is None else {"round": round_}

    # -- governance ------------------------------------------------------------------------

    def vote(self, referendum: int, aye: bool, balance: int, conviction: str = "None", *,
             signer: str | Keypair | None = None) -> chain.Included:
        """Votes `balance` planck aye or nay on a referendum with a conviction (`None`,
        `Locked1x` ... `Locked6x`)."""
        if conviction not in governance.CONVICTIONS:
            raise InvalidInput(f"conviction {conviction!r}: use one of "
                               f"{', '.join(governance.CONVICTIONS)}")
        return governance.vote(self.substrate, self._signer(signer), referendum, aye, balance,
                               conviction)

    def referendum(self, index: int) -> dict:
        """The referendum's record (`Ongoing` with its tally, `Approved`, `Rejected`, ...)."""
        return governance.referendum(self.substrate, index)


def connect(url: str = "ws://127.0.0.1:9944", signer: str | Keypair | None = None,
            timeout: float = chain.DEFAULT_TIMEOUT) -> Client:
    """`Client.connect`: a client of the node at `url`, signing with `signer`."""
    return Client.connect(url, signer, timeout)
