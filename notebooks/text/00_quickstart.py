# Generated from notebooks/00_quickstart.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 00 · Quick start: one sentence, three layers
#
# **Estimated time: 15 min** (with the exercises). The symbols are those of the course's
# [notation page](../docs/notation.md), which also lines them up with the talk, PyTorch, PyG, DGL,
# jraph and networkx.
#
# A short tour of `gnnformer_lite` before the course begins.
#
# ## What you will learn
#
# - to build the course's running sentence as a **graph** (plain arrays: `senders`, `receivers`, `num_nodes`);
# - to run **one layer of each kind** the talk compares — a GNN, a GAT and a Transformer — on it;
# - to draw one picture.
#
# Everything here is explained slowly in notebooks 01–05; this notebook just checks that your set-up works.
# If every cell runs, you are ready.

# %%
import matplotlib.pyplot as plt
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()  # print options, figure format and style: same outputs on every machine

# %% [markdown]
# ## A sentence is a graph
#
# `gl.example_sentence()` returns the words and a hand-written dependency tree: `heads[i]` is the word
# that word `i` hangs from (`-1` for the root). Nodes are **indices**, not words — "the" appears twice.

# %%
words, heads = gl.example_sentence()
heads = gl.sentence_heads(words, heads)  # one head per word, as an array (a list works too)
for i, word in enumerate(words):
    head = words[heads[i]] if heads[i] >= 0 else "ROOT"
    print(f"{i}  {word:8s} head: {head}")

# %% [markdown]
# An edge `j → i` carries a message from the **sender** `j` to the **receiver** `i`. The Transformer uses
# the complete graph (every word hears every word, itself included); a parser's tree is a much sparser graph.

# %%
n = len(words)
tree = gl.dependency_graph(heads)  # an edge each way between a word and its head
complete = gl.complete_graph(n)  # every j -> i, self loops included
print(tree)
print(complete)
print("first edges of the tree (sender -> receiver):")
print(np.stack([tree.senders[:6], tree.receivers[:6]]))

# %% [markdown]
# ## One layer of each kind
#
# Random features `h` (one row per word) and random weights from a seeded generator. Features are
# **row vectors**, so a weight acts as `h @ W`.
#
# | layer | update of word $i$ |
# |---|---|
# | GNN | $h_i' = \sigma\big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V\big)$ |
# | GAT | $h_i' = \sigma\big(\sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, z_j\big)$, $\alpha$ from a softmax over neighbours |
# | Transformer | $h_i' = \sum_{j \in S} \operatorname{softmax}_j\big(q_i \cdot k_j / \sqrt{d_k}\big)\, v_j$ per head ($d_k = d / H$ for $H$ heads), then LayerNorm, a feed-forward network and residual links (notebook 05) |
#
# $\mathcal{N}(i)$ is the set of words with an edge into $i$, $S$ all words of the sentence, $\sigma$ a
# non-linearity; $z_j = h_j W$, $q_i = h_i W_Q$, $k_j = h_j W_K$, $v_j = h_j W_V$ are the features after a
# weight matrix.

# %%
rng = np.random.default_rng(0)
d = 8  # features per word
num_heads = 2  # attention heads of the GAT and the Transformer
d_gat = 4  # features per GAT head
h = rng.normal(size=(n, d))

gnn = gl.gnn_layer(gl.init_gnn_layer(rng, d, d), h, tree)  # U is the self term: no self loops
gat_params = gl.init_gat_layer(rng, d, d_gat, num_heads=num_heads)
# GAT has no self term: a self loop lets word i hear itself
gat = gl.gat_layer(gat_params, h, gl.add_self_loops(tree))
tfm_params = gl.init_transformer_layer(rng, d, num_heads=num_heads, d_ff=16)
tfm, weights = gl.transformer_layer(tfm_params, h, return_attention=True)
print("GNN         ", gnn.shape)
print("GAT         ", gat.shape, f" ({num_heads} heads of {d_gat} features, concatenated)")
print("Transformer ", tfm.shape, " attention weights", weights.shape, "(heads, receivers, senders)")

# %% [markdown]
# `num_heads` is given once, to `init_transformer_layer`, which records it beside the weights
# (`tfm_params["attn"]["num_heads"]`); `transformer_layer` reads it from there. The weights do not show it:
# $W_Q, W_K, W_V, W_O$ are $d \times d$ matrices whatever the number of heads. It decides how the columns of
# $q$, $k$ and $v$ are cut into heads of $d / H$ features each, and the same weights cut into 4 heads instead
# of 2 give other attention weights and another output. So a model remembers how it was built: asking for
# another count, `gl.transformer_layer(tfm_params, h, num_heads=4)`, is a `ValueError`, not a silent run
# (exercise 3).

# %% [markdown]
# The Transformer above ran with `graph=None`: every word attends to every word, computed densely as
# matrices, $\mathrm{softmax}(QK^\top / \sqrt{d_k})\,V$. Give the **same layer, with the same weights**, the
# complete graph instead and it runs as message passing: one score and one message along each of the
# $n^2$ edges, a softmax over each word's incoming edges, a sum per receiver. The cell below compares these
# two ways of computing one Transformer layer — it does not compare a Transformer with some other GNN. That
# they agree is the claim of the talk in one line: a Transformer layer *is* a graph layer, on the complete
# graph (notebook 04 takes it apart):

# %%
params = gl.init_transformer_layer(np.random.default_rng(1), d, num_heads=num_heads, d_ff=16)
dense = gl.transformer_layer(params, h)  # graph=None: dense matrices
as_gnn = gl.transformer_layer(params, h, complete)  # messages on the edges
np.testing.assert_allclose(
    dense,
    as_gnn,
    atol=1e-12,
    err_msg="one Transformer layer, dense and as message passing on the complete graph, must agree to 1e-12 (any sentence, d and num_heads)",
)
print(
    f"one Transformer layer, computed densely and as message passing on the complete graph "
    f"({complete.num_edges} edge{'s' * (complete.num_edges != 1)}): equal to 1e-12: {bool(np.abs(dense - as_gnn).max() < 1e-12)}"
)

# %% [markdown]
# ## One picture
#
# Left: the dependency tree as a graph over the sentence. Right: how much each word (row) attends to each
# word (column) in head 0 of the Transformer layer — a weighted version of the complete graph. Each row sums
# to 1; an untrained layer spreads it over all the words, so the colours run from 0 to the largest weight
# (in the title), not to 1.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
gl.draw_graph(tree, words, ax=ax1, title="dependency tree: edges each way")
alpha = weights[0]  # head 0: row i = receiver (query), column j = sender (key); rows sum to 1
gl.heatmap(
    alpha,
    words,
    words,
    ax=ax2,
    title=f"Transformer head 0: attention weights (largest {alpha.max():.2f})",
    xlabel="key / sender j",
    ylabel="query / receiver i",
    lines=False,
)
fig.colorbar(ax2.images[0], ax=ax2, fraction=0.046, pad=0.04, label=r"$\alpha_{ij}$")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# - A graph is three arrays; a sentence can be given many graphs.
# - `gl.gnn_layer`, `gl.gat_layer` and `gl.transformer_layer` are pure functions `layer(params, h, graph)`.
# - A Transformer layer computed densely and the same layer run as message passing on the complete graph
#   give the same numbers: it *is* a graph layer.
# - `num_heads` decides how $W_Q, W_K, W_V$ are split into heads; the weights' shapes do not show it, so
#   the parameters record it and the layer reads it from them.
#
# Next: **01 · Sentences as graphs**. Start JupyterLab with `make lab`; check everything with `make test`.

# %% [markdown]
# ## Exercises
#
# Edit the cell named, predict, then run the notebook from the top (*Run → Run All Cells*).
#
# **1. Wider features.** In the "one layer of each kind" cell, change `d = 8` to `d = 12`. Predict the four
# shapes it prints. Which one does *not* change, and why?
#
# <details><summary>Answer</summary>
#
# GNN `(10, 12)`, Transformer `(10, 12)`, attention weights `(2, 10, 10)` (one $n \times n$ matrix per head,
# whatever $d$). The GAT stays `(10, 8)`: its output width is heads × features per head, $2 \times 4$, set by
# `d_gat` and `num_heads`, not by $d$. An odd `d = 9` stops at `init_transformer_layer` with
# a `ValueError`: 2 heads cannot share 9 features.
# </details>
#
# **2. Your own sentence.** In the first cell of "A sentence is a graph", replace `gl.example_sentence()` by
# `["the", "dog", "chased", "the", "ball"], np.array([1, 2, -1, 4, 2])` (a head index for every word, `-1`
# for the root). Predict the number of edges of `tree` and of `complete`, and the shapes. Then try a
# sentence of your own.
#
# <details><summary>Answer</summary>
#
# $n = 5$: the tree has $2(n - 1) = 8$ edges (each of the 4 links both ways), the complete graph $n^2 = 25$.
# The layers give `(5, 8)`, `(5, 8)`, `(5, 8)` and weights `(2, 5, 5)`, and the dense and message-passing
# Transformer still agree. Heads with no root, two roots or a cycle raise a `ValueError` that says which
# (notebook 01, section 8).
# </details>
#
# **3. More heads.** In the same cell, change `num_heads = 2` to `num_heads = 4`. Predict the shapes. Then
# try `num_heads = 3`. Last, with `num_heads = 2` back, run `gl.transformer_layer(tfm_params, h, num_heads=4)` in a
# new cell below it.
#
# <details><summary>Answer</summary>
#
# GAT `(10, 16)`: 4 heads of 4 features, concatenated. Transformer `(10, 8)` and weights `(4, 10, 10)`: the
# Transformer splits its $d = 8$ features into 4 heads of $d_k = 2$, and its output width stays $d$. The
# comparison cell still prints `True`. With `num_heads = 3`, `init_transformer_layer` raises
# `ValueError: num_heads=3 must be >= 1 and divide d_model=8` and *Run All* stops at that cell: 3 heads
# cannot share 8 features. And
# `gl.transformer_layer(tfm_params, h, num_heads=4)` on weights made with `num_heads=2` raises a `ValueError`
# naming both counts: cut into 4 heads, the same weights would give other attention weights and another
# output, so the layer refuses a count it was not built with.
# </details>

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group, and the blog post: <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - A. Vaswani et al., *Attention Is All You Need*, NeurIPS 2017: <https://arxiv.org/abs/1706.03762>
# - P. Veličković et al., *Graph Attention Networks*, ICLR 2018: <https://arxiv.org/abs/1710.10903>
# - J. Gilmer et al., *Neural Message Passing for Quantum Chemistry*, ICML 2017:
#   <https://arxiv.org/abs/1704.01212>
# - The course's notation, side by side with PyTorch, PyG, DGL, jraph and networkx:
#   [docs/notation.md](../docs/notation.md)
