# Generated from notebooks/04_transformers_are_gnns.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 04 · Transformers are Graph Neural Networks
#
# This notebook is the centre of the course. The talk's claim is short: *a Transformer layer is a graph
# neural network layer whose graph is the complete graph on the words of a sentence.* Here we check it
# with numbers, to twelve decimal places, and then we ask what the claim costs us.
#
# ## What you will learn
#
# - **Self-attention by hand**: $h_i' = \sum_{j \in S} \operatorname{softmax}_j\big(q_i \cdot k_j / \sqrt{d}\big)\, v_j$,
#   first on three words with integer features you can check with a pocket calculator, then as a loop over
#   words, then as one matrix formula, then with `gl.scaled_dot_product_attention`.
# - **The headline**: the sentence as the complete graph `gl.complete_graph(n)`; `gl.graph_attention` on it
#   gives the dense Transformer's numbers to $10^{-12}$.
# - **The talk's comparison table as code**: *which graph* (a local neighbourhood or all of $S$) and
#   *which weights* (a fixed linear sum or attention) for a GNN, a GAT and a Transformer.
# - **Why $1/\sqrt{d_k}$**: without it the softmax saturates as $d_k$ grows, and its gradient vanishes.
# - **Masks are graphs**: a boolean attention mask *is* an adjacency matrix; the causal mask is
#   `gl.causal_graph(n)`. And two mistakes with masks that the module catches, one that it cannot.
# - **The catch**: on the complete graph attention cannot see word order ("the cat sat on the mat" and
#   "the mat sat on the cat" give the same vectors), which is why Transformers add **positional encodings**.
#
# **Prerequisites.** Notebook 02 (message passing, `gl.propagate`, and why the talk's $U h_i$ is our
# `h_i @ U`) and notebook 03 (graph attention, `gl.segment_softmax`, `gl.draw_attention`). Notebook 05 builds
# the full Transformer block (multiple heads, LayerNorm, residuals, FFN) on what we do here.
#
# **Time:** about 75 minutes with the exercises. **Practice:** the functions marked
# `# ✎ practice` (`my_self_attention`, `my_causal_mask` and `my_masked_attention`) are the ones that
# `practice/04_transformers_are_gnns.ipynb` leaves for you to write (about 25 minutes more); the cell under each,
# `gl.practice.check_...`, compares it with `gnnformer_lite` and, when they differ, names the likely
# mistake. **Notation:** every symbol is listed on the course's
# [notation page](../docs/notation.md).

# %%
import matplotlib.pyplot as plt
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()  # print options, figure format and style: same outputs on every machine

# %% [markdown]
# ## 1 · The talk's equation, in our notation
#
# The talk updates the feature of word $i$ from layer $\ell$ to layer $\ell + 1$ as an attention-weighted
# sum over **every** word $j$ of the sentence $S$:
#
# $$h_i^{\ell+1} = \sum_{j \in S} \operatorname{softmax}_j\big(Q h_i^{\ell} \cdot K h_j^{\ell}\big)\, V h_j^{\ell}.$$
#
# We write features as **row vectors**, so the talk's $Q h_i$ (a matrix times a column) is our $h_i W_Q$
# (a row times a matrix): the same numbers with $W_Q = Q^\top$, as notebook 02 explained for $U h_i$. We also
# give the three projections their usual names and add the scaling by $\sqrt{d}$ that the talk's last slide
# lists as "+ scaling dot product attention" (section 6 shows why it is there):
#
# $$q_i = h_i W_Q, \qquad k_j = h_j W_K, \qquad v_j = h_j W_V, \qquad
#   \alpha_{ij} = \operatorname{softmax}_{j \in S}\left(\frac{q_i \cdot k_j}{\sqrt{d}}\right)
#   = \frac{\exp(q_i \cdot k_j / \sqrt{d})}{\sum_{j' \in S} \exp(q_i \cdot k_{j'} / \sqrt{d})}, \qquad
#   h_i' = \sum_{j \in S} \alpha_{ij}\, v_j .$$
#
# **One number, three names.** $d$ is the width of the queries and keys. The Transformer paper calls it
# $d_k$ (section 6 uses that name), and a layer with several heads (notebook 05) gives each head
# $d_\text{head} = d_\text{model} / H$ features and divides by $\sqrt{d_\text{head}}$. In this notebook there is
# one head whose queries are as wide as the features, so $d = d_k = d_\text{head}$: whenever you meet one of the
# three, it is the width of the vectors in the dot product.
#
# Word $i$ *asks* with its query $q_i$, every word $j$ *answers* with its key $k_j$; the better they match,
# the more of $j$'s value $v_j$ flows into $i$. In the language of the course, $j$ is a **sender**, $i$ a
# **receiver**, and $\alpha_{ij}$ is the weight on the edge $j \to i$.

# %% [markdown]
# ## 2 · Three words you can check by hand
#
# Take the first three words, "the cat sat", with $d = 4$ features each, chosen so that neighbouring words
# share one feature. Let $W_Q = W_K = W_V = I$, so $q_i = k_i = v_i = h_i$: attention then measures plain
# overlap between words. With $d = 4$, $\sqrt{d} = 2$, so every score is a dot product divided by 2:
#
# $$h = \begin{pmatrix} 1 & 1 & 0 & 0 \\ 0 & 1 & 1 & 0 \\ 0 & 0 & 1 & 1 \end{pmatrix}
#   \begin{matrix} \text{the} \\ \text{cat} \\ \text{sat} \end{matrix}, \qquad
#   \frac{q_i \cdot k_j}{2} = \begin{pmatrix} 1 & 0.5 & 0 \\ 0.5 & 1 & 0.5 \\ 0 & 0.5 & 1 \end{pmatrix}.$$
#
# The row of "the" is $(1, 0.5, 0)$. Its softmax is $(e^{1}, e^{0.5}, e^{0}) / (e^{1} + e^{0.5} + e^{0})$
# $= (2.718, 1.649, 1) / 5.367$ $= (0.506, 0.307, 0.186)$, and the new feature of "the" is
# $0.506\,(1,1,0,0) + 0.307\,(0,1,1,0)$ $+ 0.186\,(0,0,1,1)$ $= (0.506, 0.814, 0.494, 0.186)$.
# The cell below computes the same three steps for all three words.

# %%
tiny_words = ["the", "cat", "sat"]
h_tiny = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=float)
W_Q = W_K = W_V = np.eye(4)

q, k, v = h_tiny @ W_Q, h_tiny @ W_K, h_tiny @ W_V
scores = q @ k.T / np.sqrt(4)  # scores[i, j] = q_i . k_j / sqrt(d)
weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)  # softmax over j, per row i
out_tiny = weights @ v  # row i = sum_j weights[i, j] v_j

print("scores (row i = query / receiver, column j = key / sender):")
print(scores)
print("weights (each row sums to 1):")
print(weights)
print("h' = weights @ v:")
print(out_tiny)

# %% [markdown]
# The first rows match what we did by hand. Now the module. `gl.scaled_dot_product_attention` takes
# `q, k, v` of shape `(n, H, d_head)`: node, **head**, feature. Notebook 05 uses several heads; here we have
# one, so we insert an axis of length $H = 1$ with `q[:, None, :]`. It returns the output `(n, H, d_head)`
# and the weights `(H, n, n)`, both of which we check against ours.

# %%
out, w = gl.scaled_dot_product_attention(q[:, None, :], k[:, None, :], v[:, None, :])
print("out:", out.shape, "  weights:", w.shape)
np.testing.assert_allclose(
    out[:, 0, :], out_tiny, atol=1e-12, rtol=0, err_msg="the module's h' should be weights @ v"
)
np.testing.assert_allclose(
    w[0], weights, atol=1e-12, rtol=0, err_msg="the module's weights should be our softmax"
)
print("gl.scaled_dot_product_attention == our three lines: True")

# %% [markdown]
# The same weights in the two pictures the course uses. Left, as a **graph**: the three words, an arrow
# $j \to i$ for every pair (and a ring for each word attending to itself), drawn thicker the larger
# $\alpha_{ij}$. Right, as a **matrix**: row $i$ is the receiver, column $j$ the sender, exactly the
# orientation of an adjacency matrix `A[i, j]`.

# %%
tiny_graph = gl.complete_graph(3)  # every j -> i, self loops included: 9 edges
_, tiny_alpha = gl.graph_attention(q[:, None, :], k[:, None, :], v[:, None, :], tiny_graph)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [1.3, 1]})
gl.draw_attention(
    tiny_graph,
    tiny_alpha,
    tiny_words,
    ax=ax1,
    title=f"attention along the {tiny_graph.num_edges} edges j → i",
)
gl.attention_heatmap(
    weights, tiny_words, ax=ax2, annotate=True, title="the same weights as a matrix"
)
plt.tight_layout()
plt.show()

# %% [markdown]
# Each word attends most to itself (a word overlaps most with itself), then to the word it shares a feature
# with. "the" and "sat" share nothing (score 0), yet $e^0 = 1$ keeps a weight of $0.19$: a softmax never
# switches an edge off (section 7 shows how a mask does). "cat" shares one
# feature with each neighbour, so its row is symmetric: $(e^{0.5}, e^{1}, e^{0.5}) / 6.016 = (0.27, 0.45, 0.27)$.

# %% [markdown]
# ## 3 · The whole sentence: a loop, a matrix, a module
#
# Now the running example, `gl.example_sentence()`: ten words. We give each *word type* an embedding
# vector of $d = 8$ random numbers, and each position the embedding of its word, so the two occurrences of
# "the" start with **identical** features (this will matter in section 8). The projections are random too,
# scaled by $1/\sqrt{d}$ so that queries and keys have entries of variance about 1.

# %%
words, heads = gl.example_sentence()
n, d = len(words), 8
vocab = sorted(set(words))  # 9 word types: "the" occurs twice
rng = np.random.default_rng(0)
embedding = rng.normal(size=(len(vocab), d))  # one row per word type


def embed(sentence):
    """Features h: (len(sentence), d), the embedding row of each word."""
    return embedding[[vocab.index(word) for word in sentence]]


h = embed(words)
W_Q, W_K, W_V = (rng.normal(size=(d, d)) / np.sqrt(d) for _ in range(3))
q, k, v = h @ W_Q, h @ W_K, h @ W_V
print(" ".join(words))
print("h:", h.shape, "  q, k, v:", q.shape)
the_1, the_2 = [i for i, word in enumerate(words) if word == "the"]  # positions of the two "the"s
print(
    f"the two 'the's (positions {the_1}, {the_2}) have the same features:",
    np.array_equal(h[the_1], h[the_2]),
)

# %% [markdown]
# **The loop**, one receiver at a time, exactly as the equation reads: for word $i$, score every word
# $j \in S$, softmax the scores (subtracting the largest first, so that `exp` cannot overflow, as in
# notebook 03), and sum the values.

# %%
out_loop = np.zeros((n, d))
for i in range(n):  # receiver i
    s = np.array([q[i] @ k[j] / np.sqrt(d) for j in range(n)])  # one score per sender j in S
    a = np.exp(s - s.max())
    a /= a.sum()  # alpha_ij, j = 0 .. n-1
    out_loop[i] = sum(a[j] * v[j] for j in range(n))
print("h' from the loop, first 3 words:")
print(out_loop[:3])


# %% [markdown]
# **The matrix form.** Stack the queries as rows of $Q = hW_Q$ (and likewise $K$, $V$). Then
# $(QK^\top)_{ij} = q_i \cdot k_j$ holds every score at once, the softmax runs along each row, and
# multiplying by $V$ does every weighted sum:
#
# $$h' = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V .$$
#
# We write it as a small function, with `gl.softmax(x)` for the row-wise softmax (it subtracts each
# row's max first, as the loop did), and check it against the loop and against the module's
# `gl.self_attention` (the talk's equation, one head); from then on the notebook uses yours.

# %%
# ✎ practice: this body is yours to write in practice/04_transformers_are_gnns.ipynb
def my_self_attention(h, W_Q, W_K, W_V):
    """One head of dense self-attention: returns h' (n, d_v) and the weights alpha (n, n)."""
    q, k, v = h @ W_Q, h @ W_K, h @ W_V
    alpha = gl.softmax(q @ k.T / np.sqrt(k.shape[1]))  # (n, n): row i = receiver, over keys j
    return alpha @ v, alpha


# %%
gl.practice.check_self_attention(my_self_attention)

# %%
q3, k3, v3 = q[:, None, :], k[:, None, :], v[:, None, :]  # (n, H=1, d_head=8)
out_sdpa, w_sdpa = gl.scaled_dot_product_attention(q3, k3, v3)
out_module, alpha_module = gl.self_attention(h, W_Q, W_K, W_V)  # the talk's equation, one head

out_dense, alpha_dense = my_self_attention(h, W_Q, W_K, W_V)
np.testing.assert_allclose(
    out_dense, out_loop, atol=1e-12, rtol=0, err_msg="my_self_attention should equal the loop"
)
for name, (out_gl, alpha_gl) in {
    "gl.scaled_dot_product_attention": (out_sdpa[:, 0], w_sdpa[0]),
    "gl.self_attention": (out_module, alpha_module),
}.items():
    np.testing.assert_allclose(
        out_gl, out_dense, atol=1e-12, rtol=0, err_msg=f"my_self_attention's h' != {name}'s"
    )
    np.testing.assert_allclose(
        alpha_gl, alpha_dense, atol=1e-12, rtol=0, err_msg=f"my_self_attention's alpha != {name}'s"
    )
print("loop == matrix form == gl.self_attention == gl.scaled_dot_product_attention: True")
print("row sums of alpha:", alpha_dense.sum(axis=1))

# %% [markdown]
# ## 4 · The headline: a sentence is a fully connected graph
#
# The loop above never used an order of the words, only the set $S$ of senders for each receiver. Write
# that set as a graph: an edge $j \to i$ for every pair, self loops included, $n^2 = 100$ edges. Then
# self-attention is message passing on this graph, in the three verbs of notebook 02:
#
# 1. **gather** the query of each edge's receiver and the key and value of its sender,
#    `q[receivers]`, `k[senders]`, `v[senders]`;
# 2. **score and normalise** per receiver, $\alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}
#    (q_i \cdot k_j / \sqrt{d})$ with `gl.segment_softmax`;
# 3. **aggregate** the messages $\alpha_{ij} v_j$ at their receivers with `gl.propagate`.
#
# On the complete graph $\mathcal{N}(i) = S$ for every $i$, so this must be the dense formula. It is:

# %%
complete = gl.complete_graph(n)  # the Transformer's graph: every j -> i, itself included
out_graph, alpha_graph = gl.graph_attention(q3, k3, v3, complete)
print(complete, "  alpha:", alpha_graph.shape, "(E, H)")

np.testing.assert_allclose(  # the same new features ...
    out_graph,
    out_sdpa,
    atol=1e-12,
    rtol=0,
    err_msg="graph attention on the complete graph != dense",
)
dense_from_edges = gl.edge_weights_to_dense(complete, alpha_graph)  # (H, n, n), row = receiver
np.testing.assert_allclose(  # ... and the same weights
    dense_from_edges, w_sdpa, atol=1e-12, rtol=0, err_msg="the weights on the edges != dense ones"
)
print("graph attention on the complete graph == dense self-attention (to 1e-12): True")

# %% [markdown]
# The same check in three lines of our own, so that nothing is hidden inside `graph_attention`: gather,
# `gl.segment_softmax` over each receiver's edges, `gl.propagate`.

# %%
s_edge = np.sum(q[complete.receivers] * k[complete.senders], axis=1) / np.sqrt(d)  # (E,) scores
a_edge = gl.segment_softmax(s_edge, complete.receivers, n)  # softmax over each receiver's edges
out_mp = gl.propagate(complete, a_edge[:, None] * v[complete.senders])  # sum of alpha_ij v_j at i
np.testing.assert_allclose(
    out_mp, out_dense, atol=1e-12, rtol=0, err_msg="message passing on the complete graph != dense"
)
print("gather -> segment_softmax -> propagate == softmax(QK^T / sqrt(d)) V: True")

# %% [markdown]
# Three pictures of one computation. The complete graph has 100 edges; drawn all at once, with a width
# for each weight, they hide each other. So the graph picture draws parts of it: top, only the edges into
# one word, "it" (`receiver=`), each labelled with its weight (the row of "it" in the matrices below shows
# the same numbers as colours); middle, each word's strongest incoming edge (`top_k=1`). Arcs above the words carry
# messages rightwards ($j < i$), arcs below leftwards. Bottom: all the weights, as the dense Transformer
# computes them and as the graph layer computes them, scattered back into a matrix with
# `gl.edge_weights_to_dense`.

# %%
it = words.index("it")
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10.5, 5.8))
gl.draw_attention(
    complete,
    alpha_graph,
    words,
    ax=ax1,
    receiver=it,
    title=f"the {complete.in_degree[it]} edges j → '{words[it]}' of the complete graph",
)
gl.draw_attention(
    complete,
    alpha_graph,
    words,
    ax=ax2,
    top_k=1,
    title=f"every word's strongest incoming edge (top_k=1): {n} of the {complete.num_edges} edges",
)
plt.tight_layout()
plt.show()

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
gl.attention_heatmap(w_sdpa[0], words, ax=ax1, title="dense: softmax(QKᵀ/√d)")
gl.attention_heatmap(
    dense_from_edges[0], words, ax=ax2, title="graph: edge_weights_to_dense(complete, α)"
)
plt.tight_layout()
plt.show()

# %% [markdown]
# The two matrices are the same picture, pixel for pixel, because they are the same numbers. The graph
# drawings say what a Transformer is: every word hears every word, with a weight it chooses itself. Notice also that the two "the" rows are identical: the two words
# have the same features, so they ask the same question and get the same answer. Keep that in mind.

# %% [markdown]
# ## 5 · The talk's comparison table, run
#
# The talk places three models in a two-by-two table: **which graph** do we sum over (a local
# neighbourhood $\mathcal{N}(i)$, or all words $S$), and **how** do we sum (a simple linear transform and
# sum, or a weighted sum via attention)?
#
# | | simple linear transform and sum | weighted sum via attention |
# |---|---|---|
# | **sum over local neighbourhood** | standard GNN | GAT |
# | **sum over all words in $S$** | (a GNN on the complete graph) | **Transformer** |
#
# The two axes are independent, and in code each is one argument. The *graph* is the `graph` argument; the
# *weighting* is which layer function we call:
#
# $$\text{GNN: } h_i' = \sigma\Big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V\Big), \qquad
#   \text{attention: } h_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, v_j \text{ with }
#   \alpha_{ij} = \operatorname{softmax}_j\!\big(q_i \cdot k_j / \sqrt{d}\big).$$
#
# **Axis 1, the graph: same code, different graph.** We run `gl.gnn_layer` on the window graph of radius 1
# (each word hears its two neighbours) and on the complete graph, both without self loops because the GNN
# has its own self term $h_i U$. To see which words each output depends on, we change the features of the
# last word, "tired", and list the words whose output changes.

# %%
window = gl.window_graph(n, 1, self_loops=False)
everyone = gl.complete_graph(n, self_loops=False)
gnn_params = gl.init_gnn_layer(np.random.default_rng(1), d, d)

h_poked = h.copy()
h_poked[words.index("tired")] += 1.0  # change "tired"
for name, graph in [("window graph, radius 1", window), ("complete graph", everyone)]:
    before = gl.gnn_layer(gnn_params, h, graph)
    after = gl.gnn_layer(gnn_params, h_poked, graph)
    changed = np.abs(after - before).max(axis=1) > 1e-12
    print(
        f"gnn_layer on the {name:22s} outputs that changed: {[words[i] for i in np.flatnonzero(changed)]}"
    )

# %% [markdown]
# One layer on the window graph is **local**: only "tired" itself and its neighbour "was" notice. On the
# complete graph every word hears "tired" at once. (Notebook 02 showed that stacking local layers widens
# the receptive field one hop per layer; the complete graph has it all in one layer.)
#
# But a plain GNN on the complete graph is a poor model, and this is the empty cell of the table: with
# equal weights, every word receives *the same* sum of messages. With self loops the aggregated message
# $\sum_{j \in S} h_j V$ is literally one vector, copied to every word:

# %%
V = gnn_params["V"]
messages = gl.propagate(
    complete, (h @ V)[complete.senders]
)  # sum_{j in S} h_j V at every receiver i
print("every word receives the same aggregated message:", np.allclose(messages, messages[0]))
for i in (0, words.index("it")):
    print(f"message at {words[i]!r}:".ljust(18), messages[i].round(2))

# %% [markdown]
# **Axis 2, the weighting.** Attention replaces the equal weights by $\alpha_{ij}$ computed from the features,
# so each receiver picks its own mixture. How can we *test* whether a layer computes its weights from the
# data? Double the input. A layer that sums with fixed weights is linear, and ReLU commutes with positive
# scaling, so (with zero biases, as `init_gnn_layer` makes them) the output doubles exactly:
# $f(2h) = 2 f(h)$. In attention, doubling $h$ doubles every value $v_j$ but *quadruples* every score
# $q_i \cdot k_j$, which sharpens the softmax, so $f(2h) \neq 2 f(h)$.
#
# Below, every cell of the table as one call. For the attention models we use
# `gl.multi_head_attention(params, h, graph, num_heads=1)` with our $W_Q, W_K, W_V$ and $W_O = I$; on the
# complete graph it must reproduce our hand-written attention. The GAT is `gl.gat_layer` (additive scores,
# notebook 03), run with `activation=None`: its default ELU would bend $f(2h)$ by itself, and we want to test
# the aggregation alone.

# %%
mha_params = {"W_Q": W_Q, "W_K": W_K, "W_V": W_V, "W_O": np.eye(d)}  # one head, no output mixing
gat_params = gl.init_gat_layer(np.random.default_rng(2), d, d)
np.testing.assert_allclose(
    gl.multi_head_attention(mha_params, h, complete, num_heads=1),
    out_dense,
    atol=1e-12,
    rtol=0,
    err_msg="one head with W_O = I on the complete graph should be our self-attention",
)

models = [  # (name, layer as a function of h, graph name)
    ("standard GNN", lambda x: gl.gnn_layer(gnn_params, x, window), "window r=1"),
    ("GNN, all words", lambda x: gl.gnn_layer(gnn_params, x, everyone), "complete"),
    (
        "GAT",
        lambda x: gl.gat_layer(gat_params, x, gl.add_self_loops(window), activation=None),
        "window r=1",
    ),
    (
        "dot-product attn",
        lambda x: gl.multi_head_attention(mha_params, x, gl.window_graph(n, 1), num_heads=1),
        "window r=1",
    ),
    (
        "Transformer attn",
        lambda x: gl.multi_head_attention(mha_params, x, complete, num_heads=1),
        "complete",
    ),
]
print(f"{'model':18s} {'graph':11s} {'sums over':>11s} {'weights':>10s}")
for name, layer, graph_name in models:
    out_h = layer(h)
    all_words = np.abs(layer(h_poked)[0] - out_h[0]).max() > 1e-12  # does "the" hear "tired"?
    weighted = not np.allclose(layer(2 * h), 2 * out_h, atol=1e-12, rtol=0)  # f(2h) != 2 f(h)?
    print(
        f"{name:18s} {graph_name:11s} {'all of S' if all_words else 'N(i) only':>11s}"
        f" {'attention' if weighted else 'fixed':>10s}"
    )

# %% [markdown]
# Read the table column by column: the *graph* decides whether the first word can hear the last one in a
# single layer, and the *layer function* decides whether the weights are fixed or computed. The Transformer
# is the one model with both "all of S" and "attention". A dot-product attention layer on a window graph,
# the row in between, is a local Transformer, the idea behind sliding-window attention in long-document
# models (Longformer, Beltagy et al. 2020), and a close cousin of the GAT.

# %% [markdown]
# ## 6 · Why divide by $\sqrt{d_k}$?
#
# Suppose the entries of $q$ and $k$ are independent with mean 0 and variance 1 (roughly the situation at
# initialisation). Then $q \cdot k = \sum_{m=1}^{d_k} q_m k_m$ is a sum of $d_k$ independent terms of variance 1:
#
# $$\operatorname{Var}(q \cdot k) = d_k, \qquad \operatorname{Var}\!\left(\frac{q \cdot k}{\sqrt{d_k}}\right) = 1 .$$
#
# So the unscaled scores spread out like $\sqrt{d_k}$: at $d_k = 512$ a typical gap between two scores is
# about 30, and $e^{30} \approx 10^{13}$, so the softmax puts almost all its weight on one word. First the
# variance, measured:

# %%
rng = np.random.default_rng(3)
lines = []
for d_k in [1, 16, 256]:
    qk = np.sum(
        rng.normal(size=(10000, d_k)) * rng.normal(size=(10000, d_k)), axis=1
    )  # 10000 pairs
    lines.append(
        f"d_k = {d_k:3d}:  Var(q.k) = {qk.var():6.1f}   Var(q.k / sqrt(d_k)) = {(qk / np.sqrt(d_k)).var():.2f}"
    )
print("\n".join(lines))


# %% [markdown]
# Now the consequence for attention. For each $d_k \in \{1, 2, 4, \dots, 512\}$ we draw 100 random sentences of
# $n = 10$ words with unit-variance keys and queries (`q_std = 1.0`: the queries' standard deviation), and measure three things about each row of weights,
# with and without the scaling:
#
# - the **entropy** $-\sum_j \alpha_{ij} \log \alpha_{ij}$ (natural logarithm, so in *nats*): $\log 10 = 2.30$ for uniform attention, 0 for attention
#   on a single word;
# - the **largest weight** $\max_j \alpha_{ij}$: $0.1$ for uniform, 1 for a single word;
# - the size of the softmax's **gradient**. With $s_j$ the scores of one row, $\partial \alpha_j / \partial s_{j'} =
#   \alpha_j (\delta_{jj'} - \alpha_{j'})$, the Jacobian $J = \operatorname{diag}(\alpha) - \alpha^\top \alpha$ (with $\alpha$ a row); we plot
#   its Frobenius norm $\lVert J \rVert_F$, the square root of the sum of its squared entries.
#
# The unscaled attention is the module's scaled attention fed with $q \sqrt{d_k}$, which cancels the division.

# %%
def row_stats(alpha):
    """Mean entropy, max weight and softmax-Jacobian norm of attention rows alpha: (..., n)."""
    xlogx = alpha * np.log(np.where(alpha > 0, alpha, 1.0))  # 0 log 0 = 0, without a warning
    jac = alpha[..., :, None] * (np.eye(alpha.shape[-1]) - alpha[..., None, :])  # diag(a) - a^T a
    return -xlogx.sum(-1).mean(), alpha.max(-1).mean(), np.sqrt((jac**2).sum((-2, -1))).mean()


rng = np.random.default_rng(4)
q_std = 1.0  # standard deviation of the queries' entries (discussion question 3: try 3.0)
n_r = 10  # words per random sentence
dims = 2 ** np.arange(10)  # d_k = 1, 2, 4, ..., 512
stats = {"scaled": [], "unscaled": []}
for d_k in dims:
    q_r = rng.normal(scale=q_std, size=(100, n_r, 1, d_k))  # 100 sentences, n_r words, H = 1
    k_r = rng.normal(size=(100, n_r, 1, d_k))
    v_r = np.zeros((100, n_r, 1, 1))  # the values do not matter for the weights
    _, a_scaled = gl.scaled_dot_product_attention(q_r, k_r, v_r)
    _, a_raw = gl.scaled_dot_product_attention(q_r * np.sqrt(d_k), k_r, v_r)  # scores q.k, unscaled
    stats["scaled"].append(row_stats(a_scaled))
    stats["unscaled"].append(row_stats(a_raw))
stats = {key: np.array(val) for key, val in stats.items()}  # (len(dims), 3 statistics)

for key in stats:
    ent, top, grad = stats[key][-1]
    print(f"d_k = {dims[-1]}, {key:8s}: entropy {ent:.2f}, max weight {top:.2f}, ||J|| {grad:.3f}")
first, last = stats["scaled"][[0, -1], 0]
print(
    f"scaled, queries of std {q_std:g}: entropy {first:.2f} at d_k = {dims[0]}, "
    f"{last:.2f} at d_k = {dims[-1]}"
)

# %%
fig, axes = plt.subplots(1, 3, figsize=(12.5, 3.5))
labels = ["entropy of a row of α (nats)", "largest weight max_j α_ij", "softmax gradient ‖J‖_F"]
uniform = [np.log(n_r), 1 / n_r, np.sqrt(n_r - 1) / n_r]  # the values for uniform attention
for m, (ax, label) in enumerate(zip(axes, labels, strict=True)):
    ax.plot(dims, stats["scaled"][:, m], "o-", label="scaled: q·k / √d_k")
    ax.plot(dims, stats["unscaled"][:, m], "s--", label="unscaled: q·k")
    ax.axhline(uniform[m], color="0.5", lw=0.8, ls=":", label="uniform attention")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("key dimension d_k")
    ax.set_ylabel(label)
    ax.set_title(label.split(" (")[0])
axes[0].legend()
plt.tight_layout()
plt.show()


# %% [markdown]
# With the scaling (circles) the curves are nearly flat: the scores always have variance 1, the
# attention stays spread over several words, and the gradient keeps the same size. Nearly, not exactly
# (the last print: the entropy drifts from 2.01 nats at $d_k = 1$ to 1.92): the scores of *one row* are
# $q_i \cdot k_j / \sqrt{d_k}$ for one fixed query, so their spread over $j$ is $\lVert q_i \rVert / \sqrt{d_k}$,
# which is close to 1 for every row when $d_k$ is large, but a random number for small $d_k$ (at $d_k = 1$
# it is $|q_i|$, 0.8 on average): some rows come out almost uniform, others sharp. Without the scaling
# (squares) the entropy falls towards 0 and the largest weight climbs towards 1 as $d_k$ grows: every word
# attends to a single other word, chosen by the noise of the initialisation.
#
# The third panel is why this matters for training. When a row of $\alpha$ is nearly one-hot, every entry of
# $J = \operatorname{diag}(\alpha) - \alpha^\top\alpha$ is nearly 0 (for a one-hot $\alpha$ it is exactly 0): nudging a
# score changes no weight, so the gradient that flows back through the softmax into $W_Q$ and $W_K$
# vanishes, and the layer cannot learn *where* to attend. Dividing by $\sqrt{d_k}$ is the cheapest possible
# fix: it keeps the softmax in the region where it has a slope, for any width. (The talk lists it with
# LayerNorm and residual links as the "tricks" of the final picture; notebook 05 does the other two.)

# %% [markdown]
# ## 7 · Masks are graphs
#
# Transformers restrict attention with a **mask**: a boolean $(n, n)$ array with `mask[i, j] = True` when
# query $i$ may attend to key $j$; the forbidden scores are set to $-\infty$ before the softmax, so their
# weights are exactly 0. Read that definition again with the course's notation: "i may attend to j" means
# "there is an edge $j \to i$", which is `A[i, j] = 1`. **A mask is an adjacency matrix**, and masked
# attention is graph attention on that graph.
#
# The most common mask is the causal one of a language model: word $i$ may see itself and the words before
# it, so the model cannot peek at the word it must predict. As a graph, that is `gl.causal_graph(n)`; as an
# array, with row $i$ the query and column $j$ the key,
#
# $$\text{mask}[i, j] = (j \le i), \qquad i, j = 0, \dots, n - 1.$$

# %%
# ✎ practice: this body is yours to write in practice/04_transformers_are_gnns.ipynb
def my_causal_mask(n):
    """The causal mask (n, n) bool: mask[i, j] = True iff query i may attend to key j <= i."""
    i, j = np.indices((n, n))  # i[i, j] = i (the row, query), j[i, j] = j (the column, key)
    return j <= i


# %%
gl.practice.check_causal_mask(my_causal_mask)


# %% [markdown]
# **Masked attention** is the attention of section 3 with the blocked scores set to $-\infty$, for every
# head at once: `q`, `k`, `v` of shape `(n, H, d)` as `gl.scaled_dot_product_attention` takes them, one
# mask for all heads. For head $m$, with $s_{ij} = q^{(m)}_i \cdot k^{(m)}_j / \sqrt{d}$,
#
# $$w^{(m)}_{ij} = \frac{\exp(s_{ij})}{\sum_{j' :\, \text{mask}[i, j']} \exp(s_{ij'})} \text{ where mask}[i, j],
# \quad 0 \text{ elsewhere}, \qquad \text{out}^{(m)}_i = \sum_j w^{(m)}_{ij}\, v^{(m)}_j .$$
#
# Subtract each row's largest allowed score before `exp` (notebook 03, section 4). One row needs care: a
# query whose mask row is all `False` has nothing to attend to, its largest score is $-\infty$ and
# $\exp(-\infty - (-\infty))$ is NaN. Give it weights 0 and output 0, as the module does (and as message
# passing does for a node without incoming edges): subtract 0 instead of $-\infty$ and divide by 1 instead
# of 0. The end of this section shows why.

# %%
# ✎ practice: this body is yours to write in practice/04_transformers_are_gnns.ipynb
def my_masked_attention(q, k, v, mask):
    """Attention of every head under mask (True = may attend): (out (n, H, d_v), w (H, n, n))."""
    d = q.shape[-1]
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d)  # (H, n, n): q_i . k_j / sqrt(d)
    scores = np.where(mask, scores, -np.inf)  # blocked: exp(-inf) = 0
    top = scores.max(axis=-1, keepdims=True)
    ex = np.exp(scores - np.where(np.isfinite(top), top, 0.0))  # a row with nothing: subtract 0
    total = ex.sum(axis=-1, keepdims=True)
    weights = ex / np.where(total > 0, total, 1.0)  # that row: 0 / 1 = 0, not 0 / 0
    return np.einsum("hij,jhd->ihd", weights, v), weights


# %%
gl.practice.check_masked_attention(my_masked_attention)

# %%
mask = my_causal_mask(n)  # mask[i, j] = (j <= i): the causal mask
causal = gl.causal_graph(n)
print("mask == causal.adjacency() > 0:", np.array_equal(mask, causal.adjacency() > 0))
print(
    causal,
    f"(the dense version scores all {n * n} pairs, then throws {n * n - causal.num_edges} away)",
)

out_masked, w_masked = my_masked_attention(q3, k3, v3, mask)
out_module, w_module = gl.scaled_dot_product_attention(q3, k3, v3, mask=mask)
np.testing.assert_allclose(
    w_masked, w_module, atol=1e-12, rtol=0, err_msg="my_masked_attention != the module's weights"
)
out_causal, alpha_causal = gl.graph_attention(q3, k3, v3, causal)
np.testing.assert_allclose(
    out_causal,
    out_masked,
    atol=1e-12,
    rtol=0,
    err_msg="masked attention should be graph attention on the graph whose adjacency is the mask",
)
np.testing.assert_allclose(
    gl.edge_weights_to_dense(causal, alpha_causal),
    w_masked,
    atol=1e-12,
    rtol=0,
    err_msg="the weights on the graph's edges should be the masked weights",
)
print("masked dense attention == graph attention on the graph `causal`: True")

# %%
np.testing.assert_array_equal(w_masked[0][~mask], 0, err_msg="a blocked pair should get weight 0")
fig, ax = plt.subplots(figsize=(5.6, 4.4))
gl.attention_heatmap(
    w_masked[0],
    words,
    ax=ax,
    title=f"attention under `mask`: its {(~mask).sum()} blocked cells are 0",
)
plt.show()

# %% [markdown]
# The upper triangle is exactly 0 and each row still sums to 1, so the first word, "the", has only itself to
# attend to (weight 1), and the last word, "tired", spreads its attention over the whole sentence. As a graph
# picture, every arc would point rightwards: information only flows forward in the sentence (draw it with
# `gl.draw_attention(causal, alpha_causal, words)` if you like). Changing the graph changed nothing else in
# the computation.

# %% [markdown]
# **If you use PyTorch, mind the sign of the mask.** The course's mask says `True` = *may attend*,
# like the boolean `attn_mask` of `torch.nn.functional.scaled_dot_product_attention`. But
# `torch.nn.MultiheadAttention` and `torch.nn.TransformerEncoderLayer` (`attn_mask`, `src_mask`, and
# `key_padding_mask`) read a boolean `True` as **blocked**, the opposite. The conversion is one
# negation, `~mask`. Passing a mask of one convention where the other is expected raises no error; it
# just inverts the graph, as the last lines show:

# %%
torch_mask = ~mask  # for nn.MultiheadAttention(attn_mask=...): True = blocked
print("course mask, row of the first word (1 = may attend):", mask[0].astype(int))
print("PyTorch's attn_mask, same row       (1 = blocked):   ", torch_mask[0].astype(int))
np.testing.assert_array_equal(~torch_mask, mask, err_msg="negating twice should give the mask back")

_, w_inverted = my_masked_attention(q3, k3, v3, torch_mask)  # the wrong convention
for i in (0, n - 1):
    print(
        f"PyTorch's mask read as ours: {words[i]!r} attends to",
        [words[j] for j in np.flatnonzero(w_inverted[0, i] > 0)],
    )

# %% [markdown]
# ### Three mistakes with masks
#
# Because a mask is "just an array", it is easy to pass the wrong one. The module refuses the two mistakes
# it can detect, with a message that says what it expected. First, a 0/1 mask of **floats** (what
# `np.tril(np.ones((n, n)))` gives if you forget `dtype=bool`): a float mask is ambiguous (is it a mask, or an
# additive bias of $0$ and $-\infty$, as PyTorch also accepts?), so it is refused. Second, a mask of the **wrong
# shape**, here one row short, as if the sentence had lost a word.

# %%
float_mask = np.tril(np.ones((n, n)))  # forgot dtype=bool: 0.0 / 1.0
gl.show_error(lambda: gl.scaled_dot_product_attention(q3, k3, v3, mask=float_mask))
short_mask = mask[:-1]  # shape (9, 10): one row short
gl.show_error(lambda: gl.scaled_dot_product_attention(q3, k3, v3, mask=short_mask))

# %% [markdown]
# The third mistake no function can catch: a **transposed** mask. `mask.T` has the right shape and dtype,
# but it means "$i$ may attend to $j$ when $j \ge i$": every word sees the *future*. With an explicit graph
# this mix-up cannot happen silently, because an edge says which end is the sender and which the receiver.

# %%
_, w_wrong = my_masked_attention(q3, k3, v3, mask.T)
print("weight above the diagonal, correct mask:   ", f"{np.triu(w_masked[0], 1).sum():.4f}")
print("weight above the diagonal, transposed mask:", f"{np.triu(w_wrong[0], 1).sum():.4f}")
if (mask == mask.T).all():  # exercise 2's window mask, for one
    print("this mask is symmetric: its transpose is the same graph, nothing leaks")
else:
    print(
        f"{words[0]!r} (first word) attends to",
        [words[j] for j in np.flatnonzero(w_masked[0, 0] > 0)],
        "with the mask,",
        [words[j] for j in np.flatnonzero(w_wrong[0, 0] > 0)],
        "with its transpose",
    )

# %% [markdown]
# **A word with nothing to attend to.** Take the causal mask without the diagonal (each word sees only
# earlier words). The first word's row is all $-\infty$, and the textbook softmax divides $0$ by $0$: NaN,
# which then spreads through every later layer. The module, like your `my_masked_attention`, instead gives
# such a word the output 0, the same convention as a node without incoming edges in message passing (an
# empty sum is 0).

# %%
strict = np.tril(np.ones((n, n), dtype=bool), k=-1)  # j < i: word 0 sees nothing
naive_scores = np.where(strict, q @ k.T / np.sqrt(d), -np.inf)
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(naive_scores) / np.exp(naive_scores).sum(axis=1, keepdims=True)
print(f"textbook softmax, row of {words[0]!r}:", naive[0, :4], "...")

out_strict, _ = gl.scaled_dot_product_attention(q3, k3, v3, mask=strict)
print(f"module, output of {words[0]!r}:      ", out_strict[0, 0, :4], "...")
print("any NaN in the module's output:", bool(np.isnan(out_strict).any()))
np.testing.assert_allclose(
    my_masked_attention(q3, k3, v3, strict)[0],
    out_strict,
    atol=1e-12,
    rtol=0,
    err_msg="my_masked_attention should give a word with nothing to attend to the output 0",
)

# %% [markdown]
# ## 8 · The catch: on the complete graph, word order is invisible
#
# Look again at the equation of section 1: nothing in it mentions *where* word $j$ sits. The complete graph
# has no order either: every node is connected to every node in the same way. So if we shuffle the words,
# every word gets the same new feature as before, only at its new place. In symbols, with a permutation matrix
# $P$ (each row has one 1, so $Ph$ reorders the rows of $h$):
#
# $$\operatorname{Attn}(P h) = P\, \operatorname{Attn}(h) .$$
#
# The proof is one line: the scores become $P (QK^\top) P^\top$, the row-wise softmax commutes with reordering
# rows and columns, and $P^\top P = I$ cancels inside. Attention is **permutation equivariant**, like every GNN
# layer (a graph has no "first node"). Check it on a random shuffle of the sentence:

# %%
perm = np.random.default_rng(5).permutation(n)
P = np.eye(n)[perm]  # (P @ h)[i] = h[perm[i]]
print("shuffled:", " ".join(words[j] for j in perm))

out_shuffled, _ = my_self_attention(P @ h, W_Q, W_K, W_V)
np.testing.assert_allclose(
    out_shuffled,
    P @ out_dense,
    atol=1e-12,
    rtol=0,
    err_msg="attention without positions should be permutation equivariant (any permutation)",
)
print("attention(P h) == P attention(h): True, the outputs just move with their words")

# %% [markdown]
# For language this is a disaster. "the cat sat on the mat" and "the mat sat on the cat" are the same
# six words in a different order, so (swapping positions 1 and 5) attention gives them the same six output
# vectors, and "cat" gets the same vector whether it did the sitting or was sat on.

# %%
s1 = words[:6]  # the cat sat on the mat
i_cat, i_mat = s1.index("cat"), s1.index("mat")
swap = list(range(len(s1)))
swap[i_cat], swap[i_mat] = i_mat, i_cat  # exchange "cat" and "mat"
s2 = [s1[j] for j in swap]  # the mat sat on the cat
out1, a1 = my_self_attention(embed(s1), W_Q, W_K, W_V)
out2, a2 = my_self_attention(embed(s2), W_Q, W_K, W_V)
np.testing.assert_allclose(
    out2, out1[swap], atol=1e-12, rtol=0, err_msg="swapping two words should swap their outputs"
)
print(" ".join(s1), "|", " ".join(s2))
print(
    "'cat' gets the same vector in both sentences:",
    np.allclose(out1[i_cat], out2[s2.index("cat")], atol=1e-12, rtol=0),
)
print(
    "and so do the two 'the's within a sentence:  ",
    np.allclose(out1[the_1], out1[the_2], atol=1e-12, rtol=0),
)

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.8))
gl.attention_heatmap(a1, s1, ax=ax1, title="“the cat sat on the mat”")
gl.attention_heatmap(a2, s2, ax=ax2, title="“the mat sat on the cat”")
plt.tight_layout()
plt.show()

# %% [markdown]
# The right matrix is the left one with rows 1 and 5 swapped, and columns 1 and 5 swapped: follow the row of
# "sat" (the same in both) and see its weights on "cat" and "mat" trade places. No information about order
# entered the computation, so none can come out.

# %% [markdown]
# ## 9 · Positional encodings break the symmetry
#
# The Transformer's fix is to make position part of each word's features: add a vector $PE_p$ that depends
# only on the position $p$, $h_p \leftarrow h_p + PE_p$. The original Transformer uses sines and cosines at
# geometrically spaced frequencies:
#
# $$PE_{p,\,2m} = \sin\!\left(\frac{p}{10000^{2m/d}}\right), \qquad
#   PE_{p,\,2m+1} = \cos\!\left(\frac{p}{10000^{2m/d}}\right).$$
#
# First we check the formula against `gl.sinusoidal_encoding(n, d)`, then we look at it for 40 positions and
# $d = 64$: each column is a wave over positions, fast on the left and ever slower to the right.

# %%
n_pos, d_pe = 40, 64
p = np.arange(n_pos)[:, None]  # positions, as a column
freq = 10000.0 ** (-np.arange(0, d_pe, 2) / d_pe)  # one frequency per (sin, cos) pair
pe_mine = np.zeros((n_pos, d_pe))
pe_mine[:, 0::2], pe_mine[:, 1::2] = np.sin(p * freq), np.cos(p * freq)
pe = gl.sinusoidal_encoding(n_pos, d_pe)
np.testing.assert_allclose(
    pe_mine, pe, atol=1e-12, rtol=0, err_msg="our sin/cos formula should be gl.sinusoidal_encoding"
)
print("PE:", pe.shape, " our formula == gl.sinusoidal_encoding: True")

similarity = pe @ pe.T / (d_pe / 2)  # PE_p . PE_p = d/2 (sin^2 + cos^2 = 1 per pair): diagonal = 1
p0 = 10
print(
    f"similarity of position {p0} to positions {p0 - 2}..{p0 + 2}:", similarity[p0, p0 - 2 : p0 + 3]
)
print(f"smallest similarity of any two positions: {similarity.min():.2f}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
im = ax1.imshow(pe, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
ax1.set_xlabel("dimension (columns 2m, 2m+1: sin, cos at one frequency)")
ax1.set_ylabel("position p")
ax1.set_title("sinusoidal encoding PE: positions × dimensions")
ax1.grid(False)
fig.colorbar(im, ax=ax1, fraction=0.046, pad=0.04)
lo = similarity.min()  # the colour scale spans the values that occur, not -1 ... 1
im = ax2.imshow(similarity, cmap="viridis", vmin=lo, vmax=1)
ax2.set_xlabel("position p′")
ax2.set_ylabel("position p")
ax2.set_title(f"similarity PE_p · PE_p′ / (d/2): from {lo:.2f} to 1")
ax2.grid(False)
fig.colorbar(im, ax=ax2, fraction=0.046, pad=0.04)
plt.tight_layout()
plt.show()

# %% [markdown]
# Left: every position gets its own pattern, and no two rows are equal. Right: the dot product between two
# positions is largest on the diagonal and falls off as they move apart, so **nearby positions are similar**,
# and the matrix is constant along each diagonal: $PE_p \cdot PE_{p'} = \sum_m \cos\big((p - p')\,\omega_m\big)$
# depends only on the offset $p - p'$. Its colour scale runs only over the values that occur (printed
# above): no two of the 40 positions are dissimilar, because the slow dimensions on the right of the left
# picture are almost constant ($\cos \approx 1$, $\sin \approx 0$) and add the same amount to every dot
# product. Attention scores can therefore learn things like "the previous word" that
# hold at every position (notebook 05 builds such a head).
#
# Now add the encoding to our sentence and repeat the shuffle test of section 8. Shuffling the words moves
# their embeddings but **not** the positions, which stay $0, 1, \dots, n-1$. The check that passed before now
# fails, and the two "the"s, at positions 0 and 4, are no longer twins:

# %%
pe_sent = gl.sinusoidal_encoding(n, d)  # (10, 8): one position vector per word
out_pos, _ = my_self_attention(h + pe_sent, W_Q, W_K, W_V)
# shuffle the words, keep the positions:
out_pos_shuffled, _ = my_self_attention(P @ h + pe_sent, W_Q, W_K, W_V)

gap = np.abs(out_pos_shuffled - P @ out_pos).max()
if gap > 1e-6:
    print(f"attention(P h + PE) != P attention(h + PE): outputs differ by up to {gap:.2f} (> 1e-6)")
else:
    print(f"still permutation equivariant: outputs differ by at most {gap:.1e}")
print(
    f"distance between the two 'the' outputs: without PE {np.linalg.norm(out_dense[the_1] - out_dense[the_2]):.2f},"
    f" with PE {np.linalg.norm(out_pos[the_1] - out_pos[the_2]):.2f}"
)

s1_pos, _ = my_self_attention(embed(s1) + pe_sent[:6], W_Q, W_K, W_V)
s2_pos, _ = my_self_attention(embed(s2) + pe_sent[:6], W_Q, W_K, W_V)
print(
    f"'cat' in the two sentences now differs by {np.linalg.norm(s1_pos[i_cat] - s2_pos[s2.index('cat')]):.2f}"
)

# %% [markdown]
# Order now reaches the model, but notice *how*: not through the graph, which is still complete and
# symmetric, but through the node features. The graph-learning community does the same for graphs, which have
# no left-to-right order to encode: **Laplacian positional encodings** (Dwivedi & Bresson, 2020) give each node
# the low-frequency eigenvectors of the graph Laplacian, `gl.laplacian_encoding(graph, k)`. On a sentence written
# as a path graph, and with the plain Laplacian $L = D - A$ (`normalization=None`), those eigenvectors are
# exactly cosines of the position, the same family as the sinusoids above (with linearly rather than
# geometrically spaced frequencies). The function's default, `normalization="sym"`, uses
# $I - D^{-1/2} A D^{-1/2}$, which treats the two end words (one neighbour each) differently from the rest; its
# eigenvectors are close to cosines, not equal. Exercise 3 lets you check both.

# %% [markdown]
# ## Summary
#
# - Self-attention updates word $i$ as $h_i' = \sum_{j \in S} \operatorname{softmax}_j(q_i \cdot k_j / \sqrt{d})\, v_j$
#   with $q = hW_Q$, $k = hW_K$, $v = hW_V$; the loop, the matrix form $\operatorname{softmax}(QK^\top/\sqrt{d})V$ and
#   `gl.scaled_dot_product_attention` (shapes `(n, H, d_head)`) agree to $10^{-12}$.
# - **A Transformer layer is a graph attention layer on the complete graph**: `gl.graph_attention(q, k, v,
#   gl.complete_graph(n))` gives the same outputs and, through `gl.edge_weights_to_dense`, the same weights.
# - The talk's table has two independent axes: the **graph** (local $\mathcal{N}(i)$ or all of $S$) is an argument;
#   the **weighting** (fixed sum or attention) is the layer. A fixed sum over the complete graph gives every word
#   the same message, which is why the Transformer needs attention.
# - $\operatorname{Var}(q \cdot k) = d_k$: without $1/\sqrt{d_k}$ the softmax saturates as $d_k$ grows, attention
#   becomes one-hot and its gradient vanishes.
# - **A mask is an adjacency matrix** (`mask == g.adjacency() > 0`); the causal mask is `gl.causal_graph(n)`.
#   The module refuses float and mis-shaped masks, gives 0 (not NaN) to a word with nothing to attend to, but
#   cannot notice a transposed mask.
# - On the complete graph attention is permutation equivariant: word order is invisible. Positional encodings,
#   added to the features, break the symmetry.

# %% [markdown]
# ## Exercises
#
# **1. Wider keys, no scaling.** In the cell that computes `stats`, change `dims = 2 ** np.arange(10)` to
# `2 ** np.arange(11)` so that $d_k$ reaches 1024. *Predict* the average largest weight without scaling at
# $d_k = 1024$, and the entropy. Run the cell and the plot cell to check.
#
# <details><summary>Answer</summary>
#
# The unscaled scores have standard deviation $\sqrt{1024} = 32$, so the gap between the largest and the
# second-largest of ten scores is typically tens of units and $e^{-\text{gap}}$ is negligible: the largest
# weight is very close to 1 (0.97 on average, up from 0.96 at 512) and the entropy close to 0 (0.08 nats);
# the softmax gradient shrinks further (0.045); the print says `d_k = 1024`. The scaled curves stay where they
# were (entropy 1.93 at $d_k = 1024$, 1.92 at 512): the scaled scores have variance 1 at every $d_k$.
# </details>
#
# **2. A local Transformer.** In the causal-mask cell (the one that starts with `mask = my_causal_mask(n)`),
# replace `mask = my_causal_mask(n)` by the window graph of radius 1, `mask = gl.window_graph(n, 1).adjacency() > 0`, and `causal = gl.causal_graph(n)` by
# `causal = gl.window_graph(n, 1)`. *Predict* the heatmap, the number of edges, and which assertions still pass.
# Run the cell and the plot cell to check.
#
# <details><summary>Answer</summary>
#
# A band of width 3 around the diagonal: each word attends to its left neighbour, itself and its right
# neighbour, and each row still sums to 1, so the first and last words split their attention between only two
# words. Every check still passes (the first print says `True`, the three `assert_allclose` pass): the mask is the
# window graph's adjacency, and masked dense attention is graph attention on whatever graph the mask describes.
# The edge count drops from 55 to 28 ($3n - 2$), so the dense version throws 72 of its 100 scores away, and the
# heatmap's title counts 72 blocked cells. Only the variable's name `causal` is now wrong. The later cells of
# section 7 use `mask` too; re-run the notebook from the top to restore the causal mask.
# </details>
#
# **3. Laplacian positions of a sentence.** In a new cell, compute
# `lap = gl.laplacian_encoding(gl.path_graph(n), 3, normalization=None)` and the cosines
# `cos = np.cos(np.pi * np.outer(np.arange(n) + 0.5, [1, 2, 3]) / n)`. *Predict* how the columns of `lap` relate
# to the columns of `cos`. Check with `np.abs(np.sum(lap * cos, axis=0) / np.linalg.norm(cos, axis=0))`
# (the absolute cosine similarity of matching columns). Then repeat with the default normalisation,
# `gl.laplacian_encoding(gl.path_graph(n), 3)`. Do not print `lap` itself: an eigenvector is only
# defined up to its sign.
#
# <details><summary>Answer</summary>
#
# Column $m - 1$ of `lap` is the unit-length version of $\cos(\pi m (p + \tfrac12)/n)$, up to sign, so all
# three similarities are 1 (NumPy prints `[1. 1. 1.]`). The eigenvalues are $2 - 2\cos(\pi m / n)$: the Laplacian "frequencies" of a
# chain are $\pi m/n$, evenly spaced, whereas the sinusoidal encoding spaces its frequencies geometrically,
# from 1 down to $1/10000$. With the default `normalization="sym"` the similarities drop to 0.98, 0.97 and
# 0.96: close to cosines, but only $L = D - A$ gives them exactly.
# </details>
#
# **4. A query that asks nothing.** In a new cell, run
# `out0, alpha0 = gl.self_attention(h, np.zeros((d, d)), W_K, W_V)`. *Predict* `alpha0` and `out0` before printing
# them. Which cell of the talk's table is this?
#
# <details><summary>Answer</summary>
#
# Every score is 0, so every weight is $1/n = 0.1$: uniform attention. Every word gets the same output, the
# mean of the values $\frac1n \sum_{j \in S} v_j$. That is the empty cell of the table, "a simple sum over all
# words" (with mean instead of sum aggregation): with no query, attention degenerates into the GNN on the
# complete graph, where every word receives the same message.
# </details>

# %% [markdown]
# ## Discussion questions
#
# 1. **Is a fully connected graph the right graph for a sentence?** It lets "it" reach "cat" in one layer, but
#    costs $n^2$ edges and throws away the syntax that the dependency tree gives us for free. In the comparison
#    cell of section 5, add this row to the list `models` (just before its closing `]`):
#    `("attention, tree", lambda x: gl.multi_head_attention(mha_params, x, gl.dependency_graph(heads, self_loops=True), num_heads=1), "tree"),`
#    What does "the" hear from "tired" in one layer? In how many layers would it hear it? (Count the hops with
#    `print(gl.hop_distance(gl.dependency_graph(heads))[words.index("the"), words.index("tired")])`.) When would
#    you want the sparse graph, and when the complete one?
# 2. **If order is invisible, what is the Transformer's inductive bias?** A convolution assumes locality, an RNN
#    assumes sequence; attention on the complete graph assumes only that the input is a *set*. In the shuffle cell of
#    section 9, scale the encoding: replace its first line by `pe_sent = 0.1 * gl.sinusoidal_encoding(n, d)`, then
#    by `pe_sent = 10 * gl.sinusoidal_encoding(n, d)`; for another permutation, add
#    `P = np.eye(n)[np.random.default_rng(6).permutation(n)]` as the cell's first line. How strongly must
#    position be encoded before it matters? Is "a set plus position features" a weaker or a stronger assumption
#    than "a sequence"?
# 3. **Why is the Transformer hard to train?** Section 6 shows one failure at initialisation: saturated softmax,
#    vanishing gradient. In the `stats` cell, give the queries a bad initialisation: `q_std = 3.0` instead of
#    `q_std = 1.0`, then rerun it and the plot. Does the scaling still save you? How might learning-rate warm-up,
#    or where LayerNorm sits (notebook 05), help keep the scores in the useful range during training?
# 4. **Do different heads learn different relations?** The headline cell uses one head. Our random head
#    attends by accident; a trained head might attend to a word's syntactic head or to the previous word. Paste
#    this into a new cell below the headline cell (section 4): a layer with two fresh random heads on `complete`,
#    and each head's weights as a heatmap.
#
#    ```python
#    p2 = gl.init_multi_head_attention(np.random.default_rng(0), d, num_heads=2)
#    _, alpha2 = gl.multi_head_attention(p2, h, complete, return_attention=True)  # (E, 2)
#    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
#    for m, ax in enumerate(axes):
#        gl.attention_heatmap(gl.edge_weights_to_dense(complete, alpha2)[m], words, ax=ax, title=f"head {m}")
#    plt.show()
#    ```
#
#    Compare the two heads' heatmaps; notebook 05 designs heads that follow the dependency tree on purpose.

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group and blog post (2020): <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - Ashish Vaswani, Noam Shazeer, Niki Parmar, Jakob Uszkoreit, Llion Jones, Aidan N. Gomez, Łukasz Kaiser,
#   Illia Polosukhin, *Attention Is All You Need*, NeurIPS 2017 (self-attention, $1/\sqrt{d_k}$, the sinusoidal
#   encoding): [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)
# - Alexander Rush et al., *The Annotated Transformer* (the paper as runnable code):
#   <https://nlp.seas.harvard.edu/annotated-transformer/>
# - Petar Veličković et al., *Graph Attention Networks*, ICLR 2018 (the GAT row of the table):
#   [arXiv:1710.10903](https://arxiv.org/abs/1710.10903)
# - Vijay Prakash Dwivedi, Xavier Bresson, *A Generalization of Transformer Networks to Graphs*, 2020 (Laplacian
#   positional encodings): [arXiv:2012.09699](https://arxiv.org/abs/2012.09699)
# - Iz Beltagy, Matthew E. Peters, Arman Cohan, *Longformer: The Long-Document Transformer*, 2020 (sliding-window
#   attention): [arXiv:2004.05150](https://arxiv.org/abs/2004.05150)
# - PyTorch's masks: [`torch.nn.MultiheadAttention`](https://docs.pytorch.org/docs/stable/generated/torch.nn.MultiheadAttention.html)
#   (`True` = blocked) and [`torch.nn.functional.scaled_dot_product_attention`](https://docs.pytorch.org/docs/stable/generated/torch.nn.functional.scaled_dot_product_attention.html)
#   (`True` = may attend)
# - The course's notation, and the same symbols in the papers and libraries: [notation page](../docs/notation.md)
#
