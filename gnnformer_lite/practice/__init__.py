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
"""

from . import attention, graphs, learning, message_passing, positional, transformer
from .attention import *  # noqa: F403
from .graphs import *  # noqa: F403
from .harness import PracticeError
from .learning import *  # noqa: F403
from .message_passing import *  # noqa: F403
from .positional import *  # noqa: F403
from .transformer import *  # noqa: F403

_TOPICS = (graphs, message_passing, attention, transformer, positional, learning)
BLANKS = {name: blank for topic in _TOPICS for name, blank in topic.BLANKS.items()}

__all__ = ["BLANKS", "PracticeError", *(name for topic in _TOPICS for name in topic.__all__)]
