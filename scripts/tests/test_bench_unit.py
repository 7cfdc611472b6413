"""opg_tools.bench's TEE section: the ratios against the EVM anchors, and `--only tee`
replacing that section alone in docs/benchmarks.md."""

from __future__ import annotations

from opg_tools import bench

REPORT = {
    "normal_ref_time_ms": 1500, "register_tee_us": 3000, "register_tee_proof_kb": 40,
    "refresh_collateral_us": 2500, "refresh_collateral_proof_kb": 20,
    "registrations_by_weight": 499, "tee_answer_us": 300, "tee_answers_by_weight": 4900,
    "dcap_native_sgx_us": 900.0, "dcap_native_tdx_us": 1000.0,
    "register_tee_wasm_us": 1500.0, "refresh_collateral_wasm_us": 1400.0,
}


def test_the_registration_is_compared_with_evm_gas_as_a_share_of_a_block():
    text = "\n".join(bench.tee_section(REPORT))
    # 3,000 µs of a 1.5 s budget: 0.20% of a block; OpenGradient 500k of 30M gas: 1.67%.
    assert "0.20% of a block" in text
    assert "1.67% of a block" in text
    assert "| 0.12x |" in text
    assert "13.3%-16.7% of a block" in text
    # The wasm execution beside native verification of the same quote.
    assert "1500 µs | native `dcap-qvl` verification of the same quote: 1000 µs | 1.50x" in text


def test_without_tee_figures_there_is_no_section():
    assert bench.tee_section({"normal_ref_time_ms": 1500}) == []


def test_only_tee_replaces_its_section_and_keeps_the_rest(tmp_path):
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nthe engine table\n\n## TEE mode\n\nold figures\n")
    bench.replace_tee_section(out, REPORT)
    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nthe engine table\n\n## TEE mode")
    assert "old figures" not in text
    assert text.count("## TEE mode") == 1
