"""The x,y,w,h table format: one parser for ground truth, results and submissions, bit-exact with float()."""
import numpy as np
import pytest

from simtrack.errors import DatasetError, ResultsError
from simtrack.formats.box_tables import (
    format_boxes,
    format_seconds,
    parse_numbers,
    parse_table,
    read_boxes,
    strict_table_problems,
)


@pytest.mark.parametrize("printf", ["%.4f", "%d", "%.1f", "%.8f", "%.0f", "%.12g", "%.2f"])
def test_plain_decimals_parse_bit_identically_to_float(printf):
    rng = np.random.default_rng(len(printf))
    for scale in (1, 1e3, 1e6):
        values = rng.normal(0, scale, (200, 4))
        text = "\n".join(",".join(printf % v for v in row) for row in values) + "\n"
        expected = np.array([[float(printf % v) for v in row] for row in values])
        parsed = parse_table(text, 4)
        assert parsed.dtype == np.float64
        np.testing.assert_array_equal(parsed.view(np.int64), expected.view(np.int64))


def test_every_spelling_of_a_number_and_separator():
    text = "\ufeff5.,.5,-.5,-0\r\n\r\n 007 ;1\t2  3,\n1e3,NaN,nan,-inf\n"
    parsed = parse_table(text.encode("utf-8"), 4)
    np.testing.assert_array_equal(parsed[:2], [[5, 0.5, -0.5, 0], [7, 1, 2, 3]])
    assert np.signbit(parsed[0, 3]) and parsed[2, 0] == 1000 and np.isnan(parsed[2, 1:3]).all()
    assert parsed[2, 3] == -np.inf


@pytest.mark.parametrize("bad,line", [("1,2,3\n", 1), ("1,2,3,4\n1,-,3,4\n", 2), ("1-2,3,4,5\n", 1),
                                      ("1.2.3,1,1,1\n", 1), ("1,2,3,4\n\n1,2,x,4\n", 3),
                                      ("1,2,3,4,5\n", 1), ("1234567890123456789,1,1,1\n1,2,3\n", 2)])
def test_bad_lines_are_named_with_the_file_and_the_error_type_of_the_caller(bad, line):
    with pytest.raises(DatasetError, match=rf"^gt\.txt, line {line}: expected 4 numbers x,y,w,h"):
        parse_table(bad, 4, "gt.txt", DatasetError)


def test_long_mantissas_and_any_column_count():
    assert parse_table("12345678901234567,1,2,3", 4)[0, 0] == float("12345678901234567")
    assert parse_table("0.1,0.2\n0.3,0.4\n", None).shape == (2, 2)
    with pytest.raises(ResultsError, match="line 2: expected the same count"):
        parse_table("0.1,0.2\n0.3\n", None, "t.txt")
    assert parse_table("", 4).shape == (0, 4) and parse_table("\n\n", None).shape == (0, 1)


def test_flat_lists_of_flags():
    np.testing.assert_array_equal(parse_numbers("0,1,1,0"), [0, 1, 1, 0])
    np.testing.assert_array_equal(parse_numbers("1\n0\n\n1\n"), [1, 0, 1])
    for text, expected in (("0\n1\n1\n", [0, 1, 1]), ("7;3 2", [7, 3, 2]), ("1,-1", [1, -1]), ("10,1", [10, 1]),
                           ("1\r\n0\r\n", [1, 0]), ("5", [5])):   # one digit each (fast path) or not
        np.testing.assert_array_equal(parse_numbers(text), expected)
    with pytest.raises(DatasetError, match=r"flags\.txt: expected numbers .* found 'yes'"):
        parse_numbers("0\nyes\n", "flags.txt", DatasetError)


def test_files_missing_or_folders(tmp_path):
    with pytest.raises(ResultsError, match="missing box file: .*nope.txt does not exist"):
        read_boxes(tmp_path / "nope.txt")
    with pytest.raises(DatasetError, match="is a folder, expected ground truth"):
        read_boxes(tmp_path, "ground truth", DatasetError)


def test_written_tables_read_back_exactly_and_pass_the_server_check():
    boxes = np.array([[1.5, 2.25, 30.0, 40.125], [0.0, -1.0, 2.0, 3.0]])
    written = format_boxes(boxes)
    assert written == b"1.5000,2.2500,30.0000,40.1250\n0.0000,-1.0000,2.0000,3.0000\n"
    np.testing.assert_array_equal(parse_table(written, 4), boxes)
    assert format_seconds(np.array([0.5, 0.25])) == b"0.50000000\n0.25000000\n"
    assert format_seconds(np.array([[0.5, 0.25]])) == b"0.50000000,0.25000000\n"
    assert strict_table_problems(written, "a.txt", 2, 4) == []


@pytest.mark.parametrize("text,problem", [("1,2,3,4\n", "1 lines for a sequence of 2 frames"),
                                          ("1,2,3,4\n1 2 3 4\n", "line 2 is '1 2 3 4'"),
                                          ("1,2,3,4\n1,2,nan,4\n", "line 2 is '1,2,nan,4'"),
                                          ("1,2,3,4\n1,2,3,4,\n", "line 2 is '1,2,3,4,'")])
def test_the_server_check_wants_exactly_four_finite_comma_separated_numbers(text, problem):
    problems = strict_table_problems(text, "a.txt", 2, 4)
    assert len(problems) == 1 and problem in problems[0]


def _reference(text, columns):
    """float() on every token, line by line; None where a line is not ``columns`` numbers."""
    rows = []
    for line in text.splitlines():
        tokens = line.replace(",", " ").replace(";", " ").split()
        if not tokens:
            continue
        try:
            rows.append([float(token) for token in tokens])
        except ValueError:
            return None
        if len(tokens) != columns:
            return None
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def test_random_tables_parse_like_float_or_fail_like_it():
    """Fuzzing both vectorised paths (one decimal count everywhere, and mixed) against float()."""
    rng = np.random.default_rng(7)
    tokens = ["0", "-0", "-0.0000", "12", "-12", "3.2500", "-3.2500", ".5", "-.5", "5.", "1.2.3", "1-2", "-",
              "9007199254740993", "123456789012345678901", "0.000000000000001", "1.25", "007.10", "."]
    pools = [tokens, ["12", "-12", "0", "-0", "9007199254740991", "-9007199254740993"],
             ["3.2500", "-3.2500", "0.0000", "-0.0000", "7.0001", "-0.0001", "12345678901.2345"]]
    for trial in range(600):
        pool = pools[trial % 3]
        lines = [",".join(rng.choice(pool, 4)) for _ in range(rng.integers(1, 5))]
        text = "\n".join(lines) + ("\n" if trial % 3 else "")
        expected = _reference(text, 4)
        if expected is None:
            with pytest.raises(ResultsError):
                parse_table(text, 4)
            continue
        parsed = parse_table(text, 4)
        np.testing.assert_array_equal(parsed.view(np.int64), expected.view(np.int64), err_msg=text)
