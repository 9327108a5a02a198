"""gnnformer-lite: Transformers are Graph Neural Networks, in pure NumPy.

``import gnnformer_lite as gl`` gives everything the course uses:

- graphs: ``Graph``, ``complete_graph``, ``window_graph``, ``causal_graph``,
  ``path_graph``, ``dependency_graph``, ``add_self_loops``, ``batch_graphs``,
  ``dilated_graph``, ``global_token_graph``, ``random_graph``, ``bigbird_graph``,
  ``union_graph``,
  ``from_adjacency``, ``from_networkx``, ``to_networkx``, ``example_sentence``;
- message passing: ``segment_sum``, ``segment_max``, ``segment_mean``,
  ``segment_softmax``, ``propagate``, ``hop_distance``;
- attention: ``softmax``, ``self_attention``, ``scaled_dot_product_attention``,
  ``graph_attention``,
  ``edge_weights_to_dense``;
- layers: ``gnn_layer``, ``gat_layer``, ``multi_head_attention``,
  ``transformer_layer``, ``layer_norm``, ``feed_forward``, their ``init_*``,
  ``relu``, ``elu``, ``leaky_relu``;
- positions: ``sinusoidal_encoding``, ``laplacian_encoding``, ``pad_encoding``,
  ``flip_signs``;
- plots: ``setup_notebook``, ``draw_graph``, ``draw_attention``, ``attention_heatmap``
  (loaded on first use, so that ``import gnnformer_lite`` does not import matplotlib);
- backward passes (``cache=`` on the forward, then ``<forward>_backward``):
  ``reverse_graph``, ``propagate_backward``, ``segment_softmax_backward``,
  ``softmax_backward``, ``scaled_dot_product_attention_backward``,
  ``graph_attention_backward``, ``gnn_layer_backward``, ``gat_layer_backward``,
  ``multi_head_attention_backward``, ``layer_norm_backward``, ``feed_forward_backward``,
  ``transformer_layer_backward``;
- learning: ``embed``, ``readout``, ``linear``, ``init_linear`` (each with a ``*_backward``),
  ``softmax_cross_entropy``, ``gradient_check``, ``init_adam``, ``adam_update``,
  ``warmup_schedule``, ``train``, ``blas_threads``;
- data: ``agreement_dataset``, ``agreement_sentence``, ``agreement_vocabulary``,
  ``token_ids``, ``pad_batch``, ``karate_club``, ``best_connected``,
  ``nearest_marked_dataset``;
- models of notebook 07 (forward, and a ``*_loss`` with the backward pass):
  ``node_classifier``, ``sentence_gnn``, ``sentence_transformer``, their ``init_*``,
  ``dataset_graphs``, ``graph_batch``;
- models of notebook 09: ``residual_gnn``, ``graph_transformer``, their ``init_*`` and
  ``*_loss``, ``node_batch``, ``laplacian_positions``; and ``virtual_node_graph``;
- your own sentence: ``sentence_graphs``, ``sentence_words``, and its plot ``draw_layers``.
"""

from .attention import (
    edge_weights_to_dense,
    graph_attention,
    graph_attention_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    self_attention,
    softmax,
    softmax_backward,
)
from .data import (
    agreement_dataset,
    agreement_sentence,
    agreement_vocabulary,
    best_connected,
    karate_club,
    nearest_marked_dataset,
    pad_batch,
    token_ids,
)
from .graph_models import (
    graph_transformer,
    graph_transformer_loss,
    init_graph_transformer,
    init_residual_gnn,
    laplacian_positions,
    node_batch,
    residual_gnn,
    residual_gnn_loss,
)
from .graphs import (
    Graph,
    add_self_loops,
    batch_graphs,
    bigbird_graph,
    causal_graph,
    complete_graph,
    dependency_graph,
    dilated_graph,
    example_sentence,
    from_adjacency,
    from_networkx,
    global_token_graph,
    path_graph,
    random_graph,
    reverse_graph,
    to_networkx,
    union_graph,
    virtual_node_graph,
    window_graph,
)
from .layers import (
    elu,
    feed_forward,
    feed_forward_backward,
    gat_layer,
    gat_layer_backward,
    gnn_layer,
    gnn_layer_backward,
    init_gat_layer,
    init_gnn_layer,
    init_multi_head_attention,
    init_transformer_layer,
    layer_norm,
    layer_norm_backward,
    leaky_relu,
    multi_head_attention,
    multi_head_attention_backward,
    relu,
    transformer_layer,
    transformer_layer_backward,
)
from .message_passing import (
    hop_distance,
    propagate,
    propagate_backward,
    segment_max,
    segment_mean,
    segment_softmax,
    segment_softmax_backward,
    segment_sum,
)
from .models import (
    dataset_graphs,
    graph_batch,
    init_node_classifier,
    init_sentence_gnn,
    init_sentence_transformer,
    node_classifier,
    node_classifier_loss,
    sentence_gnn,
    sentence_gnn_loss,
    sentence_transformer,
    sentence_transformer_loss,
)
from .positional import flip_signs, laplacian_encoding, pad_encoding, sinusoidal_encoding
from .sentences import sentence_graphs, sentence_words
from .training import (
    adam_update,
    blas_threads,
    embed,
    embed_backward,
    gradient_check,
    init_adam,
    init_linear,
    linear,
    linear_backward,
    readout,
    readout_backward,
    softmax_cross_entropy,
    train,
    warmup_schedule,
)

# The plots need matplotlib, which takes longer to import than all the maths together:
# ``viz`` is imported the first time one of its names is used (PEP 562).
_VIZ_NAMES = ("attention_heatmap", "draw_attention", "draw_graph", "draw_layers", "setup_notebook")


def __getattr__(name: str):
    if name in _VIZ_NAMES:
        from . import viz

        return getattr(viz, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_VIZ_NAMES))


__version__ = "0.1.0"

__all__ = [
    "best_connected",
    "dataset_graphs",
    "Graph",
    "add_self_loops",
    "agreement_dataset",
    "agreement_sentence",
    "agreement_vocabulary",
    "attention_heatmap",
    "batch_graphs",
    "bigbird_graph",
    "causal_graph",
    "complete_graph",
    "dependency_graph",
    "dilated_graph",
    "draw_attention",
    "draw_graph",
    "draw_layers",
    "edge_weights_to_dense",
    "elu",
    "example_sentence",
    "from_adjacency",
    "feed_forward",
    "from_networkx",
    "gat_layer",
    "global_token_graph",
    "gnn_layer",
    "graph_attention",
    "init_gat_layer",
    "init_gnn_layer",
    "init_multi_head_attention",
    "init_transformer_layer",
    "laplacian_encoding",
    "karate_club",
    "layer_norm",
    "leaky_relu",
    "multi_head_attention",
    "pad_batch",
    "path_graph",
    "propagate",
    "hop_distance",
    "random_graph",
    "relu",
    "scaled_dot_product_attention",
    "segment_max",
    "segment_mean",
    "segment_softmax",
    "segment_sum",
    "self_attention",
    "sentence_graphs",
    "sentence_words",
    "softmax",
    "setup_notebook",
    "sinusoidal_encoding",
    "to_networkx",
    "token_ids",
    "transformer_layer",
    "union_graph",
    "window_graph",
    "adam_update",
    "blas_threads",
    "embed",
    "embed_backward",
    "gradient_check",
    "init_adam",
    "init_linear",
    "linear",
    "linear_backward",
    "readout",
    "readout_backward",
    "softmax_cross_entropy",
    "train",
    "warmup_schedule",
    "reverse_graph",
    "propagate_backward",
    "segment_softmax_backward",
    "softmax_backward",
    "scaled_dot_product_attention_backward",
    "graph_attention_backward",
    "gnn_layer_backward",
    "gat_layer_backward",
    "multi_head_attention_backward",
    "layer_norm_backward",
    "feed_forward_backward",
    "transformer_layer_backward",
    "graph_batch",
    "init_node_classifier",
    "init_sentence_gnn",
    "init_sentence_transformer",
    "node_classifier",
    "node_classifier_loss",
    "sentence_gnn",
    "sentence_gnn_loss",
    "sentence_transformer",
    "sentence_transformer_loss",
    "nearest_marked_dataset",
    "pad_encoding",
    "flip_signs",
    "virtual_node_graph",
    "graph_transformer",
    "graph_transformer_loss",
    "init_graph_transformer",
    "init_residual_gnn",
    "laplacian_positions",
    "node_batch",
    "residual_gnn",
    "residual_gnn_loss",
]
