"""Python tools for OPG chain: model upload and fetch, test models, client helpers.

They talk to a running `opg-node` through substrate-interface (py-substrate-interface) and the
node's JSON-RPC. Run them through the wrappers in `scripts/` (upload-model.sh, fetch-model.sh),
which use the Python environment that `scripts/setup.sh` installs.
"""
