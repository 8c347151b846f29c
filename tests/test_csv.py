"""load_csv: names or indices, class labels both ways, errors naming line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.datasets import CSVData, load_csv


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


IRIS_LIKE = """sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
"""


def test_target_by_header_name_maps_text_labels_to_sorted_ids(tmp_path) -> None:
    data = load_csv(write(tmp_path, IRIS_LIKE), target="species")
    assert isinstance(data, CSVData)
    np.testing.assert_array_equal(
        data.X, np.array([[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]], np.float32)
    )
    assert data.X.dtype == np.float32
    assert data.y.tolist() == [0, 1, 2, 0]
    assert data.y.dtype == np.int64
    assert data.classes == ("setosa", "versicolor", "virginica")
    assert data.feature_names == ("sepal_length", "sepal_width")
    assert data.target_name == "species"


def test_labels_go_to_ids_and_back(tmp_path) -> None:
    data = load_csv(write(tmp_path, IRIS_LIKE), target="species")
    assert data.decode(data.y).tolist() == [
        "setosa",
        "versicolor",
        "virginica",
        "setosa",
    ]
    assert data.encode(["virginica", "setosa"]).tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"unknown class labels \['rose'\]"):
        data.encode(["rose"])
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\)"):
        data.decode([3])


def test_target_by_index_positive_and_negative(tmp_path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    first = load_csv(path, target=0, features=[1])
    assert first.target_name == "sepal_length"
    assert first.classes is None
    np.testing.assert_allclose(first.y, [5.1, 7.0, 6.3, 4.9], rtol=1e-6)
    with pytest.raises(ValueError, match=r"line 2, column 'species'"):
        load_csv(path, target=0, features=[1, 2])
    last = load_csv(path, target=-1)
    assert last.target_name == "species"


def test_file_without_header_is_detected_and_named_by_index(tmp_path) -> None:
    path = write(tmp_path, "1,2,0\n3,4,1\n5,6,1\n")
    data = load_csv(path, target=2)
    assert data.feature_names == ("column 0", "column 1")
    assert data.X.shape == (3, 2)
    # numbers in the target are a regression target unless categorical=True
    assert data.classes is None
    labels = load_csv(path, target=2, categorical=True)
    assert labels.classes == ("0", "1")
    assert labels.y.dtype == np.int64


def test_numeric_class_labels_sort_by_value(tmp_path) -> None:
    path = write(tmp_path, "x,y\n1,10\n2,2\n3,10\n")
    data = load_csv(path, target="y", categorical=True)
    assert data.classes == ("2", "10")
    assert data.y.tolist() == [1, 0, 1]


def test_feature_selection_and_order(tmp_path) -> None:
    path = write(tmp_path, "a,b,c,label\n1,2,3,x\n4,5,6,y\n")
    data = load_csv(path, target="label", features=["c", 0])
    assert data.feature_names == ("c", "a")
    np.testing.assert_array_equal(data.X, [[3, 1], [6, 4]])
    with pytest.raises(ValueError, match="both the target and a feature"):
        load_csv(path, target="label", features=["label"])


def test_quotes_semicolons_bom_blank_lines_and_float64(tmp_path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes('\ufeff"size";"kind"\n\n1.5;"big; really"\n0.5;small\n'.encode())
    data = load_csv(path, target="kind", delimiter=";", dtype=np.float64)
    assert data.feature_names == ("size",)
    assert data.classes == ("big; really", "small")
    assert data.X.dtype == np.float64


def test_non_number_names_line_and_column(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2,x\n\n3,oops,y\n")
    with pytest.raises(ValueError, match=r"line 4, column 'b' \(index 1\): 'oops'"):
        load_csv(path, target="label")


def test_missing_value_names_line_and_column(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,,x\n")
    with pytest.raises(ValueError, match=r"line 2, column 'b' \(index 1\): an empty"):
        load_csv(path, target="label")


def test_nan_and_inf_are_refused_as_features(tmp_path) -> None:
    path = write(tmp_path, "a,label\nnan,x\n")
    with pytest.raises(ValueError, match="'nan' is not a finite number"):
        load_csv(path, target="label")


def test_ragged_row_names_its_line(tmp_path) -> None:
    path = write(tmp_path, "a,b,label\n1,2,x\n3,y\n")
    with pytest.raises(ValueError, match="line 3: 2 fields, but the header has 3"):
        load_csv(path, target="label")


def test_unknown_columns_and_bad_arguments_are_named(tmp_path) -> None:
    path = write(tmp_path, IRIS_LIKE)
    with pytest.raises(ValueError, match=r"no column named 'kind'.*'species'"):
        load_csv(path, target="kind")
    with pytest.raises(ValueError, match="index 3 is out of range for 3 columns"):
        load_csv(path, target=3)
    with pytest.raises(TypeError, match=r"column name \(str\) or index"):
        load_csv(path, target=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no header row"):
        load_csv(write(tmp_path, "1,2\n3,4\n", "n.csv"), target="b")
    with pytest.raises(ValueError, match="categorical=False"):
        load_csv(path, target="species", categorical=False)
    with pytest.raises(FileNotFoundError, match="no such CSV file"):
        load_csv(tmp_path / "absent.csv", target=0)
    with pytest.raises(ValueError, match="no rows"):
        load_csv(write(tmp_path, "\n\n", "e.csv"), target=0)
    with pytest.raises(ValueError, match="header row but no data"):
        load_csv(write(tmp_path, "a,b\n", "h.csv"), target=0)


def test_a_csv_trains_a_classifier_end_to_end(tmp_path) -> None:
    X, y = gn.datasets.make_moons(n_samples=200, noise=0.05, seed=0)
    names = np.array(["left", "right"])[y]
    text = "x1,x2,side\n" + "".join(
        f"{a:.6f},{b:.6f},{n}\n" for (a, b), n in zip(X, names, strict=True)
    )
    data = load_csv(write(tmp_path, text), target="side")
    model = gn.Sequential(
        [gn.Dense(2, 16, rng=0), gn.Tanh(), gn.Dense(16, 2, rng=1), gn.Softmax()]
    )
    model.fit(
        data.X,
        data.y,
        loss=gn.CrossEntropy(),
        optimizer=gn.Adam(0.02),
        epochs=150,
        verbose=0,
        seed=0,
    )
    predicted = data.decode(model.predict(data.X).argmax(axis=1))
    assert np.mean(predicted == names) > 0.95
