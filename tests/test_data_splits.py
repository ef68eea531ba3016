"""The split lists shipped in simtrack/data/splits: counts, disjointness, agreement with other toolkits."""
import json
from pathlib import Path

import pytest

from simtrack.data.files import shipped_split
from simtrack.data.readers.uav123 import SHARED_FOLDERS


def test_lasot_lists_partition_the_70_classes():
    test, train = shipped_split("lasot_test.txt"), shipped_split("lasot_train.txt")
    assert len(test) == len(set(test)) == 280 and len(train) == len(set(train)) == 1120
    classes = {name.rsplit("-", 1)[0] for name in test}
    assert len(classes) == 70 and "rubicCube" in classes
    assert set(test) | set(train) == {f"{cls}-{k}" for cls in classes for k in range(1, 21)}
    assert not set(test) & set(train)


def test_got10k_vot_lists():
    vottrain, votval = shipped_split("got10k_vottrain.txt"), shipped_split("got10k_votval.txt")
    assert len(set(vottrain)) == len(vottrain) == 7086 and len(set(votval)) == len(votval) == 1249
    assert not set(vottrain) & set(votval)
    valid = {f"GOT-10k_Train_{k:06d}" for k in range(1, 9336)}
    assert set(vottrain) <= valid and set(votval) <= valid


def _got10k_data(filename):
    got10k = pytest.importorskip("got10k")
    return json.loads((Path(got10k.__file__).parent / "datasets" / filename).read_text())


def test_lasot_lists_match_the_got10k_toolkit():
    data = _got10k_data("lasot.json")
    assert set(shipped_split("lasot_test.txt")) == set(data["test"])
    assert set(shipped_split("lasot_train.txt")) == set(data["train"])


def test_uav123_frame_ranges_match_the_got10k_toolkit():
    table = _got10k_data("uav123.json")["UAV123"]
    shared = {name: (entry["folder_name"], entry["start_frame"], entry["end_frame"])
              for name, entry in table.items() if entry["folder_name"] != name}
    assert shared == SHARED_FOLDERS
    assert len(table) == 123


def test_a_dataset_family_must_be_one_that_scoring_knows():
    from dataclasses import replace

    from simtrack.data.catalog import CATALOG, FAMILIES
    assert {dataset.family for dataset in CATALOG.values()} - {None} <= set(FAMILIES)
    with pytest.raises(ValueError, match="family 'lasott' is not one of lasot, otb"):
        replace(CATALOG["lasot"], family="lasott")
