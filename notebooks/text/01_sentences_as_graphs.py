# Generated from notebooks/01_sentences_as_graphs.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 01 · Sentences as graphs
#
# **Estimated time: 50 min** (with the exercises).
#
# The talk makes one claim: a Transformer is a graph neural network that works on a particular graph.
# Before any layer can pass a message, we have to say *which* graph. This notebook is about that graph:
# how to store it, how to draw it, and how to choose it for a sentence. No model is trained and no weight
# matrix appears yet. What we build here is what every layer in notebooks 02–05 works on.
#
# ## What you will learn
#
# - why NLP and graph learning solve the same problem: **one vector per word, one vector per node**;
# - how words become **nodes with feature vectors** (a hand-made feature table, then embeddings), and why
#   the two "the"s of our sentence are two nodes;
# - how a graph is stored as **three arrays**, `senders`, `receivers`, `num_nodes` (as in jraph), why
#   `gl.Graph` sorts its edges by receiver, and what `g.indptr` is for;
# - the **adjacency matrix** and its orientation: `A[i, j] = 1` iff there is an edge $j \to i$ (row = receiver),
#   so that summing messages is `A @ M`;
# - four graphs for one sentence (**complete, window, causal, dependency tree**), drawn and compared, and
#   what their edge counts mean for cost;
# - how to go back and forth between the arrays, the adjacency matrix and **networkx**, and use a networkx
#   algorithm on our graphs;
# - the mistakes the module catches, **self loops**, and how a **batch** of sentences becomes one graph.
#
# **Prerequisites:** notebook 00 (your set-up works) and NumPy indexing (`x[idx]`, boolean masks). No machine
# learning is needed yet.
#
# **Practice:** `practice/01_sentences_as_graphs.ipynb` is this notebook with the bodies of four functions
# (marked ✎: the adjacency matrix, the window graph, the dependency tree, the padding mask) left for you to
# write; the cell after each runs a check that names the likely mistake.
#
# The notation is the course's [notation page](../docs/notation.md), used by every notebook (it also says how
# the talk, PyTorch, PyG, DGL, jraph and networkx write the same things): features are row vectors $h_i$, an edge
# $j \to i$ carries a message from the **sender** $j$ to the **receiver** $i$, and $\mathcal{N}(i)$ is the set of
# senders of $i$.

# %%
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()  # print options, figure format and style: same outputs on every machine

# %% [markdown]
# ## 1 · Two fields, one problem: a vector per item
#
# The talk opens with two slides that look unrelated. **Representation learning for NLP**: a model reads a
# sentence and produces one vector per word, and the vector for "it" should say what "it" refers to.
# **Representation learning on graphs**: a model reads a graph (a social network, molecules, a road map) and
# produces one vector per node, and the vector for a node should say something about its role in the graph.
#
# Both do it the same way, layer after layer. Each item keeps a feature vector $h_i^\ell$ and updates it from
# the vectors of the items it "talks to":
#
# $$h_i^{\ell+1} = \mathrm{update}\Big(h_i^{\ell},\ \big\{\, h_j^{\ell} : j \in \mathcal{N}(i) \,\big\}\Big).$$
#
# - A **GNN** takes $\mathcal{N}(i)$ from the graph it is given: the neighbours of node $i$.
# - A **Transformer** takes $\mathcal{N}(i) = S$: every word of the sentence talks to every word, itself included.
#
# So a sentence is a **set of words that talk to each other**, and the choice of who talks to whom is a graph.
# Notebooks 02–05 are about the `update` (sum, weighted sum, attention). This notebook is about
# $\mathcal{N}(i)$.

# %% [markdown]
# ## 2 · Words are nodes
#
# Our running example, used in every notebook, is one sentence with a dependency tree written by hand.
# `heads[i]` is the index of the word that word $i$ hangs from in the tree (`-1` for the root, "sat").

# %%
words, heads = gl.example_sentence()
heads = gl.sentence_heads(words, heads)  # one head per word, as an array (a list works too)
n = len(words)
follow = ("cat", "it")  # two words we follow through the notebook ("it" refers to "cat")
missing = [w for w in follow if w not in words]
if missing:  # your own sentence: follow its first and last word unless you set `follow`
    follow = (words[0], words[-1])
    print(f"{missing} not in this sentence: we follow {follow} instead (set `follow` to choose)")
print(f"n = {n} word{'s' * (n != 1)}")
for i, word in enumerate(words):
    head = f"{heads[i]} ({words[heads[i]]})" if heads[i] >= 0 else "-1 (root)"
    print(f"node {i}: {word:8s} head: {head}")

# %% [markdown]
# A node is an **index**, not a word: "the" appears twice, at nodes 0 and 4, and these are two different nodes
# with different neighbours. Each node carries a feature vector $h_i \in \mathbb{R}^d$, written as a **row**.
# Stacking the rows gives the feature matrix
#
# $$h = \begin{pmatrix} h_0 \\ h_1 \\ \vdots \\ h_{n-1} \end{pmatrix} \in \mathbb{R}^{n \times d}, \qquad \text{row } i = \text{word } i.$$
#
# Here is a small feature table we can check by eye, with $d = 4$ integer features: the position in the sentence,
# the number of letters, and two yes/no flags.

# %%
feature_names = ["position", "letters", "noun-like", "verb-like"]
nouns, verbs = {"cat", "mat", "it"}, {"sat", "was"}  # by hand, for our sentence
h_hand = np.column_stack(
    [
        np.arange(n),
        [len(w) for w in words],
        [w in nouns for w in words],
        [w in verbs for w in words],
    ]
).astype(np.int64)

print(f"h_hand: shape {h_hand.shape}  (one row per node, one column per feature)")
print("node  word     " + "  ".join(f"{name:>9s}" for name in feature_names))
for i, word in enumerate(words):
    print(f"{i:4d}  {word:8s} " + "  ".join(f"{x:9d}" for x in h_hand[i]))
if words != gl.example_sentence()[0]:  # your own sentence: the flags know only the lists above
    unlisted = [w for w in dict.fromkeys(words) if w not in nouns | verbs]
    print(f"`nouns` and `verbs` were written for the example sentence; flagged 0 here: {unlisted}")

# %% [markdown]
# The two "the"s differ only in their position. Drop that column and they have the same features:

# %%
repeated = next((w for w in words if words.count(w) > 1), None)  # a word that occurs twice
without_position = h_hand[:, 1:]
if repeated is None:
    print("every word of this sentence occurs once: no two nodes share a word to compare")
else:
    first, second = [i for i, w in enumerate(words) if w == repeated][:2]
    print(f"'{repeated}' is node {first} and node {second}")
    print(
        f"rows {first} and {second} equal, with position:   ",
        np.array_equal(h_hand[first], h_hand[second]),
    )
    print(
        f"rows {first} and {second} equal, without position:",
        np.array_equal(without_position[first], without_position[second]),
    )

# %% [markdown]
# Hold on to this. Two nodes with equal features can still end up with different vectors after a GNN layer if
# their **neighbourhoods** differ: the first "the" hangs from "cat", the second from "mat". On the complete graph,
# though, every word has the same neighbourhood (all of $S$), so nothing in the graph can tell the two "the"s apart.
# That is why Transformers add positions to the features (notebook 04).
#
# ### Learned features: an embedding table
#
# Real models do not use hand-made features. They keep a table $E \in \mathbb{R}^{|V| \times d}$ with one learned
# row per entry of the vocabulary $V$, and give word $i$ with token id $t_i$ the row
#
# $$h_i = E_{t_i} = \mathrm{onehot}(t_i)\, E .$$
#
# We fill $E$ with random numbers from a seeded generator. A trained model would have learned them.

# %%
vocab = sorted(set(words))  # the distinct words: fewer than the nodes
token_ids = np.array([vocab.index(w) for w in words])
d = 6
rng = np.random.default_rng(0)
E = rng.normal(size=(len(vocab), d))  # the embedding table, one row per vocabulary entry

h = E[token_ids]  # the lookup: one row per node
onehot = np.eye(len(vocab))[token_ids]  # (n, |V|)
np.testing.assert_allclose(onehot @ E, h, err_msg="the lookup must be a one-hot row times E")

print(f"vocabulary ({len(vocab)}): {vocab}")
print(f"token ids: {token_ids}")
print(f"E: {E.shape},  h = E[token_ids]: {h.shape}")
if repeated is None:
    print("no word occurs twice: every node has another word's row")
else:
    print(
        f"nodes {first} and {second} ('{repeated}') have identical rows:",
        np.array_equal(h[first], h[second]),
    )

# %%
fig, ax = plt.subplots(figsize=(6.0, 3.8))
image = ax.imshow(h, cmap="coolwarm", vmin=-2.5, vmax=2.5, aspect="auto")
ax.set_yticks(range(n), [f"{i} {w}" for i, w in enumerate(words)])
ax.set_xticks(range(d))
ax.set_xlabel("feature k")
ax.set_ylabel("node i (word)")
ax.set_title("the sentence as a feature matrix h (random embeddings)")
ax.grid(False)
fig.colorbar(image, ax=ax, label="$h_{ik}$")
plt.show()

# %% [markdown]
# Each row is one node's vector. Rows 0 and 4 have the same colours: the same word gets the same embedding,
# but it still occupies two nodes. Without position features, only the graph can tell the two apart.

# %% [markdown]
# ## 3 · A graph is three arrays
#
# We store a graph the way jraph and PyTorch Geometric do: as an **edge list**. Edge $e$ carries a message
# from node `senders[e]` $= j$ to node `receivers[e]` $= i$, and `num_nodes` says how many nodes there are (a node
# may have no edges at all). The incoming neighbourhood of $i$ is
#
# $$\mathcal{N}(i) = \{\, \texttt{senders}[e] \;:\; \texttt{receivers}[e] = i \,\}.$$
#
# We start small: a 4-word sentence, "the cat sat down". In its tree "the" hangs from "cat", and "cat" and "down"
# hang from "sat". We link each word and its head both ways and write the edges in the order we would say them aloud:

# %%
toy_words = ["the", "cat", "sat", "down"]
toy_pairs = [(0, 1), (1, 0), (1, 2), (2, 1), (3, 2), (2, 3)]  # (sender j, receiver i)
toy_senders = np.array([j for j, _ in toy_pairs])
toy_receivers = np.array([i for _, i in toy_pairs])

print("senders:  ", toy_senders)
print("receivers:", toy_receivers)
for e, (j, i) in enumerate(toy_pairs):
    print(f"edge {e}: {toy_words[j]:>4s} -> {toy_words[i]}")

# %% [markdown]
# `gl.Graph` takes the same three things. Look at the order it stores the edges in:

# %%
g4 = gl.Graph(toy_senders, toy_receivers, num_nodes=4)
print(g4)
print("stored senders:  ", g4.senders)
print("stored receivers:", g4.receivers)
for e, (j, i) in enumerate(zip(g4.senders, g4.receivers, strict=True)):
    print(f"edge {e}: {toy_words[j]:>4s} -> {toy_words[i]}")

# %% [markdown]
# The edges came back **sorted by receiver, then by sender**, whatever order we gave them in. The reason: a
# message-passing layer sums, for every node $i$, the messages on its incoming edges. With the edges sorted by
# receiver, those edges form **one contiguous slice** of every per-edge array, and the slice boundaries are
# stored once, as the offsets `g.indptr` (length $n + 1$) of the **CSR** layout (*compressed sparse row*, the
# way SciPy stores a sparse matrix row by row; here row $i$ is the list of edges into $i$):
#
# $$\mathcal{N}(i) = \{\, \texttt{senders}[e] \;:\; \texttt{indptr}[i] \le e < \texttt{indptr}[i+1] \,\},
# \qquad \texttt{indptr}[i+1] - \texttt{indptr}[i] = |\mathcal{N}(i)| .$$
#
# Summing a slice needs no search over all edges (NumPy's `np.add.reduceat` does every slice at once; we try
# it below). We rebuild
# both by hand (sort with `np.lexsort`, whose *last* key is the primary one, then a running count of in-degrees)
# and check them against the module:

# %%
order = np.lexsort((toy_senders, toy_receivers))  # primary key: receiver, then sender
my_indptr = np.concatenate([[0], np.cumsum(np.bincount(toy_receivers, minlength=4))])

np.testing.assert_array_equal(toy_senders[order], g4.senders, err_msg="senders, sorted by hand")
np.testing.assert_array_equal(
    toy_receivers[order], g4.receivers, err_msg="receivers, sorted by hand"
)
np.testing.assert_array_equal(my_indptr, g4.indptr, err_msg="indptr = 0, then running in-degrees")
print("order: ", order)
print("indptr:", g4.indptr)
for i, word in enumerate(toy_words):
    lo, hi = g4.indptr[i], g4.indptr[i + 1]
    heard = [toy_words[j] for j in g4.senders[lo:hi]]
    print(f"{word:>4s} hears edges {lo}:{hi} -> senders {heard}")

# %% [markdown]
# `np.add.reduceat(x, starts)` sums the slices `x[starts[0]:starts[1]]`, `x[starts[1]:starts[2]]`, …, the last
# one up to the end. With `starts = indptr[:-1]` that is one sum per receiver, in one call. We give every stored
# edge of `g4` a number and sum per receiver, then look at the one trap: a node with **no** incoming edge has an
# empty slice, and `reduceat` returns the value at its start instead of 0 (`gl.segment_sum` handles that case).

# %%
per_edge = np.arange(1.0, g4.num_edges + 1)  # one number per stored edge
starts = g4.indptr[:-1]
print("slices:", [f"{lo}:{hi}" for lo, hi in zip(g4.indptr[:-1], g4.indptr[1:], strict=True)])
print("np.add.reduceat:", np.add.reduceat(per_edge, starts))
print("gl.segment_sum: ", gl.segment_sum(per_edge, g4.receivers, g4.num_nodes))

lonely = gl.Graph(senders=[0, 0], receivers=[1, 2], num_nodes=3)  # node 0 hears nobody
values = np.array([1.0, 2.0])
print(f"\nindptr {lonely.indptr}: node 0's slice is empty")
wrong = np.add.reduceat(values, lonely.indptr[:-1])
print("np.add.reduceat:", wrong, f" (node 0 gets {wrong[0]:g}, not 0)")
print("gl.segment_sum: ", gl.segment_sum(values, lonely.receivers, lonely.num_nodes))

# %% [markdown]
# **Rule:** every per-edge array (a message, an edge label, an attention weight) follows the *stored* order.
# If you computed something per edge in your own order, reorder it with the same permutation. For example,
# dependency labels written next to our `toy_pairs`:

# %%
toy_labels = np.array(["det", "det", "nsubj", "nsubj", "compound:prt", "compound:prt"])
stored_labels = toy_labels[order]  # now aligned with g4.senders / g4.receivers
for j, i, label in zip(g4.senders, g4.receivers, stored_labels, strict=True):
    print(f"{toy_words[j]:>4s} -> {toy_words[i]:4s} {label}")


# %% [markdown]
# ## 4 · The adjacency matrix, and which way round it is
#
# The same graph as an $n \times n$ matrix of zeros and ones:
#
# $$A_{ij} = \begin{cases} 1 & \text{if there is an edge } j \to i \\ 0 & \text{otherwise} \end{cases}
# \qquad\text{row } i = \text{receiver},\ \text{column } j = \text{sender}.$$
#
# Row $i$ lists the words $i$ **hears** (its $\mathcal{N}(i)$), and column $j$ lists the words that hear $j$. Building
# it from the edge list is one line of fancy indexing, `A[receivers, senders] = 1`: edge $e$ puts a one in row
# `receivers[e]`, column `senders[e]`.

# %%
# ✎ practice: this body is yours to write in practice/01_sentences_as_graphs.ipynb
def my_adjacency(senders, receivers, num_nodes):
    """(n, n) float: A[i, j] = 1 iff there is an edge j -> i (row = receiver, column = sender)."""
    A = np.zeros((num_nodes, num_nodes))
    A[receivers, senders] = 1  # row = receiver i, column = sender j
    return A


# %%
gl.practice.check_adjacency(my_adjacency)

# %%
A4 = my_adjacency(g4.senders, g4.receivers, g4.num_nodes)
np.testing.assert_allclose(
    A4, g4.adjacency(), err_msg="my_adjacency == g.adjacency() on the toy tree"
)

print("A (rows: receivers i, columns: senders j)")
print(A4)
print("row sums = in-degrees |N(i)|:", A4.sum(axis=1), "=", g4.in_degree)

# %% [markdown]
# Why rows are receivers: aggregation becomes a matrix product. If each node $j$ sends a message $M_j$ (a row),
# node $i$ receives
#
# $$m_i = \sum_{j \in \mathcal{N}(i)} M_j = \sum_{j} A_{ij}\, M_j \qquad\Longrightarrow\qquad m = A\,M .$$
#
# To check this by hand, give the words messages 1, 10, 100, 1000: the digits of $m_i$ then spell out which words $i$
# heard. We compare with `gl.propagate`, which sums the per-edge messages `M[g.senders]` slice by slice without
# ever building $A$ (notebook 02 takes this apart):

# %%
M = np.array([[1.0], [10.0], [100.0], [1000.0]])  # "the" sends 1, "cat" 10, "sat" 100, "down" 1000
m_dense = A4 @ M
m_edges = gl.propagate(g4, M[g4.senders])  # gather along edges, sum per receiver
np.testing.assert_allclose(m_dense, m_edges, err_msg="A @ M == gl.propagate (toy tree)")
for i, word in enumerate(toy_words):
    print(f"{word:>4s} receives {m_dense[i, 0]:6.0f}")

# %% [markdown]
# "sat" receives 1010 = 10 + 1000: "cat" and "down", its two neighbours. "the" receives 10: only "cat".
#
# We draw the two views side by side. `gl.draw_graph` puts the words on a line and every edge on an arc; a
# pair $j \to i$, $i \to j$ is one arc with two arrow heads. `gl.heatmap` draws the matrix with the words as
# tick labels, rows = receivers, as in the whole notebook.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2), width_ratios=[1.6, 1])
pairs_title = (
    f"'{' '.join(toy_words)}': {g4.num_edges} edges = {g4.num_edges // 2} arcs, each both ways"
)
gl.draw_graph(g4, toy_words, ax=ax1, title=pairs_title)
gl.heatmap(
    g4.adjacency(),
    toy_words,
    toy_words,
    ax=ax2,
    title="adjacency: A[i, j] = 1 iff j → i",
    annotate=True,
    cmap="Blues",
    xlabel="sender j",
    ylabel="receiver i",
)
plt.tight_layout()
plt.show()


# %% [markdown]
# Each arc on the left is a symmetric pair of ones on the right, $A_{ij} = A_{ji} = 1$. Read the row of "sat": ones
# under "cat" and "down", the two words it hears. The diagonal is empty: no word hears itself in this graph
# (section 9 comes back to that).

# %% [markdown]
# ## 5 · One sentence, four graphs
#
# The talk's point is that the choice of graph is a modelling decision. Here are four graphs for the same 10 words,
# each defined by a rule on the pair (receiver $i$, sender $j$):
#
# | graph | $A_{ij} = 1$ iff | who uses it |
# |---|---|---|
# | complete | always (self loops included) | the Transformer: every word hears every word, $\mathcal{N}(i) = S$ |
# | window, radius $r$ | $\lvert i - j\rvert \le r$ | local models: n-grams, convolutions, sliding-window attention |
# | causal | $j \le i$ | a language model / decoder: a word hears only itself and the past |
# | dependency tree | $j = \mathrm{head}(i)$ or $i = \mathrm{head}(j)$ | a syntax-aware GNN on the output of a parser |
#
# Each rule is a boolean mask over $(i, j)$, which we can write in NumPy and turn into edges with `np.nonzero`.
# Because `np.nonzero` walks the mask row by row, the edges come out already sorted by receiver. The window
# graph first, all pairs with $\lvert i - j \rvert \le r$:

# %%
# ✎ practice: this body is yours to write in practice/01_sentences_as_graphs.ipynb
def my_window_graph(n, radius):
    """The window graph: an edge j -> i for every |i - j| <= radius, self loops included."""
    idx = np.arange(n)
    near = np.abs(idx[:, None] - idx[None, :]) <= radius  # near[i, j] = |i - j| <= radius
    receivers, senders = np.nonzero(near)  # row by row: sorted by receiver
    return gl.Graph(senders, receivers, n)


# %%
gl.practice.check_window_graph(my_window_graph)


# %% [markdown]
# The dependency tree is not a rule on positions: it links every word $i$ with its head $h = \texttt{heads}[i]$,
# both ways, an edge $i \to h$ and an edge $h \to i$. The root (head $-1$) has no head, and no edge to one:

# %%
# ✎ practice: this body is yours to write in practice/01_sentences_as_graphs.ipynb
def my_dependency_graph(heads):
    """The dependency tree: an edge each way between every word and its head (root: -1)."""
    heads = np.asarray(heads)
    child = np.flatnonzero(heads >= 0)  # every word but the root
    senders = np.concatenate([child, heads[child]])  # word -> head, then head -> word
    receivers = np.concatenate([heads[child], child])
    return gl.Graph(senders, receivers, len(heads))


# %%
gl.practice.check_dependency_graph(my_dependency_graph)

# %% [markdown]
# The complete and causal rules are one mask each. We build all four graphs by hand and check each against
# the module's constructor:

# %%
radius = 1  # window radius: change it and rerun the cells below

idx = np.arange(n)


def graph_from_mask(mask):
    """Edges j -> i wherever mask[i, j] is True (row = receiver)."""
    receivers, senders = np.nonzero(mask)
    return gl.Graph(senders, receivers, mask.shape[0])


by_hand = {
    "complete": graph_from_mask(np.ones((n, n), dtype=bool)),
    f"window r={radius}": my_window_graph(n, radius),
    "causal": graph_from_mask(idx[None, :] <= idx[:, None]),  # j <= i
    "dependency tree": my_dependency_graph(heads),
}
graphs = {
    "complete": gl.complete_graph(n),
    f"window r={radius}": gl.window_graph(n, radius),
    "causal": gl.causal_graph(n),
    "dependency tree": gl.dependency_graph(heads),
}
for name, g in graphs.items():
    np.testing.assert_allclose(
        by_hand[name].adjacency(), g.adjacency(), err_msg=f"{name}: built by hand != gl's"
    )
    assert by_hand[name] == g, f"{name}: the hand-built graph has other edges, or another order"
    print(f"{name:16s} {g}   self loops: {g.has_self_loops()}")

# %% [markdown]
# Now the four graphs as pictures. In the sentence layout an arc with two heads is a pair of edges, an arc with one
# head a one-way edge (its head at the receiver), and a small ring above a word a self loop $i \to i$. A canopy of
# 45 arcs cannot be read arc by arc, so every panel draws its graph in grey and, in red, the edges **into one word**,
# "it": its neighbourhood $\mathcal{N}(\text{it})$ in that graph (`gl.draw_graph(..., highlight=i)`).

# %%
target = words.index(follow[1])  # the word whose incoming edges are drawn in red
fig, axes = plt.subplots(2, 2, figsize=(12, 4.6))
for ax, (name, g) in zip(axes.flat, graphs.items(), strict=True):
    heard = g.senders[g.receivers == target]
    title = f"{name}: E = {g.num_edges};  red: the {heard.size} edge{'s' * (heard.size != 1)} into '{words[target]}'"
    gl.draw_graph(g, words, ax=ax, title=title, highlight=target)
for ax in axes.flat[1:]:
    ax.set_ylim(axes[0, 0].get_ylim())  # one vertical scale: an arc's height = distance |i - j|
plt.tight_layout()
plt.show()

# %% [markdown]
# All four panels share one vertical scale, so an arc's height tells how far apart its two words are. The complete
# graph is a dense canopy in which every pair of words is one hop apart: "it" hears all ten words, itself included
# (the red ring). The window graph only has the low arcs between neighbours: "it" hears "because", "was" and itself,
# and "cat" is six hops away. The tree is sparse and follows the syntax: "it" hears only its head, "tired", and the
# highest arc links "sat" to "tired" across six words in a single hop. The causal graph has the same arcs as the
# complete graph but each one carries a **single** arrow head, at the later word: half of the 90 edges between
# different words (45), plus the same 10 self loops, so "it" hears only itself and the seven words before it.
# Even with one word in red, dense graphs are easier to read as matrices:

# %%
fig, axes = plt.subplots(1, 4, figsize=(12, 3.6))
for ax, (name, g) in zip(axes, graphs.items(), strict=True):
    gl.heatmap(
        g.adjacency(),
        words,
        words,
        ax=ax,
        title=f"{name} (E = {g.num_edges})",
        cmap="Blues",
        xlabel="sender j",
        ylabel="receiver i" if ax is axes[0] else None,
    )
plt.tight_layout()
plt.show()


# %% [markdown]
# A full square, a band around the diagonal, a lower triangle (row $i$ = receiver, so "hears the past" means ones
# *left* of the diagonal) and a sparse symmetric pattern. The diagonal is the self loops: present in the first
# three, absent in the tree. Every one of these matrices can be handed to the same layer as `A @ M`: one layer run
# on these four graphs differs **only in this matrix**.

# %% [markdown]
# ## 6 · Counting edges: what each graph costs
#
# A message-passing layer does work in proportion to the number of edges $E$: one message per edge, and for
# attention one score per edge. For a sentence of $n$ words:
#
# | graph | $E$ |
# |---|---|
# | complete (with self loops) | $n^2$ |
# | window, radius $r$ (with self loops) | $n(2r+1) - r(r+1)$ for $r \le n - 1$ (the first and last $r$ words miss some neighbours); a wider window is the complete graph, $n^2$ |
# | causal | $n(n+1)/2$ |
# | dependency tree | $2(n-1)$ (a tree has $n-1$ edges, and we store each one both ways) |
#
# We print the table by code and check every formula against the graphs we built:

# %%
def edge_formulas(n, r):
    """Edge counts of the four sentence graphs, from the formulas above."""
    w = min(r, n - 1)  # the formula holds for r <= n - 1; a wider window is the complete graph
    return {
        "complete": n * n,
        f"window r={r}": n * (2 * w + 1) - w * (w + 1),
        "causal": n * (n + 1) // 2,
        "dependency tree": 2 * (n - 1),
    }


window_rule = "n(2r+1) - r(r+1)" if radius <= n - 1 else "n^2 (r >= n-1)"
rules = ["n^2", window_rule, "n(n+1)/2", "2(n-1)"]
print(f"{'graph':16s} {'E (built)':>9s} {'formula':>18s} {'value':>6s}")
for (name, g), rule, (_, value) in zip(
    graphs.items(), rules, edge_formulas(n, radius).items(), strict=True
):
    assert g.num_edges == value, f"{name}: built {g.num_edges} edges, the formula gives {value}"
    print(f"{name:16s} {g.num_edges:9d} {rule:>18s} {value:6d}")

# %% [markdown]
# For 10 words the differences look small. They do not stay small as $n$ grows: the complete and causal graphs
# grow like $n^2$, the window and the tree like $n$. We build the graphs for longer "sentences" too and check every
# formula again (for the tree we take a chain, since every tree on $n$ nodes has $n - 1$ links). A 1000-word
# complete graph has a million edges and still builds in a fraction of a second.

# %%
rows = [f"{'n':>5s}" + "".join(f"{name:>17s}" for name in graphs) + f"{'complete / tree':>17s}"]
for big_n in (10, 100, 1000):
    built = {
        "complete": gl.complete_graph(big_n).num_edges,
        f"window r={radius}": gl.window_graph(big_n, radius).num_edges,
        "causal": gl.causal_graph(big_n).num_edges,
        "dependency tree": gl.path_graph(big_n).num_edges,  # a chain is a tree too
    }
    assert built == edge_formulas(big_n, radius), f"n={big_n}: built {built}"
    ratio = built["complete"] / built["dependency tree"]
    rows.append(f"{big_n:5d}" + "".join(f"{v:17,d}" for v in built.values()) + f"{ratio:17.1f}")
print("\n".join(rows))  # one print: the table arrives as one output

# %% [markdown]
# Multiply $n$ by 10 and the complete and causal columns grow 100-fold, the window and tree columns 10-fold. At 1000
# words the complete graph has 500 times more edges than the tree. This is what it costs to let every word hear every
# word, and it is why sparse and local variants of attention exist. The tree is cheap, but it needs a parser, and a
# parser can be wrong.

# %% [markdown]
# ## 7 · Three ways to hold one graph: arrays, adjacency, networkx
#
# | representation | memory | good for |
# |---|---|---|
# | `senders`, `receivers` (a `gl.Graph`) | $2E$ integers | the layers: gather `h[senders]`, sum per receiver |
# | adjacency `A` (`g.adjacency()`) | $n^2$ numbers | small graphs, pictures, dense masks, `A @ M` |
# | `networkx.DiGraph` (`gl.to_networkx`) | Python objects | graph algorithms: paths, components, layouts |
#
# networkx gives us algorithms for free. How many hops does a message need to get from "cat" to "it"? A GNN layer
# moves information one hop, so that is the number of layers before "it" can know about "cat". `gl.to_networkx`
# makes one networkx edge $(j, i)$ per edge $j \to i$, so a networkx path follows the messages. We compare the tree
# with the path graph, the sentence as a plain chain (`gl.path_graph`, the window graph with $r = 1$ and no self
# loops):

# %%
src, dst = (words.index(w) for w in follow)  # "cat" and "it" in our sentence
tree = graphs["dependency tree"]
path = gl.path_graph(n)
for name, g in [("dependency tree", tree), ("path graph", path)]:
    route = nx.shortest_path(gl.to_networkx(g), source=src, target=dst)
    print(f"{name:15s} {len(route) - 1} hops: " + " -> ".join(words[k] for k in route))

# %% [markdown]
# In the tree, "it" is three hops from "cat" (through its clause head "tired" and the verb "sat"). In the chain it is
# six. Notebook 02 turns this into a receptive field that grows one hop per layer. The same question for all our
# graphs, in both directions (the causal graph is directed, so the two directions can differ). `gl.hop_distance(g)`
# answers it for every pair at once: `d[i, j]` is the number of hops from $j$ to $i$, and $-1$ where there is no
# path (notebook 02 computes it by message passing):

# %%
forward_name, backward_name = (f"{words[a]} -> {words[b]}" for a, b in [(src, dst), (dst, src)])
print(f"{'graph':16s} {forward_name:>14s} {backward_name:>14s}")
for name, g in {**graphs, "path graph": path}.items():
    d = gl.hop_distance(g)  # d[i, j]: hops from j to i, -1: no path
    forward, backward = ("never" if k < 0 else str(k) for k in (d[dst, src], d[src, dst]))
    print(f"{name:16s} {forward:>14s} {backward:>14s}")

# %% [markdown]
# The complete graph puts every pair one hop apart, which is what the Transformer buys with its $n^2$ edges. In the
# causal graph "it" hears "cat" directly, but "cat" can never hear "it": a language model reads left to right.
#
# Going back and forth loses nothing. networkx's own undirected graphs come in too (each undirected edge becomes
# two directed edges). One warning: **networkx's matrix is the transpose of ours.** `nx.to_numpy_array` puts the
# sender on the row (`A_nx[j, i] = 1` for an edge $j \to i$). On a symmetric graph you cannot see the difference; on
# the causal graph you can:

# %%
for g in graphs.values():
    assert gl.from_networkx(gl.to_networkx(g)) == g, f"round trip of {g}: same edges, same order"
assert gl.from_networkx(nx.path_graph(n)) == path, "an undirected edge becomes one edge each way"

causal = graphs["causal"]
A_nx = nx.to_numpy_array(gl.to_networkx(causal), nodelist=range(n))
print("round trips: ok")
print("networkx matrix == our A:  ", np.array_equal(A_nx, causal.adjacency()))
print("networkx matrix == our A.T:", np.array_equal(A_nx, causal.adjacency().T))

# %% [markdown]
# If you take an adjacency matrix from networkx, SciPy or a paper, check which way round it is before computing
# `A @ M`. With the wrong orientation, a causal model sums over the *future* instead of the past.

# %% [markdown]
# ## 8 · Mistakes the module catches
#
# Graphs are easy to get subtly wrong, and a wrong graph does not crash a layer: it silently computes something
# else. So the module checks what it is given and says what is wrong. We wrap each mistake in a `lambda`, and
# `gl.show_error` runs it and prints the error it raises instead of a traceback.
#
# **Dependency trees.** `gl.dependency_graph` needs exactly one root (`-1`), heads in range, and no cycle. Three
# common ways to break that: copying the head column of a CoNLL-U file (1-based, with `0` for the root), marking a
# second clause as a root, and getting the direction of one relation wrong ("tired" hangs from "was" while
# "was" hangs from "tired").

# %%
conllu_heads = heads + 1  # CoNLL-U numbers words from 1 and marks the root with 0
gl.show_error(lambda: gl.dependency_graph(conllu_heads), "CoNLL-U heads (1-based)")

has_head = np.flatnonzero(heads >= 0)
if has_head.size:  # the last word with a head ("tired") becomes a root too
    second_root = int(has_head[-1])
    two_roots = heads.copy()
    two_roots[second_root] = -1
    gl.show_error(lambda: gl.dependency_graph(two_roots), f"two roots ('{words[second_root]}' too)")
else:
    print("two roots: a sentence of one word has no second word to make a root")

# a cycle: the last word with a head and a dependent ("tired") now hangs from its own last
# dependent ("was"), which hangs from it
parents = [int(k) for k in has_head if (heads == k).any()]
if parents:
    parent = parents[-1]
    child = int(np.flatnonzero(heads == parent)[-1])
    cycle = heads.copy()
    cycle[parent] = child
    gl.show_error(
        lambda: gl.dependency_graph(cycle),
        f"a cycle ('{words[parent]}' hangs from '{words[child]}')",
    )
else:
    print("a cycle: no word has both a head and a dependent here, so no two words can swap roles")
gl.show_error(lambda: gl.dependency_graph(heads), "the real tree")

# %% [markdown]
# Each message names the problem. The cycle is reported at word 6 ("because"), not at "was" or "tired". The check
# walks up the heads from every word in turn, and "because" is the first word whose walk never reaches the root: it
# goes because → tired → was → tired → … round the loop.

# %% [markdown]
# **Edge lists.** `gl.Graph` refuses a duplicate edge (a message counted twice would double its weight), node
# indices that are floats (what `np.loadtxt` gives you by default), and nodes out of range (1-based node numbers
# again). A stored graph is also read-only: nobody can edit or reorder its edges behind the back of the per-edge
# arrays that follow them.

# %%
dup_senders = np.array([0, 1, 1, 2, 3, 2, 0])  # the -> cat listed twice
dup_receivers = np.array([1, 0, 2, 1, 2, 3, 1])


def write_a_sender():
    g4.senders[0] = 3


mistakes = {
    "duplicate edge": lambda: gl.Graph(dup_senders, dup_receivers, 4),
    "float indices": lambda: gl.Graph(toy_senders.astype(float), toy_receivers.astype(float), 4),
    "1-based nodes": lambda: gl.Graph(toy_senders + 1, toy_receivers + 1, 4),
    "writing into g4.senders": write_a_sender,
}
for label, make in mistakes.items():
    gl.show_error(make, label)

# %% [markdown]
# ## 9 · Self loops: attention graphs have them, GNN graphs do not
#
# Compare the two updates of the coming notebooks, without their weights:
#
# $$\text{GNN (02):}\quad h_i' = \sigma\Big(\underbrace{\mathrm{self}(h_i)}_{\text{own term}} + \sum_{j \in \mathcal{N}(i)} \mathrm{msg}(h_j)\Big)
# \qquad\qquad
# \text{attention (03, 04):}\quad h_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, v_j,\ \ \sum_{j \in \mathcal{N}(i)} \alpha_{ij} = 1 .$$
#
# The GNN has a separate term for the word itself, so $i \notin \mathcal{N}(i)$: a self loop would count the word
# twice. Attention has **no own term**. A word keeps its own information only if it attends to itself, so the graph
# needs the edge $i \to i$, and a word with no incoming edge at all would have to take a softmax over nothing. That
# is why the Transformer's complete graph, the window graph and the causal graph all carry self loops, while
# `gl.dependency_graph` and `gl.path_graph` do not (`gl.dependency_graph(heads, self_loops=True)` or
# `gl.add_self_loops(g)` adds them).
#
# Take the causal graph without its diagonal, "j strictly before i". The first word has nobody to listen to:

# %%
strict_past = graph_from_mask(idx[None, :] < idx[:, None])  # j < i: no self loops
print(f"strictly causal: {strict_past}, in-degrees {strict_past.in_degree}")
print(f"word 0 ('{words[0]}') has {strict_past.in_degree[0]} incoming edges: nothing to attend to")

# add the loops by hand: every node i gets i -> i (none has one yet)
loops = np.arange(n)
mine = gl.Graph(
    np.concatenate([strict_past.senders, loops]),
    np.concatenate([strict_past.receivers, loops]),
    n,
)
assert mine == gl.add_self_loops(strict_past) == gl.causal_graph(n), "strict past + loops = causal"
print(f"with self loops: {mine}, smallest in-degree {mine.in_degree.min()}")

tree_loops = gl.add_self_loops(tree)
print(f"dependency tree: E = {tree.num_edges} -> {tree_loops.num_edges} with self loops (+n)")
print(
    "add_self_loops on the complete graph changes nothing:",
    gl.add_self_loops(graphs["complete"]) == graphs["complete"],
)

# %% [markdown]
# ## 10 · A batch of sentences is one graph
#
# Models train on many sentences at once. A graph library batches graphs by putting them **side by side in one big
# graph** with no edges between them (a *disjoint union*). Node $k$ of sentence $b$ becomes node
# $\mathrm{offset}_b + k$, where $\mathrm{offset}_b = \sum_{b' < b} n_{b'}$. The adjacency matrix becomes block-diagonal,
#
# $$A_{\text{batch}} = \begin{pmatrix} A_1 & 0 & 0 \\ 0 & A_2 & 0 \\ 0 & 0 & A_3 \end{pmatrix},$$
#
# so one layer call processes all sentences and no message crosses from one sentence to another. We batch the
# trees of three sentences of different lengths, and rebuild the batch by hand:

# %%
sentences = [
    (words, heads),
    (["the", "cat", "sat", "down"], np.array([1, 2, -1, 2])),
    (["it", "was", "tired"], np.array([2, 2, -1])),
]
trees = [gl.dependency_graph(hd) for _, hd in sentences]
batch, node_graph, offsets = gl.batch_graphs(trees)

sizes_b = np.array([g.num_nodes for g in trees])
my_offsets = np.concatenate([[0], np.cumsum(sizes_b)[:-1]])  # where each sentence starts
my_senders = np.concatenate([g.senders + off for g, off in zip(trees, my_offsets, strict=True)])
my_receivers = np.concatenate([g.receivers + off for g, off in zip(trees, my_offsets, strict=True)])
assert gl.Graph(my_senders, my_receivers, int(sizes_b.sum())) == batch, (
    "the batch by hand (each tree's ids + its offset) must be gl.batch_graphs's"
)
np.testing.assert_array_equal(
    node_graph,
    np.repeat(np.arange(len(sentences)), sizes_b),
    err_msg="node_graph[i] must be the index of node i's sentence",
)
np.testing.assert_array_equal(offsets[:-1], my_offsets, err_msg="gl's offsets end with the total")

print(f"sizes {sizes_b}, offsets {my_offsets}")
print(f"batch: {batch} = {' + '.join(str(g.num_edges) for g in trees)} edges")
print(f"node_graph: {node_graph}")
print(
    "every edge stays inside its sentence:",
    bool((node_graph[batch.senders] == node_graph[batch.receivers]).all()),
)

# %% [markdown]
# `node_graph[k]` says which sentence node $k$ belongs to. It is the segment id for anything per sentence. For
# example, a *readout* with one number per sentence, here the mean word length, is a `segment_mean` over the nodes.
# We check it with a loop:

# %%
all_words = [w for ws, _ in sentences for w in ws]
letters = np.array([len(w) for w in all_words], dtype=float)
num_sentences = len(sentences)
per_sentence = gl.segment_mean(letters, node_graph, num_sentences)
by_hand = [letters[node_graph == b].mean() for b in range(num_sentences)]
np.testing.assert_allclose(per_sentence, by_hand, err_msg="segment_mean == a loop over sentences")
for b, (ws, _) in enumerate(sentences):
    print(f"sentence {b} ({len(ws):2d} words): mean length {per_sentence[b]:.2f} letters")


# %% [markdown]
# A dense Transformer batches differently. It **pads** every sentence to the longest one, stacks them into an
# array of shape $(B, n_{\max}, d)$, and passes a **padding mask**, True for a real word and False for a padding
# slot, so that no word attends to padding. Sentence $b$ has $n_b$ words:
#
# $$\text{mask}[b, t] = \big(t < n_b\big), \qquad t = 0, \dots, n_{\max} - 1, \quad n_{\max} = \max_b n_b .$$

# %%
# ✎ practice: this body is yours to write in practice/01_sentences_as_graphs.ipynb
def my_padding_mask(lengths):
    """(B, L) bool, L = max(lengths): True for a real word, False for a padding slot."""
    lengths = np.asarray(lengths)
    return np.arange(lengths.max()) < lengths[:, None]  # t < n_b, one row per sentence


# %%
gl.practice.check_padding_mask(my_padding_mask)

# %% [markdown]
# Below, the same three sentences on their complete graphs (the Transformer's graph) both ways: on the left as
# one block-diagonal graph, on the right as three padded $10 \times 10$ masks of word pairs,
# `mask[b][:, None] & mask[b][None, :]` (a real query and a real key).

# %%
batch_full, _, _ = gl.batch_graphs([gl.complete_graph(len(ws)) for ws, _ in sentences])
padding = my_padding_mask(sizes_b)  # (B, n_max): True for a real word
_, pad_mask = gl.pad_batch([np.arange(len(ws)) for ws, _ in sentences])  # the module's mask
np.testing.assert_array_equal(padding, pad_mask, err_msg="my_padding_mask == gl.pad_batch's mask")
n_max = padding.shape[1]

fig, axes = plt.subplots(
    1, 1 + num_sentences, figsize=(12, 3.9), width_ratios=[len(all_words)] + [n_max] * num_sentences
)
title = f"one graph of {batch_full.num_nodes} nodes:\nE = {batch_full.num_edges} edges"
gl.heatmap(
    batch_full.adjacency(),
    all_words,
    all_words,
    ax=axes[0],
    title=title,
    cmap="Blues",
    xlabel="sender j",
    ylabel="receiver i",
)
for boundary in np.cumsum(sizes_b)[:-1] - 0.5:
    axes[0].axhline(boundary, color="C3", linewidth=1)
    axes[0].axvline(boundary, color="C3", linewidth=1)
for b, (ws, _) in enumerate(sentences):
    padded = ws + ["PAD"] * (n_max - len(ws))
    mask = padding[b][:, None] & padding[b][None, :]  # mask[i, j]: real query i, real key j
    gl.heatmap(
        mask,
        padded,
        padded,
        ax=axes[b + 1],
        title=f"sentence {b}, padded:\n{mask.sum()} of {mask.size} pairs are real",
        cmap="Blues",
        xlabel="sender j",
    )
plt.tight_layout()
plt.show()

used = batch_full.num_edges
padded_scores = num_sentences * n_max**2
print(
    f"graph batch: {used} scores, one per edge (a real pair of words);  padded batch: {num_sentences} x "
    f"{n_max}^2 = {padded_scores} scores, {padded_scores - used} of them masked out"
)

# %% [markdown]
# The same real pairs of words appear on both sides. The graph stores exactly those pairs as edges; the padded
# batch computes a score for all $B \times L^2$ pairs of its slots and throws the rest away (the numbers printed
# above: 125 of 300 with our three sentences), and the waste grows with the spread of sentence lengths. In exchange, padding gives regular rectangular arrays that GPUs multiply fast, which is why dense
# Transformers use it. Notebook 04 shows that a padding or causal mask is just another adjacency matrix: the
# right-hand panels are graphs too.

# %% [markdown]
# ## Summary
#
# - NLP and graph learning both learn **one vector per item**, updated from the items it talks to,
#   $\mathcal{N}(i)$. A Transformer takes $\mathcal{N}(i) = S$, the complete graph; a GNN takes the graph it is given.
# - A node is an index with a feature row $h_i$. Equal words get equal embeddings, so the two "the"s differ only
#   through their neighbours or their position.
# - A graph is `senders`, `receivers`, `num_nodes`. `gl.Graph` sorts edges by (receiver, sender) so that each
#   node's incoming edges are one slice, `indptr[i]:indptr[i+1]`, and every per-edge array follows that order.
# - $A_{ij} = 1$ iff $j \to i$: rows are receivers, so aggregation is $m = A M$. networkx's matrix is the transpose.
# - Complete, window, causal and tree graphs on the same words differ only in $A$. Their edge counts are $n^2$,
#   $\approx n(2r+1)$, $n(n+1)/2$ and $2(n-1)$, and a layer's cost grows with $E$.
# - Attention graphs carry self loops (no separate self term); GNN graphs do not (they have $h_i$'s own term).
# - A batch is one disjoint graph with `node_graph` as the sentence id. Dense Transformers pad and mask instead.
#
# Next: **02 · Message passing** puts a GNN layer on these graphs and computes $m = A M$ three ways.

# %% [markdown]
# ## Exercises
#
# **1. Widen the window.** In the four-graphs cell of section 5, change `radius = 1` to `radius = 3`. Predict the
# number of edges of the window graph, then rerun the cells of sections 5 and 6 to check. What happens to the band in
# the adjacency picture, and to the hops from "cat" to "it" in section 7?
#
# <details><summary>Answer</summary>
#
# $E = n(2r+1) - r(r+1)$ $= 10 \cdot 7 - 3 \cdot 4 = 58$ (the ends lose $1+2+3$ neighbours on each side). The band is
# 7 cells wide, and "cat" → "it" (6 words apart) takes 2 hops instead of 6. With `radius = 9` the window graph is the
# complete graph: $10 \cdot 19 - 90 = 100$. The formula holds up to $r = n - 1 = 9$; every wider window is the
# complete graph as well (with `radius = 12` the formula would give 94 edges for the 100 built), which is why
# `edge_formulas` clips $r$ at $n - 1$ and the table then prints the rule `n^2`.
# </details>
#
# **2. The causal graph by hand.** Before you print it, write down on paper the adjacency matrix of
# `gl.causal_graph(4)`. Which row has a single 1? Which column is all ones? Then run
# `print(gl.causal_graph(4).adjacency())` in a new cell.
#
# <details><summary>Answer</summary>
#
# A lower triangle with the diagonal: rows `[1 0 0 0]`, `[1 1 0 0]`, `[1 1 1 0]`, `[1 1 1 1]`, and $E = 4 \cdot 5 / 2 = 10$.
# Row 0 has a single 1: the first word hears only itself. Column 0 is all ones: every word hears the first word.
# If you wrote the upper triangle, you drew networkx's orientation (sender on the row).
# </details>
#
# **3. Your own sentence.** In the first cell of section 2, replace `gl.example_sentence()` by
# `["the", "dog", "chased", "the", "ball"], np.array([1, 2, -1, 4, 2])` and the two words we follow,
# `("cat", "it")`, by `("dog", "ball")`. Then run the whole notebook (*Run → Run All Cells*). Predict the edge
# counts of the four graphs (section 5), the hops from "dog" to "ball" on the tree and on the path graph
# (section 7), and the node and edge counts of the batch (section 10, whose first sentence is now yours). Then try
# a sentence of your own: write its heads and see whether `gl.dependency_graph` accepts them.
#
# <details><summary>Answer</summary>
#
# $n = 5$: complete $n^2 = 25$, window $5 \cdot 3 - 2 = 13$, causal $5 \cdot 6 / 2 = 15$, tree $2(n - 1) = 8$.
# "dog" → "chased" → "ball" is 2 hops on the tree and 3 on the path graph (dog, chased, the, ball); on the causal
# graph "ball" hears "dog" in one hop but "dog" never hears "ball". The batch ("the dog chased the ball", "the cat
# sat down", "it was tired") has $5 + 4 + 3 = 12$ nodes and $8 + 6 + 4 = 18$ edges. Section 8 now breaks the tree by
# making "ball" a second root and by hanging "ball" from its own dependent "the". If you write a head column with
# no root, two roots or a loop, you get the errors of section 8. A sentence of your own needs no repeated word
# and need not contain the two words of `follow`: the cells say so and carry on (with its first and last word).
# </details>
#
# **4. The wrong orientation.** In the cell of section 4 that defines `my_adjacency`, change the indexing line to
# `A[senders, receivers] = 1`. Predict whether the check below it and the `assert_allclose` of the toy tree in the
# next cell still pass. Then do the same experiment on the causal graph: in a new cell at the end of section 5, run
# `c = graphs["causal"]; print(c.adjacency() @ np.arange(n), my_adjacency(c.senders, c.receivers, n) @ np.arange(n))`.
# What does row 0 give each way?
#
# <details><summary>Answer</summary>
#
# The check fails at once and names the mistake, "the matrix transposed": its first case is a directed graph
# (each word → its head, one way). For the toy tree the next cell still passes: the graph is symmetric,
# $A = A^\top$, and the mistake is invisible. For the causal graph, row 0 of the correct `A @ np.arange(n)` is 0
# (the first word hears only itself, position 0). With the transposed matrix it is $0 + 1 + \dots + 9 = 45$: the
# first word now sums over the whole future. Test orientation code on a directed graph.
# </details>
#
# **5. Padding waste.** In the batch cells of section 10, add a fourth sentence of 12 words (any words, any valid
# heads, e.g. a chain `np.r_[1:12, -1]`). Predict the number of graph edges of the complete-graph batch and the
# number of padded scores before running.
#
# <details><summary>Answer</summary>
#
# Graph: $100 + 16 + 9 + 144 = 269$ edges. Padded: $n_{\max} = 12$, so $4 \cdot 144 = 576$ scores, of which 307 are
# masked out. One long sentence makes every other sentence pay for its length.
# </details>

# %% [markdown]
# ## Discussion questions
#
# 1. **Is a fully connected graph the right graph for a sentence?** (The talk's open question.) Compare the four
#    graphs in section 5 and the hop table in section 7. The complete graph puts everything one hop away at $n^2$ cost.
#    The tree gives syntax for free but depends on a parser. Which radius makes "cat" reach "it" in two layers, and
#    at what cost compared with the complete graph? Paste in a new cell below the hop table of section 7:
#    `for r in range(1, 7): print(f"radius {r}: E = {gl.window_graph(n, r).num_edges} (complete: {n * n}), '{words[src]}' reaches '{words[dst]}' in {gl.hop_distance(gl.window_graph(n, r))[dst, src]} layers")`.
#    Would you rather *learn* the sparse graph? (Attention weights, 03–04, are one way to do that.)
# 2. **Do attention heads learn syntactic relations?** Our `heads` array is one relation per word. Which edges of the
#    tree in section 5 would you hope a head discovers on the complete graph (determiner and noun, subject and
#    verb)? Which useful relation is *not* in the tree at all ("it" refers to "cat")? Write them down now; notebook
#    05 builds heads that follow "previous word" and "dependency head".
# 3. **Should a word attend to itself?** In section 9, the Transformer keeps a word's own information only through
#    its self loop (plus, in notebook 05, the residual link). `strict_past` there is the causal graph without its self
#    loops. Paste in a new cell below it `print(gl.propagate(strict_past, h[strict_past.senders])[:2])`: what the
#    first two words receive when every word sends its embedding `h` (section 2). Discuss what the first word of
#    every sentence could then compute.
# 4. **Graph batching or padding?** Count both for other sentence lengths: paste
#    `lengths = np.array([10, 4, 3]); print(f"graph batch: {(lengths**2).sum()} scores, padded: {len(lengths) * lengths.max()**2}")`
#    in a new cell and change the lengths. When is the padded batch (regular, GPU-friendly) the better deal, and when
#    do graph libraries' disjoint batches win? How do real training loops reduce padding (bucketing sentences of
#    similar length)?

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group, and the blog post: <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - A. Vaswani et al., *Attention Is All You Need*, NeurIPS 2017 (the Transformer and its causal decoder):
#   <https://arxiv.org/abs/1706.03762>
# - P. W. Battaglia et al., *Relational inductive biases, deep learning, and graph networks*, 2018 (graphs as
#   arrays of senders and receivers, batching by disjoint union): <https://arxiv.org/abs/1806.01261>
# - jraph, the graph library whose `GraphsTuple` (`senders`, `receivers`) the course follows:
#   <https://jraph.readthedocs.io/>
# - PyTorch Geometric, `edge_index` and mini-batches of graphs:
#   <https://pytorch-geometric.readthedocs.io/en/latest/get_started/introduction.html>
# - networkx, `to_numpy_array` (sender on the row) and `shortest_path`:
#   <https://networkx.org/documentation/stable/reference/generated/networkx.convert_matrix.to_numpy_array.html>
# - NumPy, `ufunc.reduceat`: <https://numpy.org/doc/stable/reference/generated/numpy.ufunc.reduceat.html>
# - The CoNLL-U format of Universal Dependencies (1-based heads, 0 for the root):
#   <https://universaldependencies.org/format.html>
# - The course's notation, side by side with PyTorch, PyG, DGL, jraph and networkx:
#   [docs/notation.md](../docs/notation.md)
