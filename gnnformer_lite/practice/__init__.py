"""Practice: checks that name the mistake, for the blanks of the practice notebooks.

``make practice`` writes ``practice/NN_name.ipynb`` from each course notebook: every
function marked ``# ✎ practice`` in the course loses its body, and the learner writes
it. The cell after it calls the blank's check, e.g.
``gl.practice.check_segment_softmax(my_segment_softmax)``: one line ``✔ ...`` when the
function agrees with the package on every case, else a ``PracticeError`` that names
the likely mistake from the check's catalogue, with the smallest failing input.

``BLANKS`` maps each blank's function name (``"my_segment_softmax"``) to the one-line
task and the equation that the practice notebook's stub shows; its check is
``check_<name without my_>``.

The checks live in one module per topic, in the order of the notebooks: ``graphs``
(adjacency, virtual node), ``sentence_graphs`` (window, dilated window, dependency tree),
``masks`` (padding and causal masks, receptive field), ``gnn`` (the GNN layer),
``message_passing`` (segment softmax and mean, the backward of propagate and gather),
``gat``, ``attention`` (self-attention, masked attention), ``multi_head``,
``position_wise`` (LayerNorm, feed-forward), ``transformer`` (the block), ``positional``
(Laplacian positions), ``gradient_check``, ``learning`` (cross-entropy, Adam) and
``sign_flips``. ``harness`` runs a check; ``cases`` holds the inputs several checks share.
"""

from . import (
    attention,
    gat,
    gnn,
    gradient_check,
    graphs,
    learning,
    masks,
    message_passing,
    multi_head,
    position_wise,
    positional,
    sentence_graphs,
    sign_flips,
    transformer,
)
from .attention import *  # noqa: F403
from .gat import *  # noqa: F403
from .gnn import *  # noqa: F403
from .gradient_check import *  # noqa: F403
from .graphs import *  # noqa: F403
from .harness import PracticeError
from .learning import *  # noqa: F403
from .masks import *  # noqa: F403
from .message_passing import *  # noqa: F403
from .multi_head import *  # noqa: F403
from .position_wise import *  # noqa: F403
from .positional import *  # noqa: F403
from .sentence_graphs import *  # noqa: F403
from .sign_flips import *  # noqa: F403
from .transformer import *  # noqa: F403

_TOPICS = (
    graphs,
    sentence_graphs,
    masks,
    gnn,
    message_passing,
    gat,
    attention,
    multi_head,
    position_wise,
    transformer,
    positional,
    gradient_check,
    learning,
    sign_flips,
)
BLANKS = {name: blank for topic in _TOPICS for name, blank in topic.BLANKS.items()}

__all__ = ["BLANKS", "PracticeError", *(name for topic in _TOPICS for name in topic.__all__)]
