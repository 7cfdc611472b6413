"""The generated weights at their worst case (`opg_tools.weights`): the reader evaluates the
generated code as the runtime does, every term of every function of every generated file."""

import re
from pathlib import Path

from opg_tools import weights

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = '''
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Inference::Jobs` (r:64 w:64)
	/// The range of component `n` is `[0, 64]`.
	/// The range of component `k` is `[1, 16]`.
	fn process(n: u32, k: u32, ) -> Weight {
		// Minimum execution time: 9_374_000 picoseconds.
		Weight::from_parts(1_000_000, 3_490)
			// Standard Error: 12
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(k.into())))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(Weight::from_parts(0, 2_997).saturating_mul(n.into()))
	}
	fn fixed() -> Weight {
		Weight::from_parts(5_000, 0)
	}
}
impl WeightInfo for () {
	fn process(n: u32, k: u32, ) -> Weight {
		Weight::from_parts(1, 1)
	}
}
'''


def test_the_reader_evaluates_every_term_at_the_top_of_each_range():
    worst = weights.worst_cases(SAMPLE)
    assert set(worst) == {"process", "fixed"}, "only the measured implementation is read"
    reads = 1 + 2 * 16
    assert worst["process"].ref_time == (
        1_000_000 + 2_000_000 * 64 + reads * weights.READ_PS + 3 * weights.WRITE_PS
    )
    assert worst["process"].proof == 3_490 + 2_997 * 64
    assert worst["fixed"] == weights.Worst(5_000, 0)


def test_the_reader_reads_every_function_of_every_generated_file():
    for path in weights.weight_files(ROOT):
        source = path.read_text()
        measured = source[source.find("WeightInfo for") : source.find("WeightInfo for ()")]
        declared = set(re.findall(r"\tfn (\w+)\(", measured))
        assert set(weights.worst_cases(source)) == declared, path
