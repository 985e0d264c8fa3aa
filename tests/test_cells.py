"""rnnlab.cells: each row of the cell catalogue agrees with the Keras layer it names."""
import pytest

from rnnlab.cells import CELLS, GATE, STATE, label


@pytest.mark.parametrize("spec", CELLS.values(), ids=list(CELLS))
def test_a_cell_row_matches_its_keras_layer(spec):
    layer = spec.keras_layer()(3)
    layer.build((None, 5, 2))
    assert layer.cell.kernel.shape == (2, 3 * len(spec.gates))          # one kernel block per gate name
    assert spec.carried in (None, *spec.internal_names)
    assert {i.kind for i in spec.internals} <= {STATE, GATE}
    assert label(spec.name) == spec.label and label("unknown") == "unknown"
