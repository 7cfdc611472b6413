"""The OPG chain SDK: verified AI inference from Python.

    import opg

    client = opg.connect("ws://127.0.0.1:9944", signer="//Alice")
    model = client.upload_model("model.onnx", name="my-model", price=opg.to_planck("0.01"))
    result = client.infer(model.model_id, "attested", {"input": x})
    result.outputs            # {name: numpy.ndarray}
    result.verification       # who or what verified it
    result.fee                # planck paid

Modules, for finer control: `opg.chain` (connect, sign, submit, dispatch errors), `opg.jobs`
(requests, job records, histories), `opg.tensors` (exact numpy <-> fixed-point conversion),
`opg.models` (content ids, ONNX schemas), `opg.upload` (publishing), `opg.nodes` (node
registration and bonds), `opg.governance` (referenda and votes), `opg.errors` (exceptions).
See docs/clients/python.md.
"""

from .chain import OPG, Included
from .client import Client, InferenceResult, RequestedJob, connect
from .errors import (AttestationsError, ChainError, DispatchFailed, InferenceError,
                     InvalidInput, JobRefunded, ModelRegistryError, NodesError,
                     NodeUnreachable, NotIncluded, Refused, TeeError)
from .jobs import MODES, FeeQuote, JobEvent, Verification, format_opg
from .upload import UploadResult
from .upload import parse_price as to_planck

__version__ = "0.1.0"

__all__ = [
    "OPG", "MODES", "Client", "connect", "InferenceResult", "RequestedJob", "Included",
    "JobEvent", "FeeQuote", "Verification", "UploadResult", "to_planck", "format_opg",
    "ChainError", "InvalidInput", "NodeUnreachable", "Refused", "NotIncluded", "JobRefunded",
    "DispatchFailed", "InferenceError", "ModelRegistryError", "NodesError", "AttestationsError",
    "TeeError",
]
