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


def test_the_block_counts_expect_the_draw_in_the_block_after_the_request(tmp_path):
    # A request's node is drawn at the start of the next block (from that block's randomness),
    # and its answer lands in the block after: acceptance is two blocks after the request.
    out = tmp_path / "benchmarks.md"
    engine = {"engine_us": 8.0, "python_us": 11.0, "ratio": 0.73}
    blocks = {"vanilla": {"assigned": 1, "answered": 2, "final": 12},
              "attested": {"assigned": 1, "answered": 2, "final": 5}}
    runtime = {"request_weight_128_us": 100, "normal_ref_time_ms": 1500, "request_own_us": 60,
               "hook_per_job_128_us": 40, "hook_per_job_10k_us": 140,
               "requests_by_weight_128": 1000, "request_weight_us": 200, "requests_by_weight": 700,
               "request_len": 200, "requests_by_length": 20000, "answer_weight_us": 300,
               "answer_len": 150, "answers_by_weight": 4000, "answers_by_length": 30000,
               "ocw_ms_10_of_10010_jobs": 1.0, "ocw_ms_10_jobs": 1.0}
    bench.write(out, engine, blocks, runtime, 100, [])
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.read_text().splitlines()
            if line.startswith("| blocks from request")}
    assert rows["blocks from request to assignment (the node drawn from the next block's "
                "randomness)"].endswith("| 1 | the next block: 1 | | 1 |")
    assert rows["blocks from request to vanilla acceptance"].endswith(
        "| 2 | the draw block and the answer block: 2 | | 2 |")
