"""Wrong inputs fail early with a clear message; empty inputs work."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from conftest import strict_numerics

import gnnformer_lite as gl

RNG = np.random.default_rng(0)
H4 = RNG.normal(size=(4, 6))  # 4 nodes, d = 6
G4 = gl.path_graph(4)
GNN = gl.init_gnn_layer(np.random.default_rng(1), 6, 3)
GAT = gl.init_gat_layer(np.random.default_rng(2), 6, 3, num_heads=2)
MHA = gl.init_multi_head_attention(np.random.default_rng(3), 6, 2)
TF = gl.init_transformer_layer(np.random.default_rng(4), 6, 2, 12)
Q = RNG.normal(size=(4, 2, 3))


def replace(params, key, value):
    """A copy of ``params`` with ``params[key] = value`` (``key`` may be "sub/key")."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in params.items()}
    *outer, last = key.split("/")
    target = out[outer[0]] if outer else out
    target[last] = value
    return out


def with_nan(x, value=np.nan):
    x = x.copy()
    x[1, 2] = value
    return x


# (id, callable, exception, message fragment)
BAD = [
    # --- layer parameters of the wrong shape: the message names the array
    (
        "gnn_U_shape",
        lambda: gl.gnn_layer(replace(GNN, "U", np.zeros((5, 3))), H4, G4),
        ValueError,
        r"U has shape \(5, 3\) but h has d_in=6",
    ),
    (
        "gnn_V_shape",
        lambda: gl.gnn_layer(replace(GNN, "V", np.zeros((6, 4))), H4, G4),
        ValueError,
        r"V has shape \(6, 4\) but h has d_in=6 .*, so V must be \(6, 3\)",
    ),
    (
        "gnn_b_shape",
        lambda: gl.gnn_layer(replace(GNN, "b", np.zeros(4)), H4, G4),
        ValueError,
        r"b has shape \(4,\)",
    ),
    (
        "gnn_U_ndim",
        lambda: gl.gnn_layer(replace(GNN, "U", np.zeros(6)), H4, G4),
        ValueError,
        r"U must be 2-D.*got shape \(6,\)",
    ),
    (
        "gnn_U_nan",
        lambda: gl.gnn_layer(replace(GNN, "U", with_nan(GNN["U"])), H4, G4),
        ValueError,
        r"U contains NaN/inf",
    ),
    (
        "gnn_missing_key",
        lambda: gl.gnn_layer({"U": GNN["U"], "b": GNN["b"]}, H4, G4),
        ValueError,
        r"params is missing key 'V'",
    ),
    (
        "gnn_params_of_gat",
        lambda: gl.gnn_layer(GAT, H4, G4),
        ValueError,
        r"missing key 'U'.*another layer",
    ),
    (
        "gnn_params_not_dict",
        lambda: gl.gnn_layer([GNN["U"]], H4, G4),
        TypeError,
        r"params must be a dict of arrays \(made by init_gnn_layer\), got list of length 1",
    ),
    (
        "gnn_arguments_swapped",
        lambda: gl.gnn_layer(H4, GNN, G4),
        TypeError,
        r"params must be a dict of arrays \(made by init_gnn_layer\), got ndarray of shape "
        r"\(4, 6\).*The order is gnn_layer\(params, h, graph\)",
    ),
    (
        "mha_arguments_swapped",
        lambda: gl.multi_head_attention(H4, MHA, num_heads=2),
        TypeError,
        r"The order is multi_head_attention\(params, h, graph\)",
    ),
    (
        "feed_forward_arguments_swapped",
        lambda: gl.feed_forward(H4, {"W1": 1}),
        TypeError,
        r"params must be a dict of arrays \(W1, b1, W2, b2\).*feed_forward\(params, x\)",
    ),
    (
        "h_is_a_params_dict",
        lambda: gl.layer_norm(GNN, np.ones(6), np.zeros(6)),
        TypeError,
        r"x must be a real-valued array, got dtype object; it looks like a params dict",
    ),
    (
        "gat_W_shape",
        lambda: gl.gat_layer(replace(GAT, "W", np.zeros((6, 3))), H4, G4),
        ValueError,
        r"W has shape \(6, 3\) but .*, so W must be \(6, 6\)",
    ),
    (
        "gat_a_dst_shape",
        lambda: gl.gat_layer(replace(GAT, "a_dst", np.zeros((1, 3))), H4, G4),
        ValueError,
        r"a_dst has shape \(1, 3\)",
    ),
    (
        "gat_b_shape_mean_heads",
        lambda: gl.gat_layer(GAT, H4, G4, concat=False),
        ValueError,
        r"b has shape \(6,\) but .*concat=False, so b must be \(3,\)",
    ),
    (
        "mha_W_Q_shape",
        lambda: gl.multi_head_attention(replace(MHA, "W_Q", np.zeros((8, 8))), H4, num_heads=2),
        ValueError,
        r"W_Q has shape \(8, 8\) but h has d_model=6, so W_Q must be \(6, 6\)",
    ),
    (
        "mha_W_O_shape",
        lambda: gl.multi_head_attention(replace(MHA, "W_O", np.zeros((6, 5))), H4, num_heads=2),
        ValueError,
        r"W_O has shape \(6, 5\)",
    ),
    (
        "mha_b_K_shape",
        lambda: gl.multi_head_attention(replace(MHA, "b_K", np.zeros(5)), H4, num_heads=2),
        ValueError,
        r"b_K has shape \(5,\)",
    ),
    (
        "tf_W1_shape",
        lambda: gl.transformer_layer(replace(TF, "ffn/W1", np.zeros((5, 12))), H4, num_heads=2),
        ValueError,
        r"W1 has shape \(5, 12\) but x has d_model=6",
    ),
    (
        "tf_W2_shape",
        lambda: gl.transformer_layer(replace(TF, "ffn/W2", np.zeros((12, 5))), H4, num_heads=2),
        ValueError,
        r"W2 has shape \(12, 5\)",
    ),
    (
        "tf_gamma_shape",
        lambda: gl.transformer_layer(replace(TF, "ln1/gamma", np.ones(5)), H4, num_heads=2),
        ValueError,
        r"gamma has shape \(5,\) but x has d=6",
    ),
    (
        "tf_beta_shape_pre_ln",
        lambda: gl.transformer_layer(
            replace(TF, "ln2/beta", np.ones(7)), H4, num_heads=2, norm_first=True
        ),
        ValueError,
        r"beta has shape \(7,\)",
    ),
    (
        "tf_missing_key",
        lambda: gl.transformer_layer({k: v for k, v in TF.items() if k != "ffn"}, H4, num_heads=2),
        ValueError,
        r"params is missing key 'ffn'",
    ),
    (
        "tf_params_not_dict",
        lambda: gl.transformer_layer(None, H4, num_heads=2),
        TypeError,
        r"params must be a dict",
    ),
    # --- features
    ("gnn_h_1d", lambda: gl.gnn_layer(GNN, H4[0], G4), ValueError, r"h must be \(num_nodes, d\)"),
    (
        "gat_h_3d",
        lambda: gl.gat_layer(GAT, H4[None], G4),
        ValueError,
        r"h must be \(num_nodes, d\), got shape \(1, 4, 6\)",
    ),
    (
        "mha_h_1d",
        lambda: gl.multi_head_attention(MHA, H4[0], num_heads=2),
        ValueError,
        r"h must be \(num_nodes, d\)",
    ),
    ("gnn_h_nan", lambda: gl.gnn_layer(GNN, with_nan(H4), G4), ValueError, "h contains NaN/inf"),
    (
        "gat_h_inf",
        lambda: gl.gat_layer(GAT, with_nan(H4, np.inf), G4),
        ValueError,
        "h contains NaN/inf",
    ),
    (
        "mha_h_nan",
        lambda: gl.multi_head_attention(MHA, with_nan(H4), num_heads=2),
        ValueError,
        "h contains NaN/inf",
    ),
    (
        "tf_h_neg_inf",
        lambda: gl.transformer_layer(TF, with_nan(H4, -np.inf), num_heads=2),
        ValueError,
        "h contains NaN/inf",
    ),
    (
        "gnn_h_complex",
        lambda: gl.gnn_layer(GNN, H4 + 1j, G4),
        TypeError,
        r"h must be a real-valued array, got dtype complex128",
    ),
    (
        "layer_norm_nan",
        lambda: gl.layer_norm(with_nan(H4), np.ones(6), np.zeros(6)),
        ValueError,
        "x contains NaN/inf",
    ),
    (
        "layer_norm_scalar",
        lambda: gl.layer_norm(1.0, np.ones(1), np.zeros(1)),
        ValueError,
        "at least one axis",
    ),
    (
        "feed_forward_scalar",
        lambda: gl.feed_forward(TF["ffn"], 1.0),
        ValueError,
        "at least one axis",
    ),
    # --- graph vs features
    (
        "gnn_graph_size",
        lambda: gl.gnn_layer(GNN, H4, gl.path_graph(5)),
        ValueError,
        r"graph has num_nodes=5 but h has 4 rows",
    ),
    (
        "gat_graph_size",
        lambda: gl.gat_layer(GAT, H4, gl.path_graph(3)),
        ValueError,
        r"graph has num_nodes=3 but h has 4 rows",
    ),
    (
        "mha_graph_size",
        lambda: gl.multi_head_attention(MHA, H4, gl.complete_graph(5), num_heads=2),
        ValueError,
        r"graph has num_nodes=5 but h has 4 rows",
    ),
    (
        "tf_graph_size",
        lambda: gl.transformer_layer(TF, H4, gl.causal_graph(2), num_heads=2),
        ValueError,
        r"graph has num_nodes=2 but h has 4 rows",
    ),
    (
        "graph_attention_graph_size",
        lambda: gl.graph_attention(Q, Q, Q, gl.complete_graph(3)),
        ValueError,
        r"graph has num_nodes=3 but q has 4 rows",
    ),
    (
        "gnn_graph_not_graph",
        lambda: gl.gnn_layer(GNN, H4, G4.adjacency()),
        TypeError,
        r"graph must be a gnnformer_lite.Graph, got ndarray",
    ),
    (
        "propagate_not_graph",
        lambda: gl.propagate((G4.senders, G4.receivers), H4),
        TypeError,
        r"must be a gnnformer_lite.Graph",
    ),
    (
        "batch_graphs_not_graph",
        lambda: gl.batch_graphs([G4, "not a graph"]),
        TypeError,
        r"graphs\[1\] must be a gnnformer_lite.Graph, got str",
    ),
    (
        "activation_not_callable",
        lambda: gl.gnn_layer(GNN, H4, G4, activation="relu"),
        TypeError,
        r"activation must be a function or None",
    ),
    # --- heads
    (
        "mha_heads_do_not_divide",
        lambda: gl.multi_head_attention(MHA, H4, num_heads=4),
        ValueError,
        r"num_heads=4 must be >= 1 and divide d_model=6",
    ),
    (
        "mha_zero_heads",
        lambda: gl.multi_head_attention(MHA, H4, num_heads=0),
        ValueError,
        r"num_heads=0 must be >= 1",
    ),
    (
        "tf_heads_float",
        lambda: gl.transformer_layer(TF, H4, num_heads=2.0),
        TypeError,
        r"num_heads must be an int, got float",
    ),
    (
        "init_mha_heads_do_not_divide",
        lambda: gl.init_multi_head_attention(np.random.default_rng(0), 6, 4),
        ValueError,
        r"divide d_model=6",
    ),
    (
        "init_gat_zero_heads",
        lambda: gl.init_gat_layer(np.random.default_rng(0), 6, 3, num_heads=0),
        ValueError,
        r"num_heads must be >= 1, got 0",
    ),
    (
        "init_gnn_negative_size",
        lambda: gl.init_gnn_layer(np.random.default_rng(0), -1, 3),
        ValueError,
        r"d_in must be >= 0, got -1",
    ),
    # --- rng
    (
        "init_gnn_int_seed",
        lambda: gl.init_gnn_layer(0, 6, 3),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got int",
    ),
    (
        "init_tf_random_state",
        lambda: gl.init_transformer_layer(np.random.RandomState(0), 6, 2, 12),
        TypeError,
        r"rng must be a seeded np.random.Generator.*got RandomState",
    ),
    (
        "init_gat_module_random",
        lambda: gl.init_gat_layer(np.random, 6, 3),
        TypeError,
        r"np.random.Generator.*got module",
    ),
    # --- attention inputs
    (
        "sdpa_heads_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q[:, :1], Q[:, :1]),
        ValueError,
        r"q has shape \(4, 2, 3\) and k has shape \(4, 1, 3\).*same\s+number of heads",
    ),
    (
        "sdpa_d_head_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q[..., :2], Q),
        ValueError,
        r"same number of heads H and the same d_head",
    ),
    (
        "sdpa_k_v_mismatch",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q[:3]),
        ValueError,
        r"k has shape \(4, 2, 3\) and v has shape \(3, 2, 3\).*one value per key",
    ),
    (
        "sdpa_q_2d",
        lambda: gl.scaled_dot_product_attention(Q[:, 0], Q, Q),
        ValueError,
        r"q must be \(\.\.\., n, H, d_head\), got shape \(4, 3\)",
    ),
    (
        "sdpa_batch_mismatch",
        lambda: gl.scaled_dot_product_attention(Q[None], np.stack([Q, Q]), np.stack([Q, Q])),
        ValueError,
        r"q has batch shape \(1,\) but k has \(2,\)",
    ),
    (
        "sdpa_nan",
        lambda: gl.scaled_dot_product_attention(Q, with_nan(Q[:, 0])[:, None], Q[:, :1]),
        ValueError,
        r"k contains NaN/inf",
    ),
    (
        "sdpa_mask_shape",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((4, 3), dtype=bool)),
        ValueError,
        r"mask has shape \(4, 3\), which does not broadcast to \(\.\.\., n, m\) = \(4, 4\)",
    ),
    (
        "sdpa_mask_adds_batch_axis",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((2, 4, 4), dtype=bool)),
        ValueError,
        r"mask has shape \(2, 4, 4\)",
    ),
    (
        "sdpa_mask_not_bool",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=np.ones((4, 4))),
        TypeError,
        r"mask must be a boolean array, got dtype float64",
    ),
    (
        "sdpa_mask_int",
        lambda: gl.scaled_dot_product_attention(Q, Q, Q, mask=G4.adjacency(dtype=int)),
        TypeError,
        r"mask must be a boolean array",
    ),
    (
        "self_attention_h_1d",
        lambda: gl.self_attention(H4[0], np.ones((6, 2)), np.ones((6, 2)), np.ones((6, 2))),
        ValueError,
        r"h must be 2-D, got shape \(6,\)",
    ),
    (
        "self_attention_W_K_rows",
        lambda: gl.self_attention(H4, np.ones((6, 2)), np.ones((5, 2)), np.ones((6, 2))),
        ValueError,
        r"W_K has shape \(5, 2\) but h has d=6 features",
    ),
    (
        "self_attention_q_k_width",
        lambda: gl.self_attention(H4, np.ones((6, 2)), np.ones((6, 3)), np.ones((6, 2))),
        ValueError,
        r"W_Q has shape \(6, 2\) and W_K has shape \(6, 3\)",
    ),
    (
        "self_attention_nan",
        lambda: gl.self_attention(with_nan(H4), np.ones((6, 2)), np.ones((6, 2)), np.ones((6, 2))),
        ValueError,
        r"h contains NaN/inf",
    ),
    (
        "graph_attention_batched",
        lambda: gl.graph_attention(Q[None], Q[None], Q[None], G4),
        ValueError,
        r"graph_attention takes q, k, v of shape \(n, H, d_head\)",
    ),
    (
        "graph_attention_cross",
        lambda: gl.graph_attention(Q, Q[:3], Q[:3], gl.path_graph(4)),
        ValueError,
        r"graph_attention takes q, k, v of shape \(n, H, d_head\)",
    ),
    (
        "edge_weights_wrong_length",
        lambda: gl.edge_weights_to_dense(G4, np.ones((5, 2))),
        ValueError,
        r"alpha has shape \(5, 2\) but the graph has 6 edges",
    ),
    (
        "edge_weights_3d",
        lambda: gl.edge_weights_to_dense(G4, np.ones((6, 2, 1))),
        ValueError,
        r"expected \(E,\) or \(E, H\) with E=6",
    ),
    # --- graphs
    (
        "graph_sender_out_of_range",
        lambda: gl.Graph([0, 5], [1, 1], 3),
        ValueError,
        r"senders contains node 5, out of range for num_nodes=3",
    ),
    (
        "graph_negative_receiver",
        lambda: gl.Graph([0, 1], [-1, 1], 3),
        ValueError,
        r"receivers contains node -1, out of range",
    ),
    (
        "graph_edges_on_zero_nodes",
        lambda: gl.Graph([0], [0], 0),
        ValueError,
        r"out of range for num_nodes=0",
    ),
    (
        "graph_float_indices",
        lambda: gl.Graph([0.0, 1.0], [1, 0], 2),
        TypeError,
        r"senders must be an integer array, got dtype float64",
    ),
    (
        "graph_bool_indices",
        lambda: gl.Graph([0, 1], [True, False], 2),
        TypeError,
        r"receivers must be an integer array, got dtype bool",
    ),
    (
        "graph_unequal_lengths",
        lambda: gl.Graph([0, 1], [1], 2),
        ValueError,
        r"equal lengths, got \(2,\) and \(1,\)",
    ),
    (
        "graph_2d_indices",
        lambda: gl.Graph([[0, 1]], [[1, 0]], 2),
        ValueError,
        r"senders must be 1-D, got shape \(1, 2\)",
    ),
    (
        "graph_scalar_indices",
        lambda: gl.Graph(0, 1, 2),
        ValueError,
        r"senders must be 1-D, got shape \(\)",
    ),
    (
        "graph_duplicate_edge",
        lambda: gl.Graph([0, 2, 0], [1, 1, 1], 3),
        ValueError,
        r"duplicate edge 0 -> 1",
    ),
    (
        "graph_num_nodes_float",
        lambda: gl.Graph([], [], 2.0),
        TypeError,
        r"num_nodes must be an int, got float",
    ),
    (
        "graph_num_nodes_bool",
        lambda: gl.Graph([], [], True),
        TypeError,
        r"num_nodes must be an int, got bool",
    ),
    (
        "graph_num_nodes_negative",
        lambda: gl.Graph([], [], -1),
        ValueError,
        r"num_nodes must be >= 0, got -1",
    ),
    (
        "from_adjacency_not_square",
        lambda: gl.from_adjacency(np.ones((2, 3))),
        ValueError,
        r"A must be a square \(n, n\) matrix, got shape \(2, 3\)",
    ),
    (
        "from_adjacency_1d",
        lambda: gl.from_adjacency(np.ones(4)),
        ValueError,
        r"A must be a square \(n, n\) matrix, got shape \(4,\)",
    ),
    (
        "complete_graph_float",
        lambda: gl.complete_graph(3.0),
        TypeError,
        r"n must be an int",
    ),
    (
        "window_graph_negative_radius",
        lambda: gl.window_graph(3, -1),
        ValueError,
        r"radius must be >= 0",
    ),
    (
        "dependency_cycle",
        lambda: gl.dependency_graph([1, 2, 1, -1]),
        ValueError,
        r"heads contains a cycle: 1 -> 2 -> 1",
    ),
    (
        "dependency_self_head",
        lambda: gl.dependency_graph([-1, 1]),
        ValueError,
        r"heads contains a cycle: 1 -> 1",
    ),
    (
        "dependency_two_roots",
        lambda: gl.dependency_graph([-1, 0, -1]),
        ValueError,
        r"exactly one root \(-1\), found 2",
    ),
    (
        "dependency_no_root",
        lambda: gl.dependency_graph([1, 0]),
        ValueError,
        r"exactly one root \(-1\), found 0",
    ),
    (
        "dependency_out_of_range",
        lambda: gl.dependency_graph([-1, 3, 0]),
        ValueError,
        r"heads contains 3, out of range for a sentence of 3 words",
    ),
    (
        "dependency_below_minus_one",
        lambda: gl.dependency_graph([-1, -2]),
        ValueError,
        r"heads contains -2, out of range",
    ),
    (
        "dependency_float_heads",
        lambda: gl.dependency_graph([-1.0, 0.0]),
        TypeError,
        r"heads must be an integer array",
    ),
    (
        "from_networkx_not_networkx",
        lambda: gl.from_networkx({0: [1]}),
        TypeError,
        r"G must be a networkx graph, got dict",
    ),
    (
        "from_networkx_multigraph_duplicates",
        lambda: gl.from_networkx(nx.MultiDiGraph([(0, 1), (0, 1)])),
        ValueError,
        r"duplicate edge 0 -> 1",
    ),
    (
        "to_networkx_not_graph",
        lambda: gl.to_networkx(nx.path_graph(3)),
        TypeError,
        r"must be a gnnformer_lite.Graph",
    ),
    # --- message passing
    (
        "propagate_messages_length",
        lambda: gl.propagate(G4, np.ones((5, 2))),
        ValueError,
        r"messages has shape \(5, 2\) but the graph has 6 edges",
    ),
    (
        "propagate_scalar_messages",
        lambda: gl.propagate(G4, 1.0),
        ValueError,
        r"messages has shape \(\) but the graph has 6 edges",
    ),
    (
        "segment_sum_length",
        lambda: gl.segment_sum(np.ones(3), [0, 1], 2),
        ValueError,
        r"data has shape \(3,\) but segment_ids has 2 entries",
    ),
    (
        "segment_max_id_out_of_range",
        lambda: gl.segment_max(np.ones(2), [0, 2], 2),
        ValueError,
        r"segment_ids contains 2, out of range for num_segments=2",
    ),
    (
        "segment_mean_negative_id",
        lambda: gl.segment_mean(np.ones(2), [-1, 0], 2),
        ValueError,
        r"segment_ids contains -1",
    ),
    (
        "segment_sum_float_ids",
        lambda: gl.segment_sum(np.ones(2), [0.0, 1.0], 2),
        TypeError,
        r"segment_ids must be an integer array",
    ),
    (
        "segment_sum_num_segments_float",
        lambda: gl.segment_sum(np.ones(2), [0, 1], 2.0),
        TypeError,
        r"num_segments must be an int",
    ),
    (
        "segment_softmax_nan",
        lambda: gl.segment_softmax(np.array([0.0, np.nan]), [0, 0], 1),
        ValueError,
        r"logits contains NaN or \+inf",
    ),
    (
        "segment_softmax_plus_inf",
        lambda: gl.segment_softmax(np.array([0.0, np.inf]), [0, 0], 1),
        ValueError,
        r"logits contains NaN or \+inf",
    ),
    (
        "segment_softmax_3d",
        lambda: gl.segment_softmax(np.zeros((2, 1, 1)), [0, 0], 1),
        ValueError,
        r"logits must be \(E,\) or \(E, H\), got shape \(2, 1, 1\)",
    ),
    (
        "segment_softmax_length",
        lambda: gl.segment_softmax(np.zeros((3, 2)), [0, 0], 1),
        ValueError,
        r"logits has shape \(3, 2\) but segment_ids has 2 entries",
    ),
    (
        "softmax_nan",
        lambda: gl.softmax(np.array([0.0, np.nan])),
        ValueError,
        r"scores contains NaN or \+inf",
    ),
    (
        "softmax_plus_inf",
        lambda: gl.softmax(np.array([[0.0, np.inf]]), axis=0),
        ValueError,
        r"scores contains NaN or \+inf",
    ),
    (
        "segment_softmax_text",
        lambda: gl.segment_softmax(np.array(["a", "b"]), [0, 0], 1),
        TypeError,
        r"logits must be a real-valued array",
    ),
]


@pytest.mark.parametrize(("call", "exc", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_there_are_many_bad_input_cases():
    assert len(BAD) >= 20
    assert len({b[0] for b in BAD}) == len(BAD)


# --- empty inputs must work ----------------------------------------------------------------


EMPTY_CASES = {
    "gnn_layer": (lambda h, g: gl.gnn_layer(GNN, h, g), 3),
    "gat_layer": (lambda h, g: gl.gat_layer(GAT, h, g), 6),
    "gat_layer_mean": (
        lambda h, g: gl.gat_layer(replace(GAT, "b", np.zeros(3)), h, g, concat=False),
        3,
    ),
    "mha_graph": (lambda h, g: gl.multi_head_attention(MHA, h, g, num_heads=2), 6),
    "mha_dense": (lambda h, g: gl.multi_head_attention(MHA, h, num_heads=2), 6),
    "transformer_graph": (lambda h, g: gl.transformer_layer(TF, h, g, num_heads=2), 6),
    "transformer_dense": (lambda h, g: gl.transformer_layer(TF, h, num_heads=2), 6),
    "transformer_pre_ln": (
        lambda h, g: gl.transformer_layer(TF, h, g, num_heads=2, norm_first=True),
        6,
    ),
    "layer_norm": (lambda h, g: gl.layer_norm(h, np.ones(6), np.zeros(6)), 6),
    "self_attention": (lambda h, g: gl.self_attention(h, *[np.ones((6, 2), h.dtype)] * 3)[0], 2),
    "feed_forward": (lambda h, g: gl.feed_forward(TF["ffn"], h), 6),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_layers_on_zero_nodes(name, dtype):
    fn, d_out = EMPTY_CASES[name]
    with strict_numerics():
        out = fn(np.zeros((0, 6), dtype=dtype), gl.Graph([], [], 0))
    assert out.shape == (0, d_out) and out.dtype == dtype


@pytest.mark.parametrize("name", sorted(EMPTY_CASES))
def test_layers_on_graphs_without_edges(name):
    fn, d_out = EMPTY_CASES[name]
    with strict_numerics():
        out = fn(H4, gl.Graph([], [], 4))
    assert out.shape == (4, d_out) and np.isfinite(out).all()


def test_edgeless_graph_layers_reduce_to_their_self_term(strict):
    g = gl.Graph(np.zeros(0, dtype=np.float32), [], 4)  # an empty list of any dtype
    out = gl.gnn_layer(GNN, H4, g, activation=None)
    np.testing.assert_allclose(out, H4 @ GNN["U"] + GNN["b"])
    gat = replace(GAT, "b", np.arange(6.0))
    np.testing.assert_array_equal(
        gl.gat_layer(gat, H4, g, activation=None), np.tile(gat["b"], (4, 1))
    )
    mha = replace(MHA, "b_O", np.arange(6.0))
    out, alpha = gl.multi_head_attention(mha, H4, g, num_heads=2, return_attention=True)
    np.testing.assert_array_equal(out, np.tile(mha["b_O"], (4, 1)))
    assert alpha.shape == (0, 2)


@pytest.mark.parametrize("n", [0, 1])
def test_attention_and_message_passing_on_tiny_inputs(n, strict):
    q = np.ones((n, 2, 3))
    g = gl.complete_graph(n)
    out, alpha = gl.graph_attention(q, q, q, g)
    assert out.shape == (n, 2, 3) and alpha.shape == (n, 2)
    out, w = gl.scaled_dot_product_attention(q, q, q, mask=g.adjacency() > 0)
    assert out.shape == (n, 2, 3) and w.shape == (2, n, n)
    np.testing.assert_array_equal(out, q)  # one word attending to itself returns its value
    assert gl.edge_weights_to_dense(g, alpha).shape == (2, n, n)
    assert gl.segment_softmax(np.zeros((n, 2)), np.zeros(n, dtype=int), max(n, 0)).shape == (n, 2)
    assert gl.propagate(g, np.ones((n, 4))).shape == (n, 4)


def test_float_check_of_a_given_ndim():
    from gnnformer_lite._checks import as_float_array

    with pytest.raises(ValueError, match=r"node_color must be 1-D, got shape \(2, 2\)"):
        as_float_array(np.zeros((2, 2)), "node_color", ndim=1)
    out = as_float_array([1, 2], "x", ndim=1)
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
