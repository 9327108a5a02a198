# Generated from notebooks/02_message_passing.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 02 · Message passing: the GNN layer, three ways
#
# **Estimated time: 55 min** (with the exercises). Symbols as on the course's
# [notation page](../docs/notation.md).
#
# Notebook 01 turned a sentence into a graph: nodes with feature vectors, and edges $j \to i$ stored as
# `senders` and `receivers`. A graph on its own does nothing. In this notebook we make the words **talk to
# each other** along the edges: one *message-passing layer*, the "Standard GNN" column of the talk, from which
# the GAT (notebook 03) and the Transformer (notebooks 04–05) are built by changing one piece at a time.
#
# ## What you will learn
#
# - the GNN update of the talk, $h_i' = \sigma\big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\big)$, and why the
#   course writes $h_i U$ where the talk writes $U h_i$ (row vectors, transposed weights);
# - to compute it **by hand** on a 4-node graph, then **three ways in code** — a Python loop, *gather +
#   segment-sum* (jraph's `segment_sum`, PyG's *message / aggregate / update*), and one matrix product
#   $A\,(hV)$ — all checked equal to `gl.gnn_layer`;
# - the mistakes that raise a clear error, and the two that fail **silently**;
# - the **receptive field**: each layer lets information travel one hop, so on the dependency tree "cat" reaches
#   "it" after 3 layers but on the plain word chain only after 6;
# - that even an **untrained** GNN smooths features over neighbourhoods (Zachary's karate club);
# - why **sum** aggregation makes node degree matter, and what **mean** (and GCN's normalisation) changes.
#
# **Prerequisites:** notebook 01 (graphs as `senders` / `receivers`, the adjacency matrix `A[i, j] = 1` iff
# $j \to i$, the dependency tree of our sentence). NumPy broadcasting and `@`. No machine learning beyond
# "a layer has weight matrices".
#
# **Practice:** `practice/02_message_passing.ipynb` is this notebook with the bodies of four functions
# (marked ✎: the layer as a loop and as gather + segment-sum, the segment mean, the receptive field) left
# for you to write; the cell after each runs a check that names the likely mistake.

# %%
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullLocator

import gnnformer_lite as gl

gl.setup_notebook()

# %% [markdown]
# ## 1 · The update rule, in the talk's notation and in ours
#
# The talk describes a GNN layer in one sentence: *a non-linear transformation of the node's own features added
# to the aggregation of features from each neighbouring node*. With column vectors, as on the slide,
#
# $$h_i^{\ell+1} = \sigma\Big(U^{\ell} h_i^{\ell} + \sum_{j \in \mathcal{N}(i)} V^{\ell} h_j^{\ell}\Big),$$
#
# where $h_i^{\ell}$ is the feature vector of node $i$ at layer $\ell$, $\mathcal{N}(i)$ are the nodes $j$ with an
# edge $j \to i$, $U^{\ell}$ and $V^{\ell}$ are learnable matrices and $\sigma$ is a non-linearity (ReLU here).
# This is the only time the course writes it this way.
#
# **Why we transpose.** NumPy and PyTorch store the features of $n$ nodes as an $(n, d)$ array, one **row** per
# node. A row vector stands to the *left* of a matrix: $h_i U$. Transposing the talk's equation, $(U h_i)^\top =
# h_i^\top U^\top$, so if we write $h_i$ for the row and call $U^\top$ simply $U$ (shape $(d_\text{in},
# d_\text{out})$), the same layer reads
#
# $$h_i' = \sigma\Big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\Big).$$
#
# Same maths, transposed weights. We also add a bias $b$ (zeros at initialisation); the slide leaves it out.
# The payoff of rows is that one product `h @ U` transforms *all* nodes at once. (PyTorch's `nn.Linear` stores
# its weight in the talk's orientation, $(d_\text{out}, d_\text{in})$, and computes `x @ weight.T` — the same
# transpose, hidden inside the layer.)
#
# Let us check the transpose on numbers small enough to do in our heads. Take $V = \begin{pmatrix}1 & 1\\ 0 &
# 1\end{pmatrix}$, which is **not** symmetric, so that mixing up the two conventions shows: a row $(x, y)$
# times $V$ is $(x,\ x + y)$.

# %%
V = np.array([[1, 1], [0, 1]])  # course convention: (d_in, d_out), acts as h_j @ V
V_talk = V.T  # the talk's convention: (d_out, d_in), acts as V_talk @ h_j
h_j = np.array([1, 1])

print("course: h_j @ V        =", h_j @ V)
print("talk:   V_talk @ h_j   =", V_talk @ h_j, " (same numbers)")
print("mixed:  h_j @ V_talk   =", h_j @ V_talk, " (wrong: the talk's matrix in our formula)")
np.testing.assert_array_equal(h_j @ V, V_talk @ h_j, err_msg="row times V == V_talk times column")

# %% [markdown]
# The third line is a mistake that raises no error — both matrices are $2 \times 2$ — and gives different
# numbers. When you copy weights from a paper or from `nn.Linear`, check which side they multiply on.
#
# ## 2 · A graph small enough to check by hand
#
# Four nodes, $d = 2$ features each. Edges $0 \leftrightarrow 1$, $1 \leftrightarrow 2$, $2 \leftrightarrow 3$
# go both ways; the edge $0 \to 3$ goes **one way**: node 3 hears node 0, node 0 does not hear node 3. So the
# incoming neighbourhoods are
#
# $$\mathcal{N}(0) = \{1\}, \quad \mathcal{N}(1) = \{0, 2\}, \quad \mathcal{N}(2) = \{1, 3\}, \quad
# \mathcal{N}(3) = \{0, 2\}.$$
#
# Weights: $U = I$ (a node keeps its own features), $V$ as above, $b = (0, -2)$ so that the ReLU has something
# to cut.

# %%
toy = gl.Graph(
    senders=[0, 1, 1, 2, 2, 3, 0],  # edge e goes senders[e] -> receivers[e]
    receivers=[1, 0, 2, 1, 3, 2, 3],
    num_nodes=4,
)
h_toy = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 2.0]])
toy_params = {"U": np.eye(2), "V": np.array([[1.0, 1.0], [0.0, 1.0]]), "b": np.array([0.0, -2.0])}

print(toy)
print("edges, in the graph's canonical order (sorted by receiver, then sender):")
edge_labels = [f"{j}→{i}" for j, i in zip(toy.senders, toy.receivers, strict=True)]
print("  ", "  ".join(edge_labels))
for i in range(toy.num_nodes):
    print(f"N({i}) = {toy.senders[toy.receivers == i].tolist()}")

# %% [markdown]
# Left, the graph: a line with an arrow head at both ends is a pair of edges $j \to i$ and $i \to j$, a line with
# one head a one-way edge (the head at the receiver). Right, its adjacency matrix with one **row per receiver** $i$
# and one **column per sender** $j$, as in notebook 01. Row $i$ lists exactly $\mathcal{N}(i)$.

# %%
A_toy = toy.adjacency()
one_way = [f"{j}→{i}" for j, i in zip(toy.senders, toy.receivers, strict=True) if not A_toy[j, i]]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.1, 1]})
gl.draw_graph(toy, ax=ax1, title=f"toy graph, one-way: {', '.join(one_way) or 'none'}")
gl.heatmap(
    A_toy,
    ax=ax2,
    title="adjacency A[i, j] = 1 iff j → i",
    annotate=True,
    cmap="Blues",
    vmax=1.6,
    xlabel="sender j",
    ylabel="receiver i",
)
fig.subplots_adjust(wspace=0.3)
plt.show()

# %% [markdown]
# Row 3 of $A$ has ones in columns 0 and 2 (node 3 hears 0 and 2), but row 0 has no one in column 3: the
# matrix is **not symmetric**, because one edge is one-way. Keep that in mind for section 7.
#
# ### The hand calculation
#
# With $U = I$ the self term is just $h_i$. Each neighbour sends $h_j V = (x,\ x + y)$ for $h_j = (x, y)$:
#
# | node $j$ | $h_j$ | message $h_j V$ |
# |---|---|---|
# | 0 | (1, 0) | (1, 1) |
# | 1 | (0, 1) | (0, 1) |
# | 2 | (1, 1) | (1, 2) |
# | 3 | (0, 2) | (0, 2) |
#
# Each receiver adds up the messages of its neighbours, adds its own term and the bias, and applies the ReLU:
#
# | node $i$ | $\mathcal{N}(i)$ | $\sum_j h_j V$ | $h_i U + \sum_j h_j V + b$ | $h_i' = \text{ReLU}(\cdot)$ |
# |---|---|---|---|---|
# | 0 | {1} | (0, 1) | (1, 0) + (0, 1) + (0, −2) = (1, −1) | **(1, 0)** |
# | 1 | {0, 2} | (1, 1) + (1, 2) = (2, 3) | (0, 1) + (2, 3) + (0, −2) = (2, 2) | **(2, 2)** |
# | 2 | {1, 3} | (0, 1) + (0, 2) = (0, 3) | (1, 1) + (0, 3) + (0, −2) = (1, 2) | **(1, 2)** |
# | 3 | {0, 2} | (1, 1) + (1, 2) = (2, 3) | (0, 2) + (2, 3) + (0, −2) = (2, 3) | **(2, 3)** |
#
# Notice node 0: its second feature went negative and the ReLU set it to 0. We write the answer down once and
# make every implementation below reproduce it.

# %%
# the last column of the table: every way of computing the layer must give these numbers
expected = np.array([[1.0, 0.0], [2.0, 2.0], [1.0, 2.0], [2.0, 3.0]])


# %% [markdown]
# ## 3 · Way 1: a loop over nodes and their neighbours
#
# The most literal translation of the equation: for every receiver $i$, find its neighbours $j$ (the senders of
# the edges whose receiver is $i$), add up their messages, then update.
#
# $$m_i = \sum_{j \in \mathcal{N}(i)} h_j V, \qquad h_i' = \sigma(h_i U + m_i + b)$$

# %%
# ✎ practice: this body is yours to write in practice/02_message_passing.ipynb
def my_gnn_layer_loop(params, h, graph, activation=gl.relu):
    """The GNN layer, one node and one neighbour at a time (slow, but obviously right)."""
    U, V, b = params["U"], params["V"], params["b"]
    out = np.zeros((graph.num_nodes, U.shape[1]))
    for i in range(graph.num_nodes):
        m_i = np.zeros(U.shape[1])
        for j in graph.senders[graph.receivers == i]:  # j in N(i)
            m_i += h[j] @ V  # the message j -> i
        out[i] = activation(h[i] @ U + m_i + b)
    return out


# %%
gl.practice.check_gnn_layer_loop(my_gnn_layer_loop)

# %%
h_loop = my_gnn_layer_loop(toy_params, h_toy, toy)
print(h_loop)
np.testing.assert_allclose(
    h_loop,
    expected,
    err_msg="the loop must give the hand calculation `expected` (the toy graph of section 2; change the graph and `expected` is stale)",
)

# %% [markdown]
# The check ran the loop on the toy graph, the sentence's tree and a random graph with uneven in-degrees, with
# other activations and float32 inputs, and compared it with `gl.gnn_layer`; on the toy graph it agrees with the
# table. The loop is also how you should *think* about the layer. But it runs Python code once per edge: a graph
# with a million edges would take seconds per layer, and it hides the structure that makes the fast versions
# possible.
#
# ## 4 · Way 2: gather, then sum by segment
#
# Look at the inner loop again: it does two separate things.
#
# 1. **Gather.** Every edge $e$ needs the transformed features of its sender: row `senders[e]` of $hV$. NumPy
#    fancy indexing does this for all $E$ edges at once: `(h @ V)[g.senders]`, an $(E, d)$ array with one
#    message per edge.
# 2. **Segment-sum.** Every receiver adds up the rows of the edges that point at it. The edges with
#    `receivers[e] == i` form node $i$'s *segment*:
#
# $$m_i = \sum_{e\,:\,\text{receivers}[e] = i} \text{messages}[e].$$
#
# This is exactly jraph's recipe (`nodes[senders]`, then `jax.ops.segment_sum(messages, receivers,
# num_segments=n)`), and `gl.segment_sum` has the same signature. `gl.propagate(g, messages)` is the same sum
# written for a graph: the `Graph` stores its edges sorted by receiver, so each segment is one contiguous block
# of rows.

# %%
hV = h_toy @ toy_params["V"]  # (n, d): transform each node once
messages = hV[toy.senders]  # (E, d): gather -- one message per edge
m = gl.segment_sum(messages, toy.receivers, toy.num_nodes)  # (n, d): sum per receiver
np.testing.assert_allclose(
    m, gl.propagate(toy, messages), err_msg="segment_sum over receivers == gl.propagate"
)
print("messages, one row per edge:")
for label, row in zip(edge_labels, messages, strict=True):
    print(f"  {label}: {row}")
print("aggregated m_i, one row per node:")
print(m)


# %% [markdown]
# Here is the same computation as a picture, one panel per step. The colour of a row is its receiver: the
# segment-sum collapses each colour block of the middle panel into one row of the right panel.

# %%
def table(ax, values, row_labels, title, row_groups=None):
    """Draw a small matrix as an annotated table; rows coloured by group (e.g. receiver)."""
    groups = np.arange(len(values)) if row_groups is None else np.asarray(row_groups)
    colors = plt.get_cmap("Pastel1")(groups % 9)
    ax.imshow(np.broadcast_to(colors[:, None, :], (len(values), values.shape[1], 4)), aspect="auto")
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            ax.text(c, r, f"{v:g}", ha="center", va="center")
    ax.set_yticks(range(len(values)), row_labels)
    ax.set_xticks(range(values.shape[1]), [f"feature {c}" for c in range(values.shape[1])])
    ax.set_title(title)
    ax.grid(False)


fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1, 1]})
table(axes[0], hV, [f"node {j}" for j in range(toy.num_nodes)], "1. transform: h V  (n × d)")
table(
    axes[1], messages, edge_labels, "2. gather: (h V)[senders]  (E × d)", row_groups=toy.receivers
)
table(
    axes[2], m, [f"node {i}" for i in range(toy.num_nodes)], "3. segment_sum by receiver  (n × d)"
)
axes[0].set_ylabel("sender j")
axes[1].set_ylabel("edge j→i (coloured by receiver i)")
axes[2].set_ylabel("receiver i")
fig.subplots_adjust(wspace=0.6)
plt.show()


# %% [markdown]
# Row "node 0" of the left table appears twice in the middle (edges 0→1 and 0→3): gathering *copies* a
# sender's message once per out-going edge. The two green rows (receiver 2) add up to the third row on the
# right, $(0, 1) + (0, 2) = (0, 3)$. No Python loop, and the cost is proportional to $E$.
#
# ### Message, aggregate, update
#
# PyTorch Geometric names the three parts of every message-passing layer, and its `MessagePassing` class has one
# method for each:
#
# $$h_i' = \underbrace{\gamma}_{\text{update}}\Big(h_i,\ \underbrace{\bigoplus_{j \in \mathcal{N}(i)}}_{\text{aggregate}}
# \underbrace{\phi(h_i, h_j)}_{\text{message}}\Big)$$
#
# | part | our GNN layer | in code | PyG | jraph |
# |---|---|---|---|---|
# | message $\phi$ | $h_j V$ | `(h @ V)[g.senders]` | `message(x_j)` | `nodes[senders]` |
# | aggregate $\bigoplus$ | $\sum$ | `gl.segment_sum(..., g.receivers, n)` / `gl.propagate` | `aggr="add"` | `segment_sum` |
# | update $\gamma$ | $\sigma(h_i U + m_i + b)$ | `gl.relu(h @ U + m + b)` | `update(aggr_out, x)` | `update_node_fn` |
#
# The rest of the course changes **one** cell of this table at a time. GAT (notebook 03) changes the aggregate: a
# weighted sum whose weights are computed from $h_i$ and $h_j$. The Transformer (notebook 04) keeps that and
# makes the graph complete.
#
# One detail: we transformed first and gathered second, `(h @ V)[senders]`. Gathering first, `h[senders] @ V`,
# gives the same numbers (a matrix product acts row by row), but multiplies $E$ rows instead of $n$ — on the
# complete graph of a sentence, $n^2$ instead of $n$.
#
# The three steps and the update, as one function without a loop:
#
# $$h' = \sigma\big(hU + \text{segment\_sum}\big((hV)[\text{senders}],\ \text{receivers},\ n\big) + b\big).$$

# %%
# ✎ practice: this body is yours to write in practice/02_message_passing.ipynb
def my_gnn_layer(params, h, graph, activation=gl.relu):
    """The GNN layer as gather + segment-sum: (n, d_out), no Python loop."""
    messages = (h @ params["V"])[graph.senders]  # message: h_j V on every edge j -> i
    m = gl.segment_sum(messages, graph.receivers, graph.num_nodes)  # aggregate per receiver i
    return activation(h @ params["U"] + m + params["b"])  # update


# %%
gl.practice.check_gnn_layer(my_gnn_layer)

# %%
h_gather = my_gnn_layer(toy_params, h_toy, toy)
print(h_gather)
np.testing.assert_allclose(
    h_gather,
    expected,
    err_msg="gather + segment_sum must give the hand calculation `expected` (the toy graph of section 2; change the graph and `expected` is stale)",
)

# %% [markdown]
# ## 5 · Way 3: one matrix product
#
# The segment-sum is a sum over the ones in row $i$ of the adjacency matrix:
#
# $$m_i = \sum_{j} A_{ij}\, (hV)_j \quad\Longleftrightarrow\quad m = A\,(hV).$$
#
# This is why notebook 01 put receivers on the **rows** of $A$: aggregation is then a plain `A @ M`. The whole
# layer is one line, $h' = \sigma(hU + A h V + b)$.

# %%
A = toy.adjacency()
h_dense = gl.relu(h_toy @ toy_params["U"] + A @ (h_toy @ toy_params["V"]) + toy_params["b"])
np.testing.assert_allclose(
    h_dense,
    expected,
    err_msg="A @ (h V) must give the hand calculation `expected` (the toy graph of section 2; change the graph and `expected` is stale)",
)

h_module = gl.gnn_layer(toy_params, h_toy, toy)
np.testing.assert_allclose(
    h_module,
    expected,
    err_msg="gl.gnn_layer must give the hand calculation `expected` (the toy graph of section 2; change the graph and `expected` is stale)",
)
ways = {"loop": h_loop, "gather+segment_sum": h_gather, "A @ (h V)": h_dense}
print(f"{' == '.join(ways)} == gl.gnn_layer:", all(np.allclose(w, h_module) for w in ways.values()))
print("... == the hand calculation `expected`:", np.allclose(h_module, expected))
print(h_module)

# %% [markdown]
# All four agree with the table. Which one to use? The dense form is the shortest and, for a 10-word sentence,
# perfectly fine. But $A$ has $n^2$ entries whatever the number of edges: for a graph with a million nodes
# and ten edges per node it would hold $10^{12}$ numbers, almost all zero, while the edge lists hold
# $2 \cdot 10^7$ integers.
# That is why `gl.gnn_layer` (like PyG, DGL and jraph) uses gather + segment-sum and never builds $A$. For
# the Transformer's *complete* graph the situation flips — $E = n^2$ anyway — and the dense form wins; we will
# meet it again in notebook 04 as $\text{softmax}(QK^\top)V$.
#
# ## 6 · The same layer on our sentence
#
# Now the running example: "the cat sat on the mat because it was tired" with its dependency tree, random
# 8-dimensional features (a stand-in for word embeddings) and random weights from `gl.init_gnn_layer`. The
# numbers are no longer checkable by hand, but the three implementations must still agree.

# %%
words, heads = gl.example_sentence()
n = len(words)
tree = gl.dependency_graph(heads)  # an edge each way between a word and its head; no self loops
path = gl.path_graph(n)  # each word linked to the previous and the next word

rng = np.random.default_rng(0)
d = 8
h = rng.normal(size=(n, d))
params = gl.init_gnn_layer(rng, d, d)

ways = {
    "loop": my_gnn_layer_loop(params, h, tree),
    "gather + segment_sum": my_gnn_layer(params, h, tree),
    "A @ (h V)": gl.relu(h @ params["U"] + tree.adjacency() @ (h @ params["V"]) + params["b"]),
}
h_new = gl.gnn_layer(params, h, tree)
for name, out in ways.items():
    np.testing.assert_allclose(out, h_new, atol=1e-12, err_msg=f"{name} != gl.gnn_layer (sentence)")
    print(f"{name:22s} == gl.gnn_layer  (to 1e-12)")
print("h' has shape", h_new.shape, "-- one row per word:")
for word, row in zip(words[:3], h_new[:3], strict=True):
    print(f"  {word:5s} {row}")

# %% [markdown]
# Zeros in $h'$ are the ReLU at work: about half of the pre-activations of a random layer are negative.
#
# ## 7 · Common mistakes
#
# ### Mistakes the module catches
#
# Three slips that every reading group makes at least once. `gl.gnn_layer` and `gl.propagate` check their
# inputs and say what is wrong, instead of letting NumPy broadcast its way to a confusing traceback (or, worse,
# to a wrong answer).

# %%
mistakes = [
    # 1. features with the wrong width: the layer was built for d_in = d
    lambda: gl.gnn_layer(params, h[:, :6], tree),
    # 2. features of the sentence (n rows) on the toy graph (4 nodes)
    lambda: gl.gnn_layer(params, h, toy),
    # 3. forgetting the gather: one row per *node* passed where one row per *edge* is needed
    lambda: gl.propagate(tree, h @ params["V"]),
]
for make in mistakes:
    gl.show_error(make)  # prints the error instead of a traceback

# %% [markdown]
# ### Mistakes nothing can catch
#
# **Transposing $A$.** `A.T @ (h @ V)` has the right shape, so no check can fire. It sums over *out-going* edges
# instead of incoming ones. On the toy graph with its one-way edge $0 \to 3$, node 0 now hears node 3 and node 3
# no longer hears node 0:

# %%
h_wrong = gl.relu(h_toy @ toy_params["U"] + A.T @ (h_toy @ toy_params["V"]) + toy_params["b"])
h_right = gl.gnn_layer(toy_params, h_toy, toy)  # the reference: the module on the same graph
differs = np.flatnonzero(~np.isclose(h_wrong, h_right).all(axis=1))
print("with A.T, rows that change on the toy graph:", differs.tolist())
print(
    "is the tree's adjacency symmetric?         ",
    bool((tree.adjacency() == tree.adjacency().T).all()),
)

# %% [markdown]
# The bug changes rows 0 and 3 of the toy graph — and does **nothing at all** on the dependency tree, whose edges
# all go both ways. A test on symmetric graphs only would pass. That is why the toy graph has a one-way edge, and
# why causal (left-to-right) graphs, which are never symmetric, are where such bugs surface.
#
# **Self loops in a GNN layer.** The talk's GNN has a separate self term $h_i U$. If the graph *also* contains the
# edge $i \to i$, node $i$ sends itself the message $h_i V$ too, and the layer silently becomes one with self
# weight $U + V$. GAT layers and Transformers (notebooks 03–04) have no separate self term, so for them self loops
# are exactly what we want; for `gl.gnn_layer` they are a double count.

# %%
with_loops = gl.gnn_layer(params, h, gl.add_self_loops(tree))
double_self = gl.gnn_layer({**params, "U": params["U"] + params["V"]}, h, tree)
np.testing.assert_allclose(
    with_loops, double_self, atol=1e-12, err_msg="self loops in a GNN layer == self weight U + V"
)
print("gnn_layer on tree + self loops == gnn_layer on tree with U replaced by U + V")


# %% [markdown]
# ## 8 · The receptive field grows one hop per layer
#
# After one layer, $h_i'$ depends on $h_i$ and on its neighbours $\mathcal{N}(i)$ — nothing else. After two
# layers, it depends on the neighbours' neighbours, because $h_j'$ already carried their information. In general,
# after $L$ layers node $i$ can have heard from exactly the nodes $j$ whose distance to $i$ (in edges $j \to \dots
# \to i$) is at most $L$: its **receptive field**.
#
# We can compute that set by message passing itself. Give every node a one-hot feature, "I have heard from
# myself", and repeatedly add up what the neighbours have heard:
#
# $$r^{0} = I, \qquad r^{\ell+1} = r^{\ell} + A\,r^{\ell} = (A + I)\, r^{\ell}
# \quad\Longrightarrow\quad r^{L} = (A + I)^L.$$
#
# $r^{L}_{ij} > 0$ exactly when there is a walk of at most $L$ steps from $j$ to $i$. The $+I$ is the self term
# $h_i U$: a node never forgets its own features. We write it by hand, one `gl.propagate` per layer, and never
# build $A$:

# %%
# ✎ practice: this body is yours to write in practice/02_message_passing.ipynb
def my_receptive_field(graph, num_layers):
    """(n, n) bool: [i, j] is True iff node j can influence node i within num_layers layers."""
    r = np.eye(graph.num_nodes)  # r^0 = I: each node has heard only from itself
    for _ in range(num_layers):  # r <- (A + I) r: add what the neighbours have heard
        r = r + gl.propagate(graph, r[graph.senders])
    return r > 0


# %%
gl.practice.check_receptive_field(my_receptive_field)

# %%
A_plus_I = tree.adjacency() + np.eye(n)
for L in range(4):
    np.testing.assert_array_equal(
        my_receptive_field(tree, L),
        np.linalg.matrix_power(A_plus_I, L) > 0,
        err_msg=f"the receptive field must be (A + I)^L > 0 (tree, L = {L})",
    )

it = words.index("it")  # the word we follow (try another: words.index("cat"))
Ls = (1, 2, 3)  # numbers of layers to look at (here and in the picture below)
for name, graph in [("tree", tree), ("path", path)]:
    for L in Ls:
        heard = np.flatnonzero(my_receptive_field(graph, L)[it])
        print(f"{name}, L = {L}: '{words[it]}' has heard from {[words[j] for j in heard]}")


# %% [markdown]
# That is what the layers *can* do. Let us check that random GNN layers actually *do* it: perturb the features of
# one word $j$, run $L$ layers of `gl.gnn_layer`, and see whether the output of "it" moves.
# `gl.influence(run, h, target)` does the nudging: it adds 1 to every feature of one word $j$ at a time and
# reports which nudges move `run(h)[target]`. (A ReLU that outputs 0 for every path could in principle hide an
# influence, so the exact set is an upper bound; with random weights it is reached.)

# %%
def random_gnn(graph, num_layers, seed=0, d=8):
    """Random features h0 and run(x): num_layers GNN layers with random weights on graph."""
    rng = np.random.default_rng(seed)
    h0 = rng.normal(size=(graph.num_nodes, d))
    layers = [gl.init_gnn_layer(rng, d, d) for _ in range(num_layers)]

    def run(x):
        for p in layers:
            x = gl.gnn_layer(p, x, graph)
        return x

    return h0, run


for graph in (tree, path):
    for L in range(1, 7):
        h0, run = random_gnn(graph, L)
        moved = gl.influence(run, h0, it)  # moved[j]: nudging word j changes the output of `it`
        np.testing.assert_array_equal(
            moved,
            my_receptive_field(graph, L)[it],
            err_msg=f"nudges that move '{words[it]}' != its receptive field (L = {L}, seed 0)",
        )
print(f"perturbation experiment == (A + I)^L > 0 for '{words[it]}', L = 1..6, on tree and path")

# %% [markdown]
# Both agree for every $L$ up to 6 on both graphs. Here is the receptive field of "it" as a picture: rows are the
# number of layers, columns the two graphs. Green words have reached "it" (orange).

# %%
COLOR_TARGET, COLOR_HEARD, COLOR_SILENT = "#f6b26b", "#93c47d", "#eeeeee"


def reach_colors(reached, target):
    colors = [COLOR_HEARD if r else COLOR_SILENT for r in reached]
    colors[target] = COLOR_TARGET
    return colors


fig, axes = plt.subplots(
    len(Ls), 2, figsize=(13, 1.5 * len(Ls)), dpi=80, squeeze=False
)  # dpi 80: lighter
for col, (name, graph) in enumerate([("dependency tree", tree), ("path (word order)", path)]):
    for row, L in enumerate(Ls):
        reached = my_receptive_field(graph, L)[it]
        k = reached.sum() - 1  # not counting 'it' itself
        title = f"{name}, L = {L}: {k} word{'s' if k != 1 else ''} reached '{words[it]}'"
        gl.draw_graph(
            graph, words, ax=axes[row, col], title=title, node_color=reach_colors(reached, it)
        )
fig.legend(
    handles=[
        Patch(facecolor=COLOR_TARGET, edgecolor="0.6", label=f"'{words[it]}' (receiver)"),
        Patch(facecolor=COLOR_HEARD, edgecolor="0.6", label=f"has influenced '{words[it]}'"),
        Patch(facecolor=COLOR_SILENT, edgecolor="0.6", label="not yet"),
    ],
    loc="lower center",
    ncol=3,
    bbox_to_anchor=(0.5, -0.09),
)
fig.suptitle(f"Receptive field of '{words[it]}' after L GNN layers")
fig.subplots_adjust(left=0.0, right=1.0, top=0.86, bottom=0.04, hspace=0.5, wspace=0.03)
plt.show()

# %% [markdown]
# On the path graph the receptive field is a window that widens by one word on each side per layer: after 3
# layers "it" has heard "the mat because … was tired", but not "cat". On the tree, information travels along
# grammatical relations instead: "it" → "tired" → "sat" → "cat" is three hops, so **"cat", the word "it" refers
# to, reaches "it" after 3 layers on the tree**. How many layers would the path graph need? Let us count, for
# every word, the first layer at which it reaches "it" — its distance to "it" — on four graphs, including the
# Transformer's complete graph (without self loops: the GNN's $U$ term plays that role).
#
# `d = gl.hop_distance(graph)` gives all these first layers at once, for every pair: `d[i, j]` is the smallest $L$
# at which `my_receptive_field(graph, L)[i, j]` turns True (the cell checks it), and $-1$ where word $j$ never
# reaches word $i$, however many layers. When every pair has a path, its largest entry is the graph's
# **diameter**: the number of layers after which *every* word has heard *every* other. The table prints both, and
# "never" where some word has no path.

# %%
graphs = {
    "dependency tree": tree,
    "path (window 1)": path,
    "window radius 2": gl.window_graph(n, 2, self_loops=False),
    "complete": gl.complete_graph(n, self_loops=False),
}
distances = {name: gl.hop_distance(g) for name, g in graphs.items()}  # -1: never
for name, g in graphs.items():
    for L in range(4):
        np.testing.assert_array_equal(
            (distances[name] >= 0) & (distances[name] <= L),
            my_receptive_field(g, L),
            err_msg=f"gl.hop_distance <= L must be the receptive field ({name}, L = {L})",
        )
hops = np.stack([distances[name][it] for name in graphs])  # row: each word's distance to `it`
cat = words.index(
    "cat" if words[it] != "cat" else "it"
)  # whose way to `it` we time ("it" if it is "cat")


def layers_or_never(values):
    """The most layers among `values`, or 'never' if one of them is -1 (no path)."""
    return "never" if (values < 0).any() else str(values.max())


columns = [f"'{words[cat]}' -> '{words[it]}'", f"all -> '{words[it]}'", "all -> all"]
print(f"{'layers needed':16s}" + "".join(f"{c:>16s}" for c in columns))
for name, row in zip(graphs, hops, strict=True):
    cells = [layers_or_never(row[[cat]]), layers_or_never(row), layers_or_never(distances[name])]
    print(f"{name:16s}" + "".join(f"{c:>16s}" for c in cells))
for name, row in zip(graphs, hops, strict=True):
    unreached = [words[j] for j in np.flatnonzero(row < 0)]
    if unreached:
        pairs = int((distances[name] < 0).sum())
        print(
            f"{name}: {unreached} never reach '{words[it]}' ({pairs} of {n * n} pairs have no path)"
        )

# %%
never = hops < 0  # no path from word j to `it`: no number of layers helps
fig, ax = plt.subplots(figsize=(9, 0.6 + 0.6 * len(graphs)))
title = f"Layers needed before word j can influence '{words[it]}'  (= distance from j)"
gl.heatmap(
    np.ma.masked_where(never, hops),
    list(graphs),
    words,
    ax=ax,
    title=title + ("; grey: never" if never.any() else ""),
    annotate=True,
    cmap="YlGnBu",
    xlabel="word j (sender)",
    ylabel="graph",
)
for text in ax.texts:
    text.set_fontsize(9)  # the numbers in the cells, larger than gl.heatmap's
ax.set_facecolor("0.75")  # the masked cells: words that never reach `it`
for r, c in np.argwhere(never):
    ax.text(c, r, "never", ha="center", va="center", fontsize=9)
plt.show()

# %% [markdown]
# Read the "cat" column: **3** layers on the tree, **6** on the path graph, 3 with a window of radius 2, and **1**
# on the complete graph. A GNN on the word chain needs as many layers as the longest dependency it must resolve;
# a parse tree shortens the distances, if we have a parser; the complete graph makes every distance 1, for the
# price of $n^2$ edges. That is the Transformer's choice, and it is why one Transformer layer can connect "it"
# to "cat" — deciding *which* of the 9 other words matters is then the job of attention (notebooks 03–04).
#
# A row's largest number is when the last word reaches "it" (7 layers on the path graph), not when every word
# has heard every other: that is the diameter, the table's last column (9 on the path graph, from one end of the
# sentence to the other).
#
# ## 9 · A real graph: Zachary's karate club
#
# Words are small graphs. The classic small *real* graph ships with networkx: the friendships among 34 members
# of a university karate club, recorded by Wayne Zachary in the 1970s, shortly before the club split in two
# after a dispute between the instructor ("Mr. Hi", node 0) and the administrator ("Officer", node 33). Each
# node's `club` attribute says which side it joined. `gl.from_networkx` turns each undirected friendship into
# two directed edges.

# %%
G = nx.karate_club_graph()
karate = gl.from_networkx(G)
club = np.array([G.nodes[k]["club"] for k in G.nodes])
officer = club == "Officer"
deg = karate.in_degree
print(karate, f"-- {G.number_of_edges()} friendships, each stored as two edges")
print(f"members: {(~officer).sum()} with Mr. Hi, {officer.sum()} with the Officer")
print(f"degrees: min {deg.min()}, median {np.median(deg):.0f}, max {deg.max()}")
print(f"the two leaders are the hubs: node 0 has {deg[0]} friends, node 33 has {deg[33]}")

# %% [markdown]
# ### Node embeddings from an untrained GNN
#
# We give every member a **one-hot** feature (node $k$ gets the $k$-th unit vector, so the input says *who* a node
# is and nothing else), apply three GNN layers with random weights — **no training, no labels** — and look at the
# 16-dimensional outputs through their first two principal components (`gl.pca_2d`: the SVD of the centred
# outputs).
#
# Why could this work at all? After one layer, node $i$'s output is $\sigma(U_{i,:} + \sum_{j \in
# \mathcal{N}(i)} V_{j,:} + b)$: a sum of random vectors, one per friend. Two members with many common friends
# share many terms, so their outputs are close. More layers mix in friends of friends. The club split followed
# the friendship structure, so "close in the graph" should mean "same club". (Thomas Kipf's well-known blog post
# on graph convolutional networks made the same point with this graph.) We use $\sigma = \tanh$ here because,
# unlike ReLU, it keeps the sign of every random feature; we compare with ReLU below.

# %%
input_features = "one-hot"  # what the members start from: "one-hot" or "random" (exercise 4)


def untrained_embedding(graph, num_layers, seed, d=16, activation=np.tanh, layer=gl.gnn_layer):
    rng = np.random.default_rng(seed)
    if input_features == "one-hot":
        x = np.eye(graph.num_nodes)  # member k gets the k-th unit vector: who it is, nothing else
    else:
        x = rng.normal(size=(graph.num_nodes, d))  # random features
    for _ in range(num_layers):
        x = layer(gl.init_gnn_layer(rng, x.shape[1], d), x, graph, activation=activation)
    return x


def nearest_members(z, k=5):
    """(n, k): for each node, its k nearest other nodes (Euclidean distance in z), nearest first."""
    dist = ((z[:, None, :] - z[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


def same_club_fraction(z, k=5):
    """(n,) the fraction of each node's k nearest neighbours (Euclidean, in z) that share its club."""
    return (officer[nearest_members(z, k)] == officer[:, None]).mean(axis=1)


z_layers, z_activation = 3, np.tanh
z = untrained_embedding(karate, num_layers=z_layers, seed=0, activation=z_activation)
z2, explained = gl.pca_2d(z)  # the first two principal components
print(
    f"embedding {z.shape}; the first two principal components hold {explained:.0%} of its variance"
)
frac = same_club_fraction(z)
misplaced = np.flatnonzero(frac < 0.5)
print(f"on average {frac.mean():.2f} of a member's 5 nearest neighbours (in 16-D) share its club")
print(f"members whose 5 nearest neighbours are mostly from the other club: {misplaced.tolist()}")
near_officer = nearest_members(z, k=2)[33]
print(
    "the Officer's (33) two nearest members:",
    ", ".join(f"{k} ({club[k]})" for k in near_officer),
)

# %%
club_colors = np.where(officer, "#e69138", "#3d85c6")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5), dpi=80)  # dpi 80: a lighter PNG
gl.draw_graph(
    karate, ax=ax1, node_color=list(club_colors), title="karate club: friendships, coloured by club"
)
for side, color in [("Mr. Hi", "#3d85c6"), ("Officer", "#e69138")]:
    sel = club == side
    ax2.scatter(z2[sel, 0], z2[sel, 1], c=color, s=45, edgecolors="0.3", label=side)
for k in sorted({0, 33, *misplaced.tolist(), *near_officer.tolist()}):
    ax2.annotate(str(k), z2[k], textcoords="offset points", xytext=(5, 3), fontsize=8, color="0.2")
ax2.set_xlabel("principal component 1")
ax2.set_ylabel("principal component 2")
ax2.set_title(f"{z_layers} untrained GNN layers ({z_activation.__name__}), {input_features} input")
ax2.legend(title="club")
fig.subplots_adjust(wspace=0.15)
plt.show()


# %% [markdown]
# Look at the right panel: along the first principal component the two clubs occupy largely different regions,
# but not cleanly. The labelled points are the two leaders, the members whose nearest neighbours in the
# embedding are mostly from the other club — among them, oddly, the Officer himself (33) — and the Officer's two
# nearest members, both of Mr. Hi's club in this run (2 and 8, printed above). (Member 8 — person 9 in Zachary's 1-based numbering — is a famous borderline case:
# in Zachary's own analysis it was the one member whose choice the friendship structure did not predict.) Nothing was trained: the layers only summed random
# vectors over neighbourhoods, and that alone pulled most friends together. The picture is also a single random
# draw. Before we believe it, we should measure it and repeat it.
#
# Our score is the number printed above: the fraction of a member's 5 nearest neighbours in embedding space that
# belong to its club, averaged over members. For one-hot inputs all members are equally far apart, so the score
# is chance level, about 0.48 (16 of the other 33 members share a club). We average it over 20 random
# initialisations, for 0 to 4 layers.

# %%
def same_club_rate(z, k=5):
    return same_club_fraction(z, k).mean()


num_seeds = 20
print(f"layers   tanh: mean [min - max] over {num_seeds} seeds   relu: mean")
for L in range(5):
    tanh_scores = [same_club_rate(untrained_embedding(karate, L, s)) for s in range(num_seeds)]
    relu_scores = [
        same_club_rate(untrained_embedding(karate, L, s, activation=gl.relu))
        for s in range(num_seeds)
    ]
    print(
        f"  {L}      {np.mean(tanh_scores):.2f} [{min(tanh_scores):.2f} - {max(tanh_scores):.2f}]"
        f"                       {np.mean(relu_scores):.2f}"
    )


# %% [markdown]
# With no layer (the one-hot input) the score is at chance level, as predicted (0.50: with ties, the stable sort
# picks the lowest-numbered members). One layer lifts it well above chance, two or three layers to about 0.85 on
# average with tanh — yet some seeds are much worse, and ReLU, which zeroes half of the random features, does
# less well. Be honest about what this shows: an untrained GNN is a **smoothing** operator that makes nodes with
# shared neighbourhoods look alike. That is a useful *prior*, and it works here because the two communities are
# the two clubs. It is not learning: nothing tells the layers what a club is, and on a graph whose labels do not
# follow the edges, smoothing would not help. Training (not part of this course) would pick the weights that
# separate the clubs.
#
# ## 10 · Sum or mean? Why degree matters
#
# The karate club's degrees range from 1 to 17. With **sum** aggregation, node 33 adds up 17 messages and a
# leaf adds up one. The alternative is the **mean**:
#
# $$m_i^{\text{sum}} = \sum_{j \in \mathcal{N}(i)} h_j V, \qquad m_i^{\text{mean}} = \frac{1}{|\mathcal{N}(i)|}
# \sum_{j \in \mathcal{N}(i)} h_j V.$$
#
# The mean per segment is the sum per segment divided by the number of rows in it, $c_k$; a segment without
# rows (a node without neighbours) gets 0, not a division by zero:
#
# $$\text{out}_k = \frac{1}{\max(c_k, 1)} \sum_{e\,:\,\text{ids}[e] = k} \text{data}_e, \qquad
# c_k = \#\{e : \text{ids}[e] = k\}.$$

# %%
# ✎ practice: this body is yours to write in practice/02_message_passing.ipynb
def my_segment_mean(data, segment_ids, num_segments):
    """Mean of the rows of data that share a segment id: (num_segments, ...); 0 for an empty one."""
    total = gl.segment_sum(data, segment_ids, num_segments)  # (num_segments, ...)
    count = np.bincount(segment_ids, minlength=num_segments)  # c_k: rows per segment
    count = np.maximum(count, 1)  # an empty segment: 0 / 1 = 0
    return total / count.reshape(-1, *[1] * (total.ndim - 1))  # one count per row of total


# %%
gl.practice.check_segment_mean(my_segment_mean)

# %% [markdown]
# `gl.segment_mean` is the package's version. Let us measure the size of the aggregated vector against the
# degree, for random features that are non-negative (as after a ReLU) and for zero-mean ones.

# %%
rng = np.random.default_rng(0)
feats = {"non-negative features (after a ReLU)": gl.relu(rng.normal(size=(karate.num_nodes, 16)))}
feats["zero-mean features"] = rng.normal(size=(karate.num_nodes, 16))

fig, axes = plt.subplots(1, 2, figsize=(12, 4.0))
for ax, (name, x) in zip(axes, feats.items(), strict=True):
    gathered = x[karate.senders]
    norm_sum = np.linalg.norm(gl.segment_sum(gathered, karate.receivers, karate.num_nodes), axis=1)
    mean = my_segment_mean(gathered, karate.receivers, karate.num_nodes)
    np.testing.assert_allclose(
        mean,
        gl.segment_mean(gathered, karate.receivers, karate.num_nodes),
        err_msg=f"my_segment_mean != gl.segment_mean ({name}, karate club)",
    )
    norm_mean = np.linalg.norm(mean, axis=1)
    ax.scatter(deg, norm_sum, label="sum", color="C3", s=25)
    ax.scatter(deg, norm_mean, label="mean", color="C0", s=25)
    ax.set_xlabel("degree |N(i)|")
    ax.set_ylabel("norm of the aggregated vector")
    ax.set_title(name)
    ax.legend()
fig.subplots_adjust(wspace=0.2)
plt.show()


# %% [markdown]
# With sum aggregation the aggregate grows with the degree: linearly when the features share a direction
# (non-negative vectors all point into the same corner of the space, so they cannot cancel), like $\sqrt{\text{degree}}$ when they are zero-mean and
# partly cancel. With the mean, non-negative features keep the same size whatever the degree; zero-mean ones
# even shrink a little, like $1/\sqrt{\text{degree}}$, because averaging more independent vectors cancels more.
# Either way the mean does not grow with the degree. With sum, the **hubs of a graph shout** — and the size of
# a node's vector tells more about how many friends it has than about who they are.
#
# The effect compounds with depth. Stack 10 random layers on the karate club (16 features, ReLU, Glorot weights:
# the initialisation of `gl.init_gnn_layer`, uniform in $\pm\sqrt{6 / (d_\text{in} + d_\text{out})}$, chosen so that a
# layer roughly keeps the size of its input)
# and track the average size of a node's features. We compare three aggregations: sum (`gl.gnn_layer`), mean,
# and the **symmetric normalisation** of the GCN (Kipf & Welling, 2017), which weights the edge $j \to i$ by
# $1/\sqrt{\tilde d_i \tilde d_j}$ with $\tilde d = $ degree $+ 1$ on the graph with self loops, and has no
# separate self term:
#
# $$h_i' = \sigma\Big(\sum_{j \in \mathcal{N}(i) \cup \{i\}} \frac{1}{\sqrt{\tilde d_i \tilde d_j}}\, h_j V + b\Big).$$

# %%
def mean_gnn_layer(params, h, graph, activation=gl.relu):
    """The GNN layer with mean instead of sum aggregation."""
    messages = (h @ params["V"])[graph.senders]
    m = my_segment_mean(messages, graph.receivers, graph.num_nodes)
    return activation(h @ params["U"] + m + params["b"])


def gcn_layer(params, h, graph, activation=gl.relu):
    """Kipf & Welling's GCN layer: symmetric degree normalisation, self loops, only V is used."""
    g = gl.add_self_loops(graph)
    d_tilde = g.in_degree.astype(float)
    weight = 1.0 / np.sqrt(d_tilde[g.senders] * d_tilde[g.receivers])  # one number per edge
    messages = weight[:, None] * (h @ params["V"])[g.senders]
    return activation(gl.propagate(g, messages) + params["b"])


# a check on the toy graph: the mean layer is the sum layer with A divided by the degree
A_mean = A_toy / A_toy.sum(axis=1, keepdims=True)
np.testing.assert_allclose(
    mean_gnn_layer(toy_params, h_toy, toy),
    gl.relu(h_toy @ toy_params["U"] + A_mean @ (h_toy @ toy_params["V"]) + toy_params["b"]),
    err_msg="the mean layer must be the sum layer with A divided by the degree (toy graph)",
)

layer_fns = {
    "sum (gl.gnn_layer)": gl.gnn_layer,
    "mean": mean_gnn_layer,
    "GCN normalisation": gcn_layer,
}
num_layers = 10
width, init_scale, seed = 16, 1.0, 1  # features per node, a factor on every weight, the seed
norms = {}
for name, layer in layer_fns.items():
    rng = np.random.default_rng(seed)  # the same features and weights for every aggregation
    x = rng.normal(size=(karate.num_nodes, width))
    norms[name] = [np.linalg.norm(x, axis=1).mean()]
    for _ in range(num_layers):
        weights = {k: init_scale * w for k, w in gl.init_gnn_layer(rng, width, width).items()}
        x = layer(weights, x, karate)
        norms[name].append(np.linalg.norm(x, axis=1).mean())
shown = (1, num_layers // 2, num_layers)
for name, values in norms.items():
    after = " ".join(f"{values[L]:10.3g}" for L in shown)
    print(f"{name:20s} mean norm after {', '.join(map(str, shown))} layers: {after}")

# %%
fig, ax = plt.subplots(figsize=(7, 4.0))
colors = {"sum (gl.gnn_layer)": "C3", "mean": "C0", "GCN normalisation": "C2"}  # as in section 10
for name, values in norms.items():
    ax.semilogy(range(num_layers + 1), values, "o-", label=name, color=colors.get(name, "C1"))
ax.yaxis.set_minor_locator(NullLocator())  # plain tick labels: 0.01, 1, 100, ...
ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
ax.set_xlabel("number of layers")
ax.set_ylabel("mean feature norm per node (log scale)")
ax.set_title(
    f"{num_layers} random GNN layers on the karate club "
    f"({width} feature{'s' * (width != 1)}, weights × {init_scale:g}, seed {seed})"
)
ax.legend()
plt.show()

# %% [markdown]
# With sum aggregation the features grow by a factor of about 4 per layer — each node adds up on average 4.6
# neighbour messages plus its own term, and the random weights shrink that a little — and pass a million after
# ten layers. With the
# mean they stay of order one and drift slowly down (the ReLU removes half of the signal at every layer; the
# Glorot weights do not quite give it back). The GCN normalisation, with only one weight matrix, shrinks faster:
# here the features **vanish** instead. Neither explodes like the sum, but neither is exactly stable: the
# scale of deep networks has to be controlled on purpose. Careful initialisation is one tool; the Transformer
# uses another, **LayerNorm** after every sub-layer (notebook 05).
#
# Attention is, in this light, a *learned weighted mean*: the softmax weights $\alpha_{ij}$ of a node sum to 1
# (notebook 03), so a Transformer word can listen to 5 words or 500 without its vector growing with the number.
#
# ### What the mean forgets
#
# The mean is not simply better. It cannot **count**: a node with one neighbour of features $x$ and a node
# with three neighbours all of features $x$ get the same mean. Here is the smallest example: node 0 hears one
# copy of $(1, 0)$ and node 4 hears three.

# %%
count_graph = gl.Graph(senders=[1, 5, 6, 7], receivers=[0, 4, 4, 4], num_nodes=8)
x_count = np.array([[0, 0], [1, 0], [0, 0], [0, 0], [0, 0], [1, 0], [1, 0], [1, 0]], dtype=float)
msg = x_count[count_graph.senders]
print("sum  at node 0 and node 4:", gl.propagate(count_graph, msg)[[0, 4]].tolist())
print("mean at node 0 and node 4:", my_segment_mean(msg, count_graph.receivers, 8)[[0, 4]].tolist())

# %% [markdown]
# Sum tells them apart, mean does not. Xu et al. ("How Powerful are Graph Neural Networks?", 2019) build on
# exactly this observation: sum aggregation can distinguish more neighbourhoods than mean or max, which is why
# their GIN layer uses the sum. So the choice is a trade-off between **expressiveness** (sum counts) and
# **scale** (mean does not care how many neighbours there are). Attention takes the mean's side, and adds
# learned weights to decide *which* neighbours matter.
#
# ## Summary
#
# - The GNN layer of the talk, $\sigma(U h_i + \sum_j V h_j)$ with column vectors, is
#   $h_i' = \sigma\big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\big)$ with the course's row vectors: same
#   maths, transposed weights. A non-symmetric weight exposes a mix-up of the two.
# - One layer, three implementations, equal to 1e-12: a loop over neighbours; **gather** `(h @ V)[senders]` +
#   **segment-sum** over `receivers` (jraph; `gl.segment_sum`, `gl.propagate`); and the dense `A @ (h @ V)`.
#   `gl.gnn_layer` uses the gather form: memory $O(E)$ instead of $O(n^2)$.
# - PyG's vocabulary: **message** $h_j V$, **aggregate** $\sum$, **update** $\sigma(h_i U + m_i + b)$. GAT and the
#   Transformer change the aggregate.
# - Shape and node-count mistakes raise clear `ValueError`s; a transposed $A$ and self loops in a GNN layer do
#   not — test on a graph with a one-way edge.
# - $L$ layers see exactly the nodes within $L$ hops, $(A + I)^L > 0$. "cat" reaches "it" after 3 layers on the
#   dependency tree, 6 on the path graph, 1 on the complete graph.
# - An untrained GNN already smooths features over neighbourhoods (karate club: same-club neighbour rate ≈ 0.85
#   vs 0.48 chance, with large variation between seeds); that is a prior, not learning.
# - Sum aggregation scales with degree and explodes with depth; mean and GCN normalisation keep the scale, but
#   mean cannot count. Attention is a learned weighted mean.
#
# Next: **03 · Graph attention** replaces the plain sum by a weighted sum whose weights are computed from the
# features.
#
# ## Exercises
#
# **1. Deeper on the tree.** In the cell of section 8 that prints what "it" has heard, change `Ls = (1, 2, 3)` to
# `Ls = (1, 2, 3, 4)`. *Predict* which words influence "it" after 4 layers on the tree, and on the path graph. Run to
# check.
#
# <details><summary>Answer</summary>
#
# On the tree, all ten words: the three that were missing after 3 layers — the first "the" (via "cat"), "on" and
# the second "the" (via "mat") — are at distance 4 from "it". On the path graph, the window grows to words 3–9,
# "on the mat because it was tired": "cat" and "sat" are still missing ("sat" is 5 words away, "cat" 6).
# The distance heat map of section 8 shows the same numbers: read its first two rows.
# </details>
#
# **2. Reverse the one-way edge.** In the toy graph (section 2), replace the edge $0 \to 3$ by $3 \to 0$ (swap
# the last entries of `senders` and `receivers`). *Predict* the new $h'$ by hand, then run the cells of sections
# 2–7 to check (comment out an assertion once you have seen it fail). Which assertions fail, and why?
#
# <details><summary>Answer</summary>
#
# Now $\mathcal{N}(0) = \{1, 3\}$ and $\mathcal{N}(3) = \{2\}$. Node 0: $(1, 0) + [(0, 1) + (0, 2)] + (0, -2) = (1, 1)$,
# ReLU keeps it. Node 3: $(0, 2) + (1, 2) + (0, -2) = (1, 2)$. Nodes 1 and 2 are unchanged: $h' = [(1, 1), (2, 2),
# (1, 2), (1, 2)]$. Four assertions in three later cells stop with an `AssertionError`, each an
# `assert_allclose(..., expected)`: in the loop cell (section 3), the gather + `segment_sum` cell (section 4) and,
# twice, the `A @ (h V)` cell (section 5: `h_dense` and `h_module`), because `expected` is still the old hand calculation — the loop, the gather and
# the dense version agree with each other (the loop cell prints the new $h'$ before its check). Every other cell
# runs: the plot's title now reads "one-way: 3→0". Once you comment those out, section 5 prints `True` for the four ways agreeing
# with each other and `False` for the stale `expected`. The `A.T` cell of section 7 still reports rows
# `[0, 3]`: it compares with `gl.gnn_layer` on the same graph. Against the stored `expected` it would have
# reported `[]` -- transposing the new adjacency gives exactly the old graph, whose answer `expected` holds.
# A comparison is only as good as its reference.
# </details>
#
# **3. A bounded non-linearity.** In the cell that stacks 10 layers, add the entry
# `"sum, tanh": lambda p, x, g: gl.gnn_layer(p, x, g, activation=np.tanh)` to `layer_fns`, as its last entry
# (the plot gives it the colour `C1`). *Predict* its curve: does the sum still explode? Then look at what the
# features of the hubs look like after 10 layers: in a new cell below it, run
# `saturated = (np.abs(x) > 0.99).mean(axis=1); print(saturated[[0, 33]], saturated[deg == 1])`, the share of
# features near $\pm 1$ for the two hubs and for the leaf.
#
# <details><summary>Answer</summary>
#
# The curve is flat, around 3–3.5 (3.07, 3.53, 3.51 after 1, 5, 10 layers): $\tanh$ keeps every feature in
# $(-1, 1)$, so a node's norm can never exceed $\sqrt{16} = 4$. The explosion has not gone away, it has been hidden: the pre-activations of the hubs are huge,
# so their features sit at $\pm 1$ — after 10 layers about 90 % of the features of nodes 0 and 33 exceed 0.99 in
# absolute value, against none for the leaf. A saturated $\tanh$ carries little information (every large input
# gives the same $\pm 1$) and has a gradient near 0, so such a network is hard to train. Bounding the output does
# not replace normalising the aggregation.
# </details>
#
# **4. Random instead of one-hot features.** In the cell that defines `untrained_embedding`, change
# `input_features = "one-hot"` to `input_features = "random"` (each member then starts from 16 random numbers,
# `rng.normal(size=(graph.num_nodes, d))`). *Predict* the score at 0 layers and after 3 layers. Run that cell, the
# picture and the scoring cell.
#
# <details><summary>Answer</summary>
#
# At 0 layers the raw random features carry no information about the clubs, so the score stays near chance: 0.48
# on average, but now it varies from seed to seed (0.42–0.55) instead of being exactly 0.50. After a few layers it
# rises again, to 0.85 after 3 layers, as high as with one-hot input (0.86): the smoothing comes from the graph,
# not from the one-hot input — the input only has to make the nodes *different* from each other.
# </details>
#
# ## Discussion questions
#
# 1. **How many layers does a GNN need on a sentence, and what does the Transformer's complete graph do to this
#    count?** In the cell of section 8 that builds `graphs`, add the line `graphs["causal"] = gl.causal_graph(n)`
#    right after the dict (or `graphs["window radius 3"] = gl.window_graph(n, 3, self_loops=False)`), then run it
#    and the heat map. Read the table's last two columns: after how many layers has every word reached "it", and
#    after how many has every word heard every other (the diameter)? Which words never reach "it" on the causal
#    graph, and why does no depth change that? On the complete graph one layer lets every word reach every word.
#    Then why do Transformers still stack 6, 12 or 96 layers? What do the extra layers do, if not extend the
#    receptive field?
# 2. **Is a fully connected graph the right graph for a sentence?** In section 8 the tree connects "it" to "cat" in
#    3 hops with 18 edges; the complete graph does it in 1 hop with 90. The norm-versus-degree cell of section 10
#    shows what sum aggregation does to a node that hears many others. With sum, what would "it" look like on the
#    complete graph of a 500-word document? Paste in a new cell:
#    `big = gl.complete_graph(500, self_loops=False); x = gl.relu(np.random.default_rng(0).normal(size=(500, 16))); m = gl.propagate(big, x[big.senders]); print(f"own {np.linalg.norm(x, axis=1).mean():.1f}, received {np.linalg.norm(m, axis=1).mean():.0f}, cosine of two words' sums {m[0] @ m[1] / np.linalg.norm(m[0]) / np.linalg.norm(m[1]):.4f}")`.
#    What does attention have to learn that the tree gives for free — and what can it learn that a fixed (and
#    possibly wrong) parse cannot?
# 3. **Does depth help or hurt?** Repeated averaging pulls all nodes of a connected graph towards the same
#    vector — the literature calls it *over-smoothing*. Our same-club score cannot show it: it asks only *which*
#    members are nearest, not how far apart they are. Paste in a new cell at the end of section 10 (where
#    `mean_gnn_layer` is defined) the same-club score of tanh layers with mean aggregation, 0 to 11 layers, 20 seeds:
#    `print([round(np.mean([same_club_rate(untrained_embedding(karate, L, s, layer=mean_gnn_layer)) for s in range(20)]), 2) for L in range(12)])`.
#    It keeps **rising**, to 0.89 at 11 layers. Averaging pulls friends together
#    faster than it pulls the two clubs together, and the self term $h_i U$ with fresh random weights in every layer
#    keeps putting differences back. To see the smoothing, measure the spread instead, relative to
#    the size of the features, after $t$ rounds of plain averaging over each member and its friends (no weights,
#    no self term): $P = D^{-1}(A + I)$ is one round, `gl.segment_mean` on the graph with self loops, and $P^t x$ is
#    $t$ rounds. Paste:
#    `P = gl.add_self_loops(karate).adjacency(); P /= P.sum(axis=1, keepdims=True); x = np.random.default_rng(0).normal(size=(34, 16)); print([f"{t}: {np.linalg.norm(y - y.mean(axis=0), axis=1).mean() / np.linalg.norm(y, axis=1).mean():.2g}" for t in (0, 10, 50, 100) for y in [np.linalg.matrix_power(P, t) @ x]])`.
#    The spread is 0.98 at the start, 0.27 after 10 rounds, 0.003 after 50, $10^{-5}$ after 100 — every member ends
#    with the same vector — while the same-club score stays at 0.95
#    (`same_club_rate(np.linalg.matrix_power(P, 100) @ x)`), because the last difference to vanish is the split
#    into two clubs.
#    Does the Transformer, which averages over *all* words in every layer, face the same risk, and what in its
#    block (notebook 05) counteracts it?
# 4. **Why is the Transformer hard to train?** The stacking cell shows sum aggregation exploding and GCN
#    normalisation vanishing after 10 untrained layers. In that cell, replace the line
#    `width, init_scale, seed = 16, 1.0, 1` by `width, init_scale, seed = 16, 2.0, 1` and run it and the plot; then
#    try an init scale of 0.5, other widths and other seeds. How narrow is the range in which a deep stack keeps
#    its scale? Relate this to LayerNorm's position (before or after the residual, notebook 05) and to
#    learning-rate warm-up.

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group, and the blog post: <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - J. Gilmer et al., *Neural Message Passing for Quantum Chemistry*, ICML 2017 (message, aggregate, update):
#   <https://arxiv.org/abs/1704.01212>
# - P. W. Battaglia et al., *Relational inductive biases, deep learning, and graph networks*, 2018:
#   <https://arxiv.org/abs/1806.01261>
# - T. N. Kipf and M. Welling, *Semi-Supervised Classification with Graph Convolutional Networks*, ICLR 2017
#   (the GCN normalisation): <https://arxiv.org/abs/1609.02907>, and Thomas Kipf's blog post on the karate club:
#   <https://tkipf.github.io/graph-convolutional-networks/>
# - K. Xu, W. Hu, J. Leskovec and S. Jegelka, *How Powerful are Graph Neural Networks?*, ICLR 2019 (sum vs mean,
#   GIN): <https://arxiv.org/abs/1810.00826>
# - W. W. Zachary, *An information flow model for conflict and fission in small groups*, Journal of
#   Anthropological Research 33(4), 452–473, 1977: <https://doi.org/10.1086/jar.33.4.3629752>
# - Q. Li, Z. Han and X.-M. Wu, *Deeper Insights into Graph Convolutional Networks for Semi-Supervised
#   Learning*, AAAI 2018 (over-smoothing): <https://arxiv.org/abs/1801.07606>
# - X. Glorot and Y. Bengio, *Understanding the difficulty of training deep feedforward neural networks*,
#   AISTATS 2010 (the Glorot initialisation): <https://proceedings.mlr.press/v9/glorot10a.html>
# - PyTorch Geometric, *Creating Message Passing Networks* (`message`, `aggregate`, `update`, `x_i`, `x_j`):
#   <https://pytorch-geometric.readthedocs.io/en/latest/tutorial/create_gnn.html>
# - jraph, `segment_sum` and `GraphsTuple`: <https://jraph.readthedocs.io/>, and
#   `jax.ops.segment_sum`: <https://jax.readthedocs.io/en/latest/_autosummary/jax.ops.segment_sum.html>
# - The course's notation, side by side with PyTorch, PyG, DGL, jraph and networkx:
#   [docs/notation.md](../docs/notation.md)
