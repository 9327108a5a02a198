"""``_checks``: the input checks every public function starts with.

Most messages are tested where a learner meets them (the ``BAD`` tables of each
module's tests); here are the contracts of the helpers themselves: what they
return, where the line between accepted and refused lies, and the settings a
model recorded (``setting`` / ``UNSET``). The checks of the plots' arguments are
tested through the plots (``test_viz.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

from gnnformer_lite import _checks
from gnnformer_lite._checks import (
    UNSET,
    all_finite,
    as_count,
    as_features,
    as_flag,
    as_float_array,
    as_index_array,
    as_rng,
    check_cache,
    check_params,
    check_range,
    check_upstream,
    get_param,
    setting,
)

# --- indices and counts ---------------------------------------------------------------


@pytest.mark.parametrize("empty", [[], (), np.zeros(0), np.zeros(0, dtype=np.float32)])
def test_index_array_accepts_an_empty_list_of_any_dtype(empty):
    out = as_index_array(empty, "ids")
    assert out.dtype == np.int64 and out.shape == (0,)


def test_index_array_is_int64_and_not_copied_when_it_already_is():
    ids = np.array([3, 1], dtype=np.int64)
    assert as_index_array(ids, "ids") is ids
    assert as_index_array(np.array([3, 1], dtype=np.uint8), "ids").dtype == np.int64
    with pytest.raises(TypeError, match="ids must be an integer array, got dtype bool"):
        as_index_array([True], "ids")


def test_index_array_takes_uint64_that_fits_in_int64_and_refuses_the_rest():
    out = as_index_array(np.array([3, 2**63 - 1], dtype=np.uint64), "ids")
    assert out.dtype == np.int64 and out.tolist() == [3, 2**63 - 1]
    with pytest.raises(ValueError, match=r"^ids contains 9223372036854775808, too large for an"):
        as_index_array(np.array([3, 2**63], dtype=np.uint64), "ids")


@pytest.mark.parametrize(
    ("idx", "lower", "match"),
    [
        ([0, 7, 9], 0, r"^ids contains 7, out of range for num_segments=5$"),  # the first one
        ([-2, 3], 0, r"^ids contains -2, "),
        ([-2, 3], -1, r"^ids contains -2, "),
        ([0, 5], -1, r"^ids contains 5, "),
    ],
)
def test_check_range_names_the_first_entry_out_of_range(idx, lower, match):
    with pytest.raises(ValueError, match=match):
        check_range(np.array(idx), "ids", 5, "num_segments=5", lower=lower)


def test_check_range_passes_the_array_through():
    idx = np.array([-1, 0, 4])
    assert check_range(idx, "heads", 5, "...", lower=-1) is idx
    empty = np.zeros(0, dtype=np.int64)
    assert check_range(empty, "ids", 0, "num_segments=0") is empty  # nothing to be out of range


@pytest.mark.parametrize("x", [0, 3, np.int64(3), np.uint8(3)])
def test_count_accepts_python_and_numpy_ints(x):
    out = as_count(x, "n")
    assert out == int(x) and type(out) is int


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (True, TypeError, "n must be an int, got bool True"),
        (np.bool_(True), TypeError, "n must be an int, got bool"),
        (3.0, TypeError, "n must be an int, got float 3.0"),
        ("3", TypeError, "n must be an int, got str '3'"),
        (-1, ValueError, "n must be >= 0, got -1"),
    ],
)
def test_count_refuses_bools_floats_and_negatives(x, error, match):
    with pytest.raises(error, match=match):
        as_count(x, "n")


@pytest.mark.parametrize("x", [True, False, np.bool_(True), np.bool_(False)])
def test_flag_accepts_python_and_numpy_bools(x):
    out = as_flag(x, "concat")
    assert out == bool(x) and type(out) is bool


@pytest.mark.parametrize(
    ("x", "match"),
    [(1, "got int 1"), (0.0, "got float 0.0"), (None, "got NoneType None"), ("no", "got str 'no'")],
)
def test_flag_refuses_anything_but_a_bool(x, match):
    with pytest.raises(TypeError, match=rf"^concat must be True or False, {match}$"):
        as_flag(x, "concat")


def test_rng_must_be_a_generator():
    rng = np.random.default_rng(0)
    assert as_rng(rng) is rng
    with pytest.raises(TypeError, match=r"^seed must be a seeded np.random.Generator.*got int$"):
        as_rng(0, "seed")


# --- floats and features --------------------------------------------------------------------


def test_float_array_casts_ints_and_bools_and_keeps_floats():
    x32 = np.ones(3, dtype=np.float32)
    assert as_float_array(x32, "x") is x32  # no copy
    assert as_float_array([1, 2], "x").dtype == np.float64
    assert as_float_array(np.array([True]), "x").tolist() == [1.0]
    out = as_float_array([1, 2], "x", ndim=1)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]


def test_float_array_checks_ndim_finiteness_and_kind():
    with pytest.raises(ValueError, match=r"node_color must be 1-D, got shape \(2, 2\)"):
        as_float_array(np.zeros((2, 2)), "node_color", ndim=1)
    with pytest.raises(ValueError, match=r"x contains NaN/inf \(shape \(2,\)\)"):
        as_float_array([0.0, np.inf], "x")
    assert np.isneginf(as_float_array([0.0, -np.inf], "x", finite=False)[1])
    with pytest.raises(TypeError, match=r"x must be a real-valued array, got dtype <U1$"):
        as_float_array(["a"], "x")
    with pytest.raises(TypeError, match="got dtype object; it looks like a params dict"):
        as_float_array({"W": np.ones(2)}, "x")


@pytest.mark.parametrize(
    "x",
    [
        np.zeros(0),
        np.arange(12.0).reshape(3, 4),
        np.arange(12.0).reshape(3, 4).T,  # not contiguous
        np.array([1.0, np.nan]),
        np.array([[1.0, -np.inf]], dtype=np.float32),
        np.array([1e200, 1.0]),  # finite, but its square overflows float64
        np.array([3e30, -1.0], dtype=np.float32),  # ... and float32
        np.array([np.inf, -np.inf]),
        np.array([1.0, np.nan], dtype=np.float16),
        np.array([65504.0], dtype=np.float16),
    ],
)
def test_all_finite_agrees_with_isfinite_and_warns_of_nothing(x, strict):
    assert all_finite(x) == bool(np.isfinite(x).all())


def test_get_param_refuses_nan_in_a_param_of_the_right_shape_and_dtype():
    W = np.ones((3, 2))
    assert get_param({"W": W}, "W", (3, 2), np.float64, "") is W  # nothing to cast: no copy
    W[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"^W contains NaN/inf \(shape \(3, 2\)\)$"):
        get_param({"W": W}, "W", (3, 2), np.float64, "")


def test_features_are_two_d_or_a_padded_batch():
    h = np.ones((4, 3))
    assert as_features(h) is h
    assert as_features(np.ones((2, 4, 3)), batched=True).shape == (2, 4, 3)
    with pytest.raises(ValueError, match=r"^h must be \(num_nodes, d\), got shape \(2, 4, 3\)$"):
        as_features(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match=r"or a padded batch \(\.\.\., n, d\), got shape \(3,\)"):
        as_features(np.ones(3), batched=True)


# --- params, settings, caches ------------------------------------------------------------------


def test_params_must_be_a_dict_and_the_message_gives_the_order():
    params = {"W": np.ones((2, 2))}
    assert check_params(params, "linear") is params
    with pytest.raises(
        TypeError,
        match=r"got ndarray of shape \(4, 2\) and dtype float64\. "
        r"The order is linear\(params, h, graph\)",
    ):
        check_params(np.ones((4, 2)), "linear")


def test_get_param_checks_presence_shape_and_casts():
    params = {"W": np.ones((3, 2)), "b": np.zeros(2, dtype=np.float32)}
    W = get_param(params, "W", (3, 2), np.float32, "")
    assert W.dtype == np.float32 and W.shape == (3, 2)
    assert get_param(params, "W", None, np.float64, "") is params["W"]  # None: any 2-D shape
    with pytest.raises(ValueError, match=r"params is missing key 'U' \(has \['W', 'b'\]\)"):
        get_param(params, "U", None, np.float64, "")
    with pytest.raises(ValueError, match=r"^b must be 2-D as a bias, got shape \(2,\)$"):
        get_param(params, "b", None, np.float64, "as a bias")
    with pytest.raises(
        ValueError, match=r"^W has shape \(3, 2\) but h has d=4, so W must be \(4, 2\)$"
    ):
        get_param(params, "W", (4, 2), np.float64, "h has d=4")


def test_setting_reads_what_init_recorded():
    built = {"W": np.ones(2), "num_heads": 2}
    assert setting(built, "num_heads", UNSET, 1) == 2  # not given: the recorded value
    assert setting(built, "num_heads", 2, 1) == 2  # given again, the same: fine
    with pytest.raises(
        ValueError,
        match=r"^num_heads=4, but these params were built with num_heads=2: drop the argument "
        r"\(the model knows its settings\), or build one with num_heads=4$",
    ):
        setting(built, "num_heads", 4, 1)
    by_hand = {"W": np.ones(2)}  # params made by hand: no record
    assert setting(by_hand, "num_heads", 4, 1) == 4
    assert setting(by_hand, "num_heads", UNSET, 1) == 1
    assert setting({"norm": None}, "norm", UNSET, "post") is None  # a recorded None counts
    with pytest.raises(ValueError, match="norm='pre', but these params were built with norm=None"):
        setting({"norm": None}, "norm", "pre", "post")


def test_unset_is_one_sentinel_with_a_readable_repr():
    assert repr(UNSET) == "<from params>"
    assert UNSET is _checks.UNSET and UNSET != 0 and UNSET is not None


def test_cache_must_hold_what_the_backward_needs():
    cache = {"x": 1, "y": 2}
    assert check_cache(cache, ("x", "y"), "f") is cache
    with pytest.raises(
        ValueError,
        match=r"^cache must be the dict filled in by f\(\.\.\., cache=cache\); it needs "
        r"\['x', 'z'\] but has \['x', 'y'\]$",
    ):
        check_cache(cache, ("z", "x"), "f")
    with pytest.raises(ValueError, match=r"but has list of length 2$"):
        check_cache([1, 2], ("x",), "f")
    with pytest.raises(ValueError, match=r"but has str 'xxxx"):
        check_cache("x" * 200, ("x",), "f")


def test_upstream_gradient_has_the_output_shape():
    d = check_upstream([[1, 2]], (1, 2), "f")
    assert d.dtype == np.float64 and d.tolist() == [[1.0, 2.0]]
    with pytest.raises(
        ValueError,
        match=r"^d_out has shape \(2, 1\) but the output of f had shape \(1, 2\): d_out is the "
        r"gradient of the loss with respect to that output$",
    ):
        check_upstream(np.ones((2, 1)), [1, 2], "f")
    with pytest.raises(ValueError, match="d_out contains NaN/inf"):
        check_upstream(np.array([np.nan]), (1,), "f")
