"""gnnformer-lite: Transformers are Graph Neural Networks, in pure NumPy.

``import gnnformer_lite as gl`` gives every public function of the modules below
(each module lists its own in ``__all__``; ``help(gl.<module>)`` shows one):

- ``graphs``: the ``Graph`` (senders, receivers, num_nodes) and graph algebra;
- ``sentences``: the graphs of a sentence (complete, window, causal, tree, ...);
- ``message_passing``: segment sum / max / mean / softmax, ``propagate``;
- ``attention``: softmax, dense and graph attention;
- ``gnn_layers``: activations, the GNN and GAT layers;
- ``position_wise``: LayerNorm and the feed-forward net (each word on its own);
- ``transformer_layers``: multi-head attention, the Transformer layer;
- ``positional``: sinusoidal and Laplacian positions;
- ``learning``: embedding, linear, readout, cross-entropy, gradient check, Adam, ``train``;
- ``sentence_models`` and ``graph_models``: the models the course trains;
- ``datasets``: agreement sentences, the karate club, the nearest marked node;
- ``viz`` and ``notebook``: plots (matplotlib is imported on first use) and notebook set-up.

Every forward with a ``cache=`` argument has ``<name>_backward(cache, d_out)`` beside
it, returning ``(d_params, d_input)``.
"""

from . import (  # the modules themselves: gl.graphs, gl.datasets, ...
    _runtime,
    attention,
    datasets,
    gnn_layers,
    graph_models,
    graphs,
    learning,
    message_passing,
    notebook,
    optimisation,
    position_wise,
    positional,
    practice,  # noqa: F401 -- gl.practice: the checks of the practice notebooks
    sentence_models,
    sentences,
    transformer_layers,
    viz,
)
from ._runtime import *  # noqa: F403
from .attention import *  # noqa: F403
from .datasets import *  # noqa: F403
from .gnn_layers import *  # noqa: F403
from .graph_models import *  # noqa: F403
from .graphs import *  # noqa: F403
from .learning import *  # noqa: F403
from .message_passing import *  # noqa: F403
from .notebook import *  # noqa: F403
from .optimisation import *  # noqa: F403
from .position_wise import *  # noqa: F403
from .positional import *  # noqa: F403
from .sentence_models import *  # noqa: F403
from .sentences import *  # noqa: F403
from .transformer_layers import *  # noqa: F403
from .viz import *  # noqa: F403

__version__ = "0.1.0"

__all__ = [
    name
    for module in (
        graphs,
        sentences,
        message_passing,
        attention,
        gnn_layers,
        position_wise,
        transformer_layers,
        positional,
        learning,
        optimisation,
        _runtime,
        sentence_models,
        graph_models,
        datasets,
        viz,
        notebook,
    )
    for name in module.__all__
]
