"""gnnformer-lite: Transformers are Graph Neural Networks, in pure NumPy.

``import gnnformer_lite as gl`` gives everything the course uses:

- graphs: ``Graph``, ``complete_graph``, ``window_graph``, ``causal_graph``,
  ``path_graph``, ``dependency_graph``, ``add_self_loops``, ``batch_graphs``,
  ``from_adjacency``, ``from_networkx``, ``to_networkx``, ``example_sentence``;
- message passing: ``segment_sum``, ``segment_max``, ``segment_mean``,
  ``segment_softmax``, ``propagate``;
- attention: ``softmax``, ``self_attention``, ``scaled_dot_product_attention``,
  ``graph_attention``,
  ``edge_weights_to_dense``;
- layers: ``gnn_layer``, ``gat_layer``, ``multi_head_attention``,
  ``transformer_layer``, ``layer_norm``, ``feed_forward``, their ``init_*``,
  ``relu``, ``elu``, ``leaky_relu``;
- positions: ``sinusoidal_encoding``, ``laplacian_encoding``;
- plots: ``setup_notebook``, ``draw_graph``, ``draw_attention``, ``attention_heatmap``
  (loaded on first use, so that ``import gnnformer_lite`` does not import matplotlib);
- your own sentence: ``sentence_graphs``, ``sentence_words``, and its plot ``draw_layers``.
"""

from .attention import (
    edge_weights_to_dense,
    graph_attention,
    scaled_dot_product_attention,
    self_attention,
    softmax,
)
from .graphs import (
    Graph,
    add_self_loops,
    batch_graphs,
    causal_graph,
    complete_graph,
    dependency_graph,
    example_sentence,
    from_adjacency,
    from_networkx,
    path_graph,
    to_networkx,
    window_graph,
)
from .layers import (
    elu,
    feed_forward,
    gat_layer,
    gnn_layer,
    init_gat_layer,
    init_gnn_layer,
    init_multi_head_attention,
    init_transformer_layer,
    layer_norm,
    leaky_relu,
    multi_head_attention,
    relu,
    transformer_layer,
)
from .message_passing import (
    propagate,
    segment_max,
    segment_mean,
    segment_softmax,
    segment_sum,
)
from .positional import laplacian_encoding, sinusoidal_encoding
from .sentences import sentence_graphs, sentence_words

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
    "Graph",
    "add_self_loops",
    "attention_heatmap",
    "batch_graphs",
    "causal_graph",
    "complete_graph",
    "dependency_graph",
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
    "gnn_layer",
    "graph_attention",
    "init_gat_layer",
    "init_gnn_layer",
    "init_multi_head_attention",
    "init_transformer_layer",
    "laplacian_encoding",
    "layer_norm",
    "leaky_relu",
    "multi_head_attention",
    "path_graph",
    "propagate",
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
    "transformer_layer",
    "window_graph",
]
