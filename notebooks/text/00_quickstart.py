# Generated from notebooks/00_quickstart.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 00 · Quick start: one sentence, three layers
#
# A five-minute tour of `gnnformer_lite` before the course begins. You will:
#
# - build the course's running sentence as a **graph** (plain arrays: `senders`, `receivers`, `num_nodes`);
# - run **one layer of each kind** the talk compares — a GNN, a GAT and a Transformer — on it;
# - draw one picture.
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
# | Transformer | $h_i' = \sum_{j \in S} \operatorname{softmax}_j\big(q_i \cdot k_j / \sqrt{d}\big)\, v_j$, then LayerNorm, FFN, residuals |

# %%
rng = np.random.default_rng(0)
d = 8
h = rng.normal(size=(n, d))

gnn = gl.gnn_layer(gl.init_gnn_layer(rng, d, d), h, tree)  # U is the self term: no self loops
gat = gl.gat_layer(gl.init_gat_layer(rng, d, 4, num_heads=2), h, gl.add_self_loops(tree))
tfm, weights = gl.transformer_layer(
    gl.init_transformer_layer(rng, d, num_heads=2, d_ff=16), h, num_heads=2, return_attention=True
)
print("GNN         ", gnn.shape)
print("GAT         ", gat.shape)
print("Transformer ", tfm.shape, " attention weights", weights.shape)

# %% [markdown]
# The Transformer above ran with `graph=None`: every word attends to every word. Give it the complete
# graph instead and it runs as a graph layer, sending messages along all $n^2$ edges — and computes the
# same numbers. That is the claim of the talk, in one line (notebook 04 takes it apart):

# %%
params = gl.init_transformer_layer(np.random.default_rng(1), d, num_heads=2, d_ff=16)
dense = gl.transformer_layer(params, h, num_heads=2)
as_gnn = gl.transformer_layer(params, h, complete, num_heads=2)
np.testing.assert_allclose(dense, as_gnn, atol=1e-12)
print("Transformer == GNN on the complete graph:", np.abs(dense - as_gnn).max() < 1e-12)

# %% [markdown]
# ## One picture
#
# Left: the dependency tree as a graph over the sentence. Right: how much each word (row) attends to each
# other word (column) in head 0 of the Transformer layer — a weighted version of the complete graph.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
gl.draw_graph(tree, words, ax=ax1, title="dependency tree: edges each way")
gl.attention_heatmap(weights[0], words, ax=ax2, title="Transformer head 0: attention weights")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# - A graph is three arrays; a sentence can be given many graphs.
# - `gl.gnn_layer`, `gl.gat_layer` and `gl.transformer_layer` are pure functions `layer(params, h, graph)`.
# - A Transformer layer on the complete graph *is* a graph layer.
#
# Next: **01 · Sentences as graphs**. Start JupyterLab with `make lab`; check everything with `make test`.
