# Generated from notebooks/06_which_graph.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 06 · Which graph is a sentence?
#
# Notebook 04 showed that a Transformer layer is graph attention on the **complete graph** of a
# sentence, and notebook 05 built the whole block on it. The blog post of the talk ends with
# open questions; two of them are about the complete graph: *is the fully connected graph the right
# graph for a sentence?*, and *if the graph has no order, how does the model know where each
# word is?* This notebook answers both with experiments you can run and change. The first
# answer is that **sparse attention is attention on a sparser graph**: the efficient
# Transformers for long documents that use sparse attention (Sparse Transformers, Longformer,
# BigBird) keep the layer of notebook 05 and change only the `graph` argument. (Others, such as
# low-rank or kernel approximations of the softmax, change the layer instead; they are not in
# this notebook.) The second is that **positions can come
# from the graph itself**, as the eigenvectors of its Laplacian.
#
# ## What you will learn
#
# - **Sparse attention = attention on a sparser graph.** Window, dilated window, global tokens
#   (Longformer), random edges and BigBird (window + global + random), and the dependency tree,
#   each a `gl.Graph` on the running sentence; one `gl.multi_head_attention` call runs on all of
#   them, and a masked softmax written by hand gives the same numbers.
# - **Reach.** One layer of window attention of radius $r$ lets a word hear words at most $r$
#   away; $L$ layers reach $L \cdot r$. We compute *who can influence whom* from the graph's powers,
#   check it with one-hot features and with real attention layers, and see what global tokens
#   buy (every pair two hops apart) and what they cost.
# - **Cost.** Dense attention computes $n^2$ scores, sparse attention $E$; we time both from
#   $n = 16$ to $4096$ words, fit the slopes on log-log axes ($\approx 2$ and $\approx 1$), and
#   compute the memory of the intermediate arrays from their shapes.
# - **Positions from the graph.** The Laplacian eigenvectors of the path graph are exactly the
#   cosines $\cos(\pi m (p + \tfrac12)/n)$; Laplacian positional encodings (Dwivedi & Bresson)
#   carry the idea to the dependency tree and to the karate club. Why an eigenvector has no sign,
#   and why repeated eigenvalues have no basis.
# - **Batching is a disjoint graph.** A batch of sentences of different lengths as one
#   block-diagonal graph gives the same outputs as a padded tensor with a padding mask, without
#   the padding: we measure the waste for a realistic mix of lengths.
#
# **Before this notebook:** 01 (the graphs of a sentence, batching), 02 (the receptive field),
# 04 (attention on the complete graph, masks are graphs, positional encodings) and 05
# (`gl.multi_head_attention`). Symbols as in [the notation page](../docs/notation.md): edge
# $j \to i$ goes from sender $j$ to receiver $i$, `A[i, j] = 1` iff $j \to i$, features are row
# vectors. Time: about 70 minutes.

# %%
import os

# Part 3 times dense against sparse attention. NumPy's BLAS (the linear-algebra library
# behind `@`) would run the dense products on
# several threads but the sparse kernel runs on one, and on a shared machine BLAS threads wait
# for each other, which makes timings erratic: we give every computation one thread. Only the
# speed changes, never a number. (Must run before NumPy is imported: restart the kernel.)
for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import time
from functools import partial

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()

# %% [markdown]
# ## The running example
#
# The sentence of the course, its dependency tree, and features as in notebook 05: a random
# embedding per vocabulary word plus the sinusoidal position encoding, $d_\text{model} = 16$.

# %%
words, heads = gl.example_sentence()
n = len(words)
d_model, num_heads = 16, 2
vocab = sorted(set(words))
rng = np.random.default_rng(0)
embedding = rng.normal(size=(len(vocab), d_model))  # one row per vocabulary word
h = embedding[[vocab.index(w) for w in words]] + gl.sinusoidal_encoding(n, d_model)
print(" ".join(words))
print(f"n = {n} words, h: {h.shape}")


# %% [markdown]
# ## Part 1 · Sparse attention is attention on a sparser graph
#
# Attention updates word $i$ with a softmax-weighted sum over its incoming neighbours:
#
# $$h_i' = \sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, v_j, \qquad
# \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}\left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right).$$
#
# The Transformer takes $\mathcal{N}(i) = S$, all $n$ words: $n^2$ scores per head. Every
# "efficient attention" pattern for long texts picks a smaller $\mathcal{N}(i)$, that is, a
# sparser graph. The ones we build, each with its definition:
#
# | graph | $\mathcal{N}(i)$, the words that word $i$ hears | used in | constructor |
# |---|---|---|---|
# | complete | all $j$ | Transformer | `gl.complete_graph(n)` |
# | window, radius $r$ | $\lvert i - j \rvert \le r$ | local attention, Longformer | `gl.window_graph(n, r)` |
# | dilated, radius $r$, dilation $\delta$ | $i - j = t\delta$ with $\lvert t \rvert \le r$ | Longformer (some heads), Sparse Transformers (strided) | `gl.dilated_graph(n, r, δ)` |
# | global tokens $G$ | a base graph $\cup\ G$; a token $g \in G$ hears all $j$ | Longformer, BigBird (`[CLS]`) | `gl.global_token_graph(n, G, base)` |
# | random | $r$ words drawn at random, $j \ne i$ | BigBird | `gl.random_graph(n, r, rng=rng)` |
# | BigBird | window $\cup$ global $\cup$ random | BigBird | `gl.bigbird_graph(n, r, G, r_rand, rng=rng)` |
# | dependency tree | the head and the children of $i$ (and $i$) | syntax-aware models | `gl.dependency_graph(heads, self_loops=True)` |
#
# `gl.union_graph(g1, g2, ...)` combines any of them (the union of the edge sets).
#
# First, the dilated window by hand. Word $i$ hears the words $t\delta$ positions away, for
# $t = -r, \dots, r$, as long as they are inside the sentence:
#
# $$\mathcal{N}(i) = \{\, i + t\delta \;:\; t = -r, \dots, r,\ \ 0 \le i + t\delta < n \,\},$$
#
# $t = 0$ being the self loop. `my_dilated_graph` writes the edges $j \to i$ of that set as a
# `gl.Graph`; the check below it compares it with `gl.dilated_graph` on awkward cases too (radius 0,
# a dilation longer than the sentence, a sentence of one word), and the rest of the notebook uses it.

# %%
# ✎ practice: this body is yours to write in practice/06_which_graph.ipynb
def my_dilated_graph(n, radius, dilation):
    """The dilated window: j -> i for i - j = t * dilation, |t| <= radius (t = 0: the self loop)."""
    senders, receivers = [], []
    for i in range(n):
        for t in range(-radius, radius + 1):
            j = i + t * dilation
            if 0 <= j < n:  # the window is cut at the ends of the sentence
                senders.append(j)
                receivers.append(i)
    return gl.Graph(senders, receivers, n)


# %%
gl.practice.check_dilated_graph(my_dilated_graph)

# %%
radius, dilation = 1, 2
dilated = my_dilated_graph(n, radius, dilation)
reference = gl.dilated_graph(n, radius, dilation)
mine = sorted(zip(dilated.senders.tolist(), dilated.receivers.tolist(), strict=True))
assert mine == sorted(zip(reference.senders.tolist(), reference.receivers.tolist(), strict=True)), (
    f"my_dilated_graph({n}, {radius}, {dilation}) should have the edges of gl.dilated_graph"
)
it = words.index("it")
print(
    f"my_dilated_graph(n={n}, radius={radius}, dilation={dilation}) == gl.dilated_graph: "
    f"the same {dilated.num_edges} edges"
)
print(f"'{words[it]}' hears:", [words[j] for j in dilated.senders[dilated.receivers == it]])

# %% [markdown]
# "it" hears itself and the words two positions away on each side, but not its neighbours: the
# dilated window has holes, and covers twice the span of a window with the same number of
# edges. Next the global token. In a sentence there is no `[CLS]` token, so we make the root
# verb "sat" global, on top of a window of radius 1 (Longformer's "local + global" attention),
# and check the edges against the definition.

# %%
r_window = 1
window = gl.window_graph(n, r_window)
hub = [words.index("sat")]
local_global = gl.global_token_graph(n, hub, base=window)

expected = {
    (j, i) for i in range(n) for j in range(n) if abs(i - j) <= r_window or i in hub or j in hub
}
edges = set(zip(local_global.senders.tolist(), local_global.receivers.tolist(), strict=True))
assert edges == expected, (
    f"global_token_graph(n, {hub}, base=window) should be the window plus every edge to and from {hub}"
)
print(f"global_token_graph(n, {hub}, base=window) == the definition: True")
hub_names = " and ".join(f"'{words[g]}'" for g in hub)
print(
    f"every word hears {hub_names};",
    ", ".join(f"'{words[g]}' hears {local_global.in_degree[g]} words" for g in hub),
)
print(
    f"edges: window {window.num_edges} + global {local_global.num_edges - window.num_edges} = {local_global.num_edges}"
)

# %% [markdown]
# Random attention needs a random number generator, and as everywhere in the course it is an
# explicit, seeded `np.random.Generator`. `gl.random_graph(n, r, rng=rng)` gives each word $r$
# senders drawn without replacement from the other words; `exclude=` keeps the draw outside a
# graph we already have, which is how `gl.bigbird_graph` adds its random edges outside the
# window and the global tokens.

# %%
num_random = 2
rand = gl.random_graph(n, num_random, rng=np.random.default_rng(1))
print(f"random_graph: every word hears exactly {num_random} others:", rand.in_degree.tolist())
print("no self loops:", not rand.has_self_loops())
gl.show_error(lambda: gl.random_graph(n, 3, rng=1))  # an int where a Generator is expected
gl.show_error(lambda: gl.random_graph(n, n, rng=np.random.default_rng(1)))  # n - 1 others only

bigbird = gl.bigbird_graph(n, r_window, hub, num_random, rng=np.random.default_rng(1))
assert gl.union_graph(local_global, bigbird) == bigbird, (
    "bigbird_graph should contain the window + global graph (the same window radius and tokens)"
)
print(
    f"bigbird: {local_global.num_edges} window + global edges, {bigbird.num_edges - local_global.num_edges} random ones on top"
)

# %% [markdown]
# Seven graphs on one sentence, with their number of edges $E$ against the $n^2$ of the complete
# graph. Their adjacency matrices (row $i$ = receiver, column $j$ = sender) show the patterns at a
# glance.

# %%
tree = gl.dependency_graph(heads, self_loops=True)
sentence_graphs = {
    "complete": gl.complete_graph(n),
    f"window r={r_window}": window,
    f"dilated r={radius}, δ={dilation}": dilated,
    f"window + global {hub_names}": local_global,
    f"random r={num_random} (+ self)": gl.add_self_loops(rand),
    "BigBird": bigbird,
    "dependency tree": tree,
}
w = max(map(len, sentence_graphs)) + 1  # the longest name, e.g. after exercise 2
print(f"{'graph':{w}s} {'edges E':>8s} {'E / n²':>7s}  min, max in-degree")
for name, g in sentence_graphs.items():
    print(
        f"{name:{w}s} {g.num_edges:8d} {g.num_edges / n**2:7.2f}  {g.in_degree.min()}, {g.in_degree.max()}"
    )

# %%
fig, axes = plt.subplots(2, 4, figsize=(8.4, 5), layout="constrained")
for ax, (name, g) in zip(axes.flat, sentence_graphs.items()):
    gl.heatmap(
        g.adjacency(),
        ax=ax,
        title=f"{name}\nE = {g.num_edges}",
        cmap="Greys",
        vmax=1.4,
        lines=False,
    )
    ax.set_xticks([])
    ax.set_yticks([])
for ax in axes.flat[len(sentence_graphs) :]:
    ax.axis("off")  # one panel more than graphs
fig.suptitle(
    f"{len(sentence_graphs)} attention graphs on one sentence: A[i, j] = 1 iff word i hears word j\n"
    "(row i: the receiver, column j: the sender)"
)
plt.show()

# %% [markdown]
# The random rows show why the random graph gets self loops here: a word should hear itself
# (in the BigBird graph the window provides them). Now attention. One set of weights, one
# `gl.multi_head_attention(params, h, graph, num_heads=2)` call per graph. To be sure that the
# graph version computes the equation above, we write it by hand the way a dense Transformer
# implements sparsity: compute all $n^2$ scores, set the ones without an edge to $-\infty$ (the
# adjacency matrix is the mask, as in notebook 04), softmax each row.

# %%
params = gl.init_multi_head_attention(np.random.default_rng(2), d_model, num_heads)


def masked_attention_by_hand(params, h, A, num_heads):
    """Multi-head attention where word i hears word j iff A[i, j]: (h' (n, d), alpha (H, n, n))."""
    n, d = h.shape
    d_head = d // num_heads
    q, k, v = ((h @ params[f"W_{x}"]).reshape(n, num_heads, d_head) for x in "QKV")
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d_head)  # all n^2 pairs, (H, n, n)
    scores = np.where(A > 0, scores, -np.inf)  # no edge j -> i: weight exactly 0
    alpha = np.exp(scores - scores.max(axis=-1, keepdims=True))
    alpha /= alpha.sum(axis=-1, keepdims=True)
    out = np.einsum("hij,jhd->ihd", alpha, v).reshape(n, d)
    return out @ params["W_O"], alpha


attention = {}
for name, g in sentence_graphs.items():
    out, alpha = gl.multi_head_attention(params, h, g, return_attention=True)
    mine_out, mine_alpha = masked_attention_by_hand(params, h, g.adjacency(), num_heads)
    message = f"{name}: graph attention should equal masked dense attention (seed 2, d = {d_model})"
    np.testing.assert_allclose(out, mine_out, atol=1e-12, err_msg=message)
    dense_alpha = gl.edge_weights_to_dense(g, alpha)
    np.testing.assert_allclose(dense_alpha, mine_alpha, atol=1e-12, err_msg=message)
    sums = gl.propagate(g, alpha)  # each word's weights sum to 1 over N(i)
    np.testing.assert_allclose(sums, 1, err_msg=f"{name}: the weights into a word sum to 1")
    attention[name] = alpha
print(
    f"{len(sentence_graphs)} graphs: gl.multi_head_attention on the graph == masked dense attention by hand"
)

# %% [markdown]
# Each graph with the attention of head 0, the complete graph first: on the left along the edges
# (arcs above the words carry messages rightwards, arcs below leftwards; width and opacity follow
# $\alpha_{ij}$), on the right as the $(n, n)$ matrix, zero wherever the graph has no edge.

# %%
fig, axes = plt.subplots(
    len(sentence_graphs),
    2,
    figsize=(9.5, 2.2 * len(sentence_graphs)),
    gridspec_kw={"width_ratios": [2.4, 1]},
)
for row, (name, g) in enumerate(sentence_graphs.items()):
    print(f"drawing {row + 1} of {len(sentence_graphs)}: {name}")  # (a few seconds in all)
    alpha = attention[name]
    gl.draw_attention(
        g, alpha, words, ax=axes[row, 0], title=f"{name}: {g.num_edges} edges, head 0"
    )
    gl.attention_heatmap(gl.edge_weights_to_dense(g, alpha)[0], words, ax=axes[row, 1], title=name)
    if row < len(sentence_graphs) - 1:
        axes[row, 1].set_xlabel("")  # named once, under the last row: more room for the matrices
plt.tight_layout()
plt.show()

# %% [markdown]
# Same weights, same words, seven different layers. On the complete graph every word spreads
# its attention over all ten words; on the sparse graphs the same scores are renormalised over
# fewer senders, so each surviving edge weighs more. Which graphs let "it" hear "cat", the word
# it refers to, in **one** layer?

# %%
cat = words.index("cat")
for name, g in sentence_graphs.items():
    edge = np.flatnonzero((g.senders == cat) & (g.receivers == it))
    weight = f"alpha = {attention[name][edge[0], 0]:.3f}" if edge.size else "no edge"
    print(f"{name:{w}s} '{words[cat]}' -> '{words[it]}': {weight}")

# %% [markdown]
# Only the complete graph, and perhaps a lucky random edge, has the edge. On the window, the
# dilated window and the tree "cat" is too far away: six words in the sentence, three hops in
# the tree. Sparse graphs trade *reach per layer* for *cost per layer*; Part 2 measures the
# first, Part 3 the second.
#
# ## Part 2 · Reach: sparse attention needs depth
#
# After one layer, $h_i'$ depends only on the words in $\mathcal{N}(i)$. After two layers, on
# their neighbours too, and so on: the receptive field of notebook 02, now for attention. A
# Transformer block adds its input back (the residual link), so every word also keeps its own
# information, and word $j$ can influence word $i$ after $L$ layers exactly when
#
# $$\big[(A + I)^L\big]_{ij} > 0,$$
#
# i.e. when there is a walk of at most $L$ edges from $j$ to $i$. The **hop distance** from $j$
# to $i$ is the smallest such $L$. `gl.hop_distance(graph)` computes it as message passing does:
# every word starts with a one-hot feature ("word $j$ has been heard") and each layer propagates
# them along the edges, as in the reach you write by hand in notebook 02 (`my_receptive_field`).
# We check it against the matrix powers. To see a law we need a longer sequence than our
# sentence: $n_\text{long} = 32$ positions.

# %%
n_long = 32
check = my_dilated_graph(n_long, 2, 3)
# hops_check[i, j]: the fewest layers after which j can influence i (-1: never)
hops_check = gl.hop_distance(check)
A_plus_I = check.adjacency() + np.eye(n_long)
for L in range(5):
    np.testing.assert_array_equal(
        (hops_check >= 0) & (hops_check <= L),
        np.linalg.matrix_power(A_plus_I, L) > 0,
        err_msg=f"hop distance <= {L} should be where (A + I)^{L} > 0 (dilated r=2, δ=3, n={n_long})",
    )
print(f"gl.hop_distance(g) <= L  <=>  (A + I)^L > 0, for L = 0..{L}")

# %% [markdown]
# Now the law. For a window of radius $r$ every layer moves information at most $r$ positions,
# so the hop distance is $\lceil |i - j| / r \rceil$: **$L$ layers reach $L \cdot r$ words**. A
# dilated window moves it $r\delta$ positions per layer, but only in steps of $\delta$: it can
# never reach an offset that is not a multiple of $\delta$. Longformer therefore mixes
# dilations across heads; a layer whose heads use different graphs reaches the **union** of
# their graphs. A global token connects every pair through itself, so nothing is more than 2
# hops away. We check all four statements for every pair of the 32 positions.

# %%
r, delta = 2, 2
offset = np.abs(np.arange(n_long)[:, None] - np.arange(n_long)[None, :])  # |i - j|
reach_graphs = {
    f"window r={r}": gl.window_graph(n_long, r),
    f"dilated r={r}, δ={delta}": my_dilated_graph(n_long, r, delta),
    f"heads: window r=1 ∪ dilated r={r}, δ={delta + 1}": gl.union_graph(
        gl.window_graph(n_long, 1), my_dilated_graph(n_long, r, delta + 1)
    ),
    "window r=1 + global token 0": gl.global_token_graph(n_long, [0], gl.window_graph(n_long, 1)),
    "complete": gl.complete_graph(n_long),
}
hops = {name: gl.hop_distance(g) for name, g in reach_graphs.items()}

np.testing.assert_array_equal(
    hops[f"window r={r}"],
    np.ceil(offset / r),
    err_msg=f"window r={r}: the hop distance should be ceil(|i - j| / {r})",
)
dil = hops[f"dilated r={r}, δ={delta}"]
np.testing.assert_array_equal(
    dil[offset % delta == 0],
    np.ceil(offset / (r * delta))[offset % delta == 0],
    err_msg=f"dilated r={r}, δ={delta}: ceil(|i - j| / {r * delta}) where δ divides i - j",
)
assert (dil[offset % delta != 0] == -1).all(), (
    f"dilated r={r}, δ={delta}: offsets that δ does not divide should never be reached"
)
assert hops["window r=1 + global token 0"].max() == 2, "a global token: every pair within 2 hops"
print(f"window r={r}: hop distance = ceil(|i - j| / {r}), so L layers reach {r}L positions")
print(
    f"dilated r={r}, δ={delta}: ceil(|i - j| / {r * delta}) when δ divides i - j, never otherwise"
)
print("global token: every pair within 2 hops\n")
print(
    f"{'graph (n = ' + str(n_long) + ')':44s} {'edges':>6s}  layers until every word hears every word"
)
for name, g in reach_graphs.items():
    never = (hops[name] < 0).mean()
    depth = f"never ({never:.0%} of the pairs stay apart)" if never else f"{hops[name].max()}"
    print(f"{name:44s} {g.num_edges:6d}  {depth}")

# %%
fig, axes = plt.subplots(2, 3, figsize=(8.4, 6.2))
vmax = max(d.max() for d in hops.values())
for ax, (name, d) in zip(axes.flat, hops.items()):
    title = name.replace(": ", ":\n").replace(" ∪ ", " ∪\n")
    gl.heatmap(np.ma.masked_less(d, 0), ax=ax, title=title, vmax=vmax, lines=False)  # blank: never
for ax in axes[-1]:
    ax.set_xlabel("sender j")
for ax in axes[:, 0]:
    ax.set_ylabel("receiver i")
for ax in axes.flat[len(hops) :]:
    ax.axis("off")  # one panel more than graphs
fig.colorbar(
    axes.flat[0].images[0], ax=axes, fraction=0.03, pad=0.02, label="layers until j can influence i"
)
fig.suptitle(f"Hop distance on {n_long} positions (blank: never)")
plt.show()


# %% [markdown]
# The window's distances grow in bands of width $r$ away from the diagonal: reach grows
# linearly with depth, so a word 31 positions away needs 16 layers. The dilated window alone
# is a chessboard: half of the pairs never meet, whatever the depth. Mixing a window head with
# a dilated head fills the holes and reaches far faster than the window alone. The global token
# flattens everything to 1 or 2.
#
# What does the global token cost, and what does it buy? It **buys** constant depth for about
# $2n$ extra edges per token ($n$ in, $n$ out), so the cost stays linear in $n$. It **costs**
# capacity: every long-range message now passes through one $d_\text{model}$-dimensional vector
# per layer, which has to summarise the whole text for everyone, a bottleneck that GNN
# researchers call *over-squashing*. And the token's own row is dense: it attends to all $n$
# words, so it cannot be dropped when the text grows.
#
# That is what the graph *allows*. Do real attention layers use it? Nudge the features of one
# word $j$, run $L$ residual attention layers $h \leftarrow h + \operatorname{MHA}(h)$ with
# random weights on the running sentence, and see whether the output of "it" moves:
# `gl.influence(run, h, target)` adds 1 to every feature of each word $j$ in turn and says
# whether `run(h)[target]` changes.

# %%
def residual_attention(graph, num_layers, seed=3):
    """h -> num_layers residual attention layers h + MHA(h) on graph, with random weights."""
    rng = np.random.default_rng(seed)
    layers = [gl.init_multi_head_attention(rng, d_model, num_heads) for _ in range(num_layers)]

    def run(x):
        for p in layers:
            x = x + gl.multi_head_attention(p, x, graph)  # residual link
        return x

    return run


for name in [f"window r={r_window}", f"window + global {hub_names}"]:
    g = sentence_graphs[name]
    d = gl.hop_distance(g)
    for L in (1, 2, 3):
        moved = gl.influence(residual_attention(g, L), h, it)  # does nudging word j move 'it'?
        np.testing.assert_array_equal(
            moved,
            (d[it] >= 0) & (d[it] <= L),
            err_msg=f"{name}, L = {L}: the words that move '{words[it]}' should be those within {L} hops",
        )
        print(
            f"{name:{w}s} L = {L}: {moved.sum():2d} words influence '{words[it]}'",
            "(all)" if moved.all() else "",
        )
print("nudging words through real attention layers == the hop distances: True")

# %% [markdown]
# With the window, "it" hears one more word on each side per layer: 3, then 5, then 6 words,
# because the sentence ends two words after "it". With the global "sat" it hears everyone after
# two layers.
#
# ## Part 3 · What attention costs
#
# **Counting first.** Dense attention computes a score for every pair: $n^2$ per head. Graph
# attention computes one per edge: $E$. A window of radius $r$ has $2r + 1$ edges per word minus
# the ones that fall off the two ends of the sentence,
#
# $$E_\text{window} = (2r + 1)\,n - r(r + 1) \qquad (n > r),$$
#
# so its cost is linear in $n$. The intermediate arrays follow: the dense weights have shape
# $(H, n, n)$, the sparse ones $(E, H)$. We check the edge count and the array sizes against the
# shapes the functions actually return, and tabulate the memory in float64 (8 bytes).

# %%
r_cost, H_cost, d_head_cost = 4, 1, 16
for n_check in (16, 100, 4096):
    E_check = gl.window_graph(n_check, r_cost).num_edges
    assert E_check == (2 * r_cost + 1) * n_check - r_cost * (r_cost + 1), (
        f"n = {n_check}, r = {r_cost}: E = {E_check}, the formula holds for n > r"
    )
print(f"E_window = {2 * r_cost + 1} n - {r_cost * (r_cost + 1)} for radius {r_cost}: True")

n_check = 256
q = k = v = np.ones((n_check, H_cost, d_head_cost))
g_check = gl.window_graph(n_check, r_cost)
_, w_dense = gl.scaled_dot_product_attention(q, k, v)
_, w_sparse = gl.graph_attention(q, k, v, g_check)
assert w_dense.nbytes == 8 * H_cost * n_check**2, f"dense weights {w_dense.shape}: 8 H n² bytes"
assert w_sparse.nbytes == 8 * g_check.num_edges * H_cost, f"sparse weights {w_sparse.shape}: 8 E H"

print(
    f"n = {n_check}: dense weights {w_dense.shape}, sparse weights {w_sparse.shape}, as the shapes say\n"
)

print(
    f"{'n':>6s} {'dense n² scores':>16s} {'window E':>10s} {'dense MB':>10s} {'sparse MB':>10s}  per head"
)
for n_mem in (16, 256, 1024, 4096, 65536):
    E_mem = (2 * r_cost + 1) * n_mem - r_cost * (r_cost + 1)
    print(
        f"{n_mem:6d} {n_mem**2:16d} {E_mem:10d} {8 * n_mem**2 / 1e6:10.3f} {8 * E_mem / 1e6:10.3f}"
    )

# %% [markdown]
# At $4096$ words one dense head needs 134 MB for its weights alone (and a model has many heads
# and layers), the window head 0.3 MB. At 65 536 words the dense head would need 34 GB.
#
# **Timing.** Now the clock: `gl.scaled_dot_product_attention` (dense, $n \times n$) against
# `gl.graph_attention` on the window graph of radius 4, one head of 16 features, for $n = 16$ to
# $4096$. We measure the **CPU time** of this process (`time.process_time`), not the wall clock:
# on a shared machine other programs take turns on the cores, and a long call would be charged
# for their turns too. Each time is the best of several repetitions (at least 5, and as many as
# fit in 0.05 s). The raw times depend on your machine, so this cell's output is not checked by the
# tests; the next cell checks only the *slopes*.

# %%
# NBVAL_IGNORE_OUTPUT
sizes = 2 ** np.arange(4, 13)  # 16 .. 4096 words
rng = np.random.default_rng(4)


def best_time(fn, budget=0.05, min_repeats=5):
    """The shortest CPU time of fn(), in seconds, over at least `min_repeats` runs and `budget` s."""
    times = []
    while len(times) < min_repeats or sum(times) < budget:
        start = time.process_time()  # CPU time of this process: other programs do not count
        fn()
        times.append(time.process_time() - start)
    return min(times)


t_dense, t_sparse = [], []
print(f"{'n':>5s} {'dense ms':>9s} {'sparse ms':>10s}")
for size in sizes:  # one line per size, as it is measured
    q, k, v = (rng.normal(size=(size, H_cost, d_head_cost)) for _ in range(3))
    g_time = gl.window_graph(int(size), r_cost)
    t_dense.append(best_time(partial(gl.scaled_dot_product_attention, q, k, v)))
    t_sparse.append(best_time(partial(gl.graph_attention, q, k, v, g_time)))
    print(f"{size:5d} {1e3 * t_dense[-1]:9.3f} {1e3 * t_sparse[-1]:10.3f}")
t_dense, t_sparse = np.array(t_dense), np.array(t_sparse)

# %% [markdown]
# On log-log axes a cost $t \propto n^s$ is a straight line of slope $s$. Small sentences are
# dominated by fixed costs (Python calls, array set-up) and by how well the arrays fit in the
# CPU caches, so we fit the slope on the largest sizes, $n \ge 1024$, and check it with a generous tolerance: the conclusion, not the exact number, is
# what must hold on every machine.

# %%
large = sizes >= 1024
DENSE_SLOPES, SPARSE_SLOPES = (1.5, 3.0), (0.3, 1.4)  # generous: the conclusion must hold anywhere
slope_dense = np.polyfit(np.log(sizes[large]), np.log(t_dense[large]), 1)[0]
slope_sparse = np.polyfit(np.log(sizes[large]), np.log(t_sparse[large]), 1)[0]
assert DENSE_SLOPES[0] < slope_dense < DENSE_SLOPES[1], (
    f"dense slope {slope_dense:.2f}, expected about 2"
)
assert SPARSE_SLOPES[0] < slope_sparse < SPARSE_SLOPES[1], (
    f"sparse slope {slope_sparse:.2f}, expected about 1"
)
print(
    f"dense attention:  time grows like n^2 (fitted slope within {list(DENSE_SLOPES)} for n >= {sizes[large][0]})"
)
print(
    f"sparse attention: time grows like n   (fitted slope within {list(SPARSE_SLOPES)} for n >= {sizes[large][0]})"
)

# %%
faster = np.flatnonzero(t_sparse < t_dense)
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.loglog(sizes, 1e3 * t_dense, "o-", label=f"dense n×n (fitted slope {slope_dense:.1f})")
ax.loglog(
    sizes,
    1e3 * t_sparse,
    "s-",
    label=f"window r={r_cost}, E ≈ {2 * r_cost + 1}n (slope {slope_sparse:.1f})",
)
for t, slope, color in [(t_dense, slope_dense, "C0"), (t_sparse, slope_sparse, "C1")]:
    fit = t[-1] * (sizes[large] / sizes[-1]) ** slope
    ax.loglog(sizes[large], 1e3 * fit, ":", color=color, lw=2)
if faster.size:
    ax.axvline(sizes[faster[0]], color="0.5", ls="--", lw=1)
    ax.text(
        sizes[faster[0]] * 1.1,
        1e3 * t_dense.max() / 3,
        f"sparse faster\nfrom n = {sizes[faster[0]]}",
    )
ax.set_xlabel("sentence length n (words)")
ax.set_ylabel("time per call (ms)")
ax.set_title("Dense attention is quadratic, window attention linear")
ax.legend(loc="upper left")
plt.show()


# %% [markdown]
# For short sentences dense attention wins: one big matrix product is about the fastest thing a
# CPU does, while the graph version gathers keys edge by edge. As $n$ grows the quadratic term
# takes over, and from a few hundred words on the window is faster, by more the longer the
# text: the gap at $n = 4096$ is a factor of about $4096 / 9$ in work. This is the whole reason
# for sparse attention. The dense slope can come out a little above 2: at $n = 4096$ the weights
# (134 MB) fit in no CPU cache, so every pass over them waits for main memory, while the window's
# arrays stay small. (On a GPU the crossover is much later, since dense products are what
# GPUs are built for; libraries use block-sparse patterns, whole tiles of the matrix on or off,
# to keep that speed.)
#
# ## Part 4 · Positions from the graph
#
# Notebook 04 found that attention on the complete graph cannot see word order and added the
# sinusoidal encoding $PE_{p, 2i} = \sin(p / 10000^{2i/d})$, $PE_{p,2i+1} = \cos(\cdot)$. A
# graph has no left to right, but it has a *shape*, and the shape has its own waves: the
# eigenvectors of the graph Laplacian
#
# $$L = D - A, \qquad L v_m = \lambda_m v_m, \qquad 0 = \lambda_0 < \lambda_1 \le \dots,$$
#
# with $D$ the diagonal matrix of degrees. $v^\top L v = \sum_{\text{edges } \{i, j\}} (v_i - v_j)^2$,
# so small $\lambda$ means a vector that changes little along the edges: a low frequency. On the
# path graph (the sentence as a chain) they are known in closed form:
#
# $$\lambda_m = 2 - 2\cos\frac{\pi m}{n}, \qquad v_m[p] \propto \cos\!\left(\frac{\pi m\,(p + \tfrac12)}{n}\right).$$
#
# `my_path_laplacian(n, k)` builds $L = D - A$ of the path by hand and returns $v_1, \dots, v_k$ as
# the columns of an $(n, k)$ array: `np.linalg.eigh` gives unit eigenvectors with the eigenvalues in
# ascending order, and $v_0$, the constant vector of $\lambda_0 = 0$, carries no position, so it is
# left out. Then we check that its columns are the cosines above, and the columns of
# `gl.laplacian_encoding(g, k, normalization=None)`, each up to its sign.

# %%
# ✎ practice: this body is yours to write in practice/06_which_graph.ipynb
def my_path_laplacian(n, k):
    """Eigenvectors v_1..v_k of L = D - A of the path graph on n nodes, by ascending eigenvalue."""
    A = gl.path_graph(n).adjacency()
    L = np.diag(A.sum(axis=1)) - A  # L = D - A
    _, vectors = np.linalg.eigh(L)  # unit eigenvectors, eigenvalues in ascending order
    return vectors[:, 1 : k + 1]  # v_0, the constant vector (lambda_0 = 0), is left out


# %%
gl.practice.check_path_laplacian(my_path_laplacian)

# %%
n_pos, k_pos = 40, 4
path = gl.path_graph(n_pos)
A_path = path.adjacency()
L_path = np.diag(A_path.sum(axis=1)) - A_path  # L = D - A, as in my_path_laplacian
p = np.arange(n_pos)
m = np.arange(1, k_pos + 1)
cosines = np.cos(np.pi * np.outer(p + 0.5, m) / n_pos)  # (n, k): column m - 1 is v_m
lam = 2 - 2 * np.cos(np.pi * m / n_pos)
np.testing.assert_allclose(
    L_path @ cosines, cosines * lam, atol=1e-12, err_msg="L v_m = lambda_m v_m for the cosines"
)
np.testing.assert_allclose(
    np.linalg.eigvalsh(L_path)[1 : k_pos + 1],
    lam,
    atol=1e-12,
    err_msg="lambda_m = 2 - 2 cos(pi m / n)",
)

lap = my_path_laplacian(n_pos, k_pos)
unit = cosines / np.linalg.norm(cosines, axis=0)
signs = np.sign(np.sum(lap * unit, axis=0))  # an eigenvector is defined only up to its sign
np.testing.assert_allclose(
    lap * signs,
    unit,
    atol=1e-10,
    err_msg=f"my_path_laplacian({n_pos}, {k_pos}): the cosines, up to sign",
)
package = gl.laplacian_encoding(path, k_pos, normalization=None)
np.testing.assert_allclose(
    package * np.sign(np.sum(package * unit, axis=0)),
    unit,
    atol=1e-10,
    err_msg="gl.laplacian_encoding(path, k, normalization=None): the cosines, up to sign",
)
print(
    f"path graph, n = {n_pos}: my_path_laplacian column m - 1 == cos(pi m (p + 1/2) / n) / norm "
    f"== laplacian_encoding's, up to sign, m = 1..{k_pos}"
)
print("eigenvalues 2 - 2 cos(pi m / n):", lam)

# %%
pe = gl.sinusoidal_encoding(n_pos, 2 * k_pos)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.6), sharex=True, dpi=60)
for col in range(k_pos):
    ax1.plot(
        p, lap[:, col] * signs[col], label=f"v_{col + 1}: wavelength {2 * n_pos / (col + 1):.0f}"
    )
ax1.set_title(f"Laplacian eigenvectors of the path graph (n = {n_pos})")
ax1.set_xlabel("position p")
ax1.legend(fontsize=8, loc="lower left")
for col in range(0, 2 * k_pos, 2):
    wavelength = 2 * np.pi * 10000 ** (col / (2 * k_pos))
    ax2.plot(p, pe[:, col + 1], label=f"PE column {col + 1} (cos): wavelength {wavelength:.0f}")
ax2.set_title(f"sinusoidal encoding, d = {2 * k_pos}: the cosine columns")
ax2.set_xlabel("position p")
ax2.legend(fontsize=8, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Both are waves over the positions, and both give neighbouring positions similar values.
# The differences: the Laplacian's frequencies $\pi m / n$ are spaced **linearly** and depend on
# the length $n$ (the slowest wave always spans the whole sentence, so position 5 of a
# 10-word sentence and of a 40-word sentence get different vectors), while the sinusoids'
# wavelengths grow **geometrically**, from $2\pi$ to $2\pi \cdot 10000$, and do not depend on $n$.
# Both are eigenvectors of a chain: on an endless chain $\sin(\omega p)$ is one for every
# frequency $\omega$ (eigenvalue $2 - 2\cos\omega$), and the sinusoidal encoding picks its frequencies
# geometrically; the Laplacian encoding takes the slowest eigenvectors of *this* chain.
#
# **The normalized Laplacian.** Dwivedi & Bresson use $L_\text{sym} = I - D^{-1/2} A D^{-1/2}$
# (`normalization="sym"`, the default), which weighs each node by its degree. On the path the two
# end words have degree 1 and the others 2, and the closed form changes to
#
# $$\lambda_m = 1 - \cos\frac{\pi m}{n - 1}, \qquad v_m[p] \propto \sqrt{\deg p}\,\cos\frac{\pi m\, p}{n - 1}:$$
#
# the waves now have their extremes *on* the end words (instead of half a step outside), the end
# words are scaled down by $\sqrt{1/2}$, and the eigenvalues lie in $[0, 2]$ whatever the degrees,
# which keeps the encodings of graphs with very different degrees comparable.

# %%
lap_sym = gl.laplacian_encoding(path, k_pos, normalization="sym")
deg = path.in_degree
sym_formula = np.sqrt(deg)[:, None] * np.cos(np.pi * np.outer(p, m) / (n_pos - 1))
sym_formula /= np.linalg.norm(sym_formula, axis=0)
sym_signs = np.sign(np.sum(lap_sym * sym_formula, axis=0))
np.testing.assert_allclose(
    lap_sym * sym_signs, sym_formula, atol=1e-10, err_msg="sym: sqrt(deg p) cos(pi m p / (n - 1))"
)
L_sym = np.eye(n_pos) - A_path / np.sqrt(np.outer(deg, deg))
np.testing.assert_allclose(
    np.linalg.eigvalsh(L_sym)[1 : k_pos + 1],
    1 - np.cos(np.pi * m / (n_pos - 1)),
    atol=1e-12,
    err_msg="sym: lambda_m = 1 - cos(pi m / (n - 1))",
)
print(
    'normalization="sym": v_m[p] ∝ sqrt(deg p) cos(pi m p / (n - 1)), lambda_m = 1 - cos(pi m / (n - 1)): True'
)
print(
    f"end word / middle word, v_1: None {abs(lap[0, 0] / lap[1, 0]):.4f}, sym {abs(lap_sym[0, 0] / lap_sym[1, 0]):.4f}"
)

# %% [markdown]
# ### Beyond chains: the dependency tree and the karate club
#
# The point of Laplacian positions is that they need no order at all, only a graph. On the
# dependency tree of our sentence, $v_1$ (the Fiedler vector, the slowest wave) runs from one end
# of the tree to the other, $v_2$ is the next slowest. Before we draw them we check that their
# eigenvalues are simple (each eigenvector is then unique up to sign; the last section explains
# why this matters).

# %%
tree_plain = gl.dependency_graph(heads)
A_tree = tree_plain.adjacency()
d_tree = A_tree.sum(axis=1)
eig_tree = np.linalg.eigvalsh(np.eye(n) - A_tree / np.sqrt(np.outer(d_tree, d_tree)))
print("eigenvalues of L_sym on the tree, after lambda_0 = 0:", eig_tree[1:])
assert np.diff(eig_tree[:4]).min() > 1e-6, "on the tree lambda_1, lambda_2 should be simple"
pe_tree = gl.laplacian_encoding(tree_plain, 2)

karate = nx.karate_club_graph()
kg = gl.from_networkx(karate)
A_k = kg.adjacency()
d_k = A_k.sum(axis=1)
eig_karate = np.linalg.eigvalsh(np.eye(kg.num_nodes) - A_k / np.sqrt(np.outer(d_k, d_k)))
assert np.diff(eig_karate[:4]).min() > 1e-6, "karate club: lambda_1, lambda_2 should be simple"
pe_karate = gl.laplacian_encoding(kg, 2)
print(
    f"karate club: {kg.num_nodes} members, {kg.num_edges // 2} friendships; lambda_1..3 =",
    eig_karate[1:4],
)

# %%
fig, axes = plt.subplot_mosaic(
    [["tree 1", "tree 1"], ["tree 2", "tree 2"], ["karate 1", "karate 2"]],
    figsize=(9, 9.6),
    gridspec_kw={"height_ratios": [1, 1, 2.6]},
)
for col in range(2):
    gl.draw_graph(
        tree_plain,
        words,
        ax=axes[f"tree {col + 1}"],
        node_color=pe_tree[:, col],
        title=f"dependency tree coloured by v_{col + 1} (λ = {eig_tree[col + 1]:.3f})",
    )
    gl.draw_graph(
        kg,
        ax=axes[f"karate {col + 1}"],
        node_color=pe_karate[:, col],
        title=f"karate club coloured by v_{col + 1} (λ = {eig_karate[col + 1]:.3f})",
    )
fig.suptitle("Laplacian positional encodings (normalization='sym'): red > 0 > blue")
plt.tight_layout()
plt.show()

# %% [markdown]
# On the tree, $v_1$ runs from the branch "on the mat" (one sign) to the branch "because it was
# tired" (the other), with "the cat sat" close to 0 in between; $v_2$ separates "the cat" from
# the rest. Words close in the tree get close values, which is all a position should do, and the
# three leaves of "tired" get *exactly* the same values: nothing in the graph tells them apart
# (we come back to this below).
#
# On the karate club, $v_1$ splits the network into its two communities. Zachary recorded which
# side each member joined when the club split; the sign of $v_1$ alone predicts it for almost
# everyone. Because the sign of an eigenvector is arbitrary, we count the agreement both ways
# and keep the better one.

# %%
officer = np.array([karate.nodes[node]["club"] == "Officer" for node in karate.nodes])
agree = np.mean((pe_karate[:, 0] > 0) == officer)
best = max(agree, 1 - agree)
print(
    f"sign of v_1 predicts the side {round(best * kg.num_nodes)} of {kg.num_nodes} members joined ({best:.0%})"
)

# %% [markdown]
# ### An eigenvector has no sign
#
# If $L v = \lambda v$ then $L(-v) = \lambda(-v)$: $-v$ is an equally good eigenvector, and
# `np.linalg.eigh` may return either (it depends on the LAPACK build). A model, though, sees
# $h + PE$: flipping the sign of a column changes every word's input. `gl.laplacian_encoding`
# therefore fixes a convention, *the entry of largest magnitude is positive* (the first one on a
# tie). It follows the nodes when we relabel them, **except on a tie of opposite signs**: when the
# largest magnitude is reached by a positive and a negative entry, which one comes "first" depends
# on the labels. The path graph has such ties by design: reversing the sentence maps each of its
# eigenvectors to itself or to its negative, so the antisymmetric ones have their extremes in pairs
# $\pm$. The cell below relabels the karate club (no tie: the signs follow the nodes) and the
# sentence as a path (ties in its antisymmetric columns: each of them flips or not, depending on the
# new labels); notebook 09 § 5 counts the flips over many paths (about a quarter of all
# eigenvectors). Dwivedi & Bresson therefore flip the signs at random
# during training, so that the model learns not to rely on them.

# %%
v1 = pe_karate[:, 0]
L_k = np.eye(kg.num_nodes) - A_k / np.sqrt(np.outer(d_k, d_k))
np.testing.assert_allclose(
    L_k @ -v1, eig_karate[1] * -v1, atol=1e-12, err_msg="L (-v) = lambda (-v)"
)
print("L (-v) == lambda (-v): the flipped vector is an eigenvector too")
print(f"but the input h + PE moves: |PE(v) - PE(-v)| per node up to {2 * np.abs(v1).max():.3f}")

top = np.argmax(np.abs(pe_karate), axis=0)
print("largest-magnitude entries are positive:", bool((pe_karate[top, [0, 1]] > 0).all()))


def relabel(graph, perm):
    """The same graph with new labels: new node a is old node perm[a]."""
    new_label = np.argsort(perm)  # old node -> its new label
    return gl.Graph(new_label[graph.senders], new_label[graph.receivers], graph.num_nodes)


perm = np.random.default_rng(5).permutation(kg.num_nodes)
np.testing.assert_allclose(
    gl.laplacian_encoding(relabel(kg, perm), 2),
    pe_karate[perm],
    atol=1e-10,
    err_msg="karate club (seed 5): no tie, so the signs should follow the nodes",
)
print("relabel the members: laplacian_encoding gives the same vectors, relabelled (signs included)")

chain, k_chain = gl.path_graph(n), 4  # the sentence as a path
pe_chain = gl.laplacian_encoding(chain, k_chain)
perm_chain = np.random.default_rng(5).permutation(n)
top_entries = np.isclose(np.abs(pe_chain), np.abs(pe_chain).max(axis=0))  # (n, k)
tied = [f"v_{c + 1}" for c in range(k_chain) if (pe_chain[top_entries[:, c], c] < 0).any()]
print(f"the sentence as a path: a tie of opposite signs in {', '.join(tied) or 'no column'}")
kept = (
    np.sum(
        gl.laplacian_encoding(relabel(chain, perm_chain), k_chain) * pe_chain[perm_chain], axis=0
    )
    > 0
)
for col in np.flatnonzero(~kept):
    ends = np.flatnonzero(np.isclose(np.abs(pe_chain[:, col]), np.abs(pe_chain[:, col]).max()))
    values = ", ".join(f"{pe_chain[i, col]:+.3f} at '{words[i]}' ({i})" for i in ends)
    print(f"relabelled (seed 5): v_{col + 1} changes sign (its largest entries: {values})")
if kept.all():
    print(f"relabelled (seed 5): no column of the {k_chain} changes sign")

# %% [markdown]
# ### Repeated eigenvalues have no basis
#
# The sign rule cannot fix everything. When an eigenvalue is **repeated**, any rotation of a
# basis of its eigenspace is again a basis of eigenvectors, and no rule on the entries can pick
# one: the graph itself has a symmetry. Our tree has two: "because", "it" and "was" all hang from
# "tired" and nothing else, and "on" and "the" from "mat", so swapping two such leaves leaves the
# graph unchanged. For $L = D - A$ the vectors $e_\text{because} - e_\text{it}$, $e_\text{on} - e_\text{the}$
# and the like are eigenvectors, all with eigenvalue 1.
#
# (Careful: this section uses $L = D - A$, while the eigenvalues printed above for the tree are
# those of $L_\text{sym}$, which has the eigenvalue 1 **four** times. The two Laplacians have
# different eigenvalues. $L_\text{sym} v = v$ means $A D^{-1/2} v = 0$: the same leaf differences
# satisfy it, and on this tree so does one vector more, spread over "the", "sat" and the leaves of
# "mat" and "tired", which no symmetry explains. The cell counts both.)
# So we never print such eigenvectors; what *is* well defined is the eigenspace, through its
# projector $P = V V^\top$ (the same for every basis $V$), and the eigenvalues.

# %%
lam_tree, vec_tree = np.linalg.eigh(np.diag(d_tree) - A_tree)  # L = D - A on the tree
repeated = np.flatnonzero(np.isclose(lam_tree, 1.0))
print(
    f"eigenvalue 1 of L = D - A on the tree has multiplicity {repeated.size} (eigenvalues {lam_tree.round(4)[repeated]})"
)
print(
    f"eigenvalue 1 of L_sym (printed above) has multiplicity {np.isclose(eig_tree, 1.0).sum()}: "
    "another matrix, other eigenvalues"
)
V = vec_tree[:, repeated]
P = V @ V.T  # projector onto the eigenspace: does not depend on the basis

# the eigenspace by hand: differences of leaves that share their head
leaves = [i for i in range(n) if d_tree[i] == 1]
siblings = [
    (a, b) for a, b in zip(leaves, leaves[1:]) if heads[a] == heads[b]
]  # next leaf, same head
print(
    "e_a - e_b for leaves a, b with the same head:",
    [f"{words[a]}-{words[b]} (on '{words[heads[a]]}')" for a, b in siblings],
)
B = np.zeros((n, len(siblings)))
for col, (a, b) in enumerate(siblings):
    B[a, col], B[b, col] = 1.0, -1.0
Q, _ = np.linalg.qr(B)  # an orthonormal basis of the span of e_a - e_b
np.testing.assert_allclose(
    Q @ Q.T, P, atol=1e-10, err_msg="the eigenspace of 1: span of the e_a - e_b"
)
rotation, _ = np.linalg.qr(np.random.default_rng(6).normal(size=(repeated.size, repeated.size)))
W = V @ rotation  # another, equally valid, eigenvector basis
np.testing.assert_allclose(
    (np.diag(d_tree) - A_tree) @ W, W, atol=1e-10, err_msg="a rotated basis: still eigenvectors"
)
np.testing.assert_allclose(W @ W.T, P, atol=1e-10, err_msg="a rotated basis: the same projector")
print("projector from eigh == projector onto the span of the e_a - e_b: True")
print(
    f"a rotated basis: still eigenvectors, same projector, different vectors: {not np.allclose(W, V)}"
)

# %% [markdown]
# This is why `gl.laplacian_encoding(tree, k)` with $k$ large enough to reach the repeated
# eigenvalue gives columns that may differ between machines, and why the graph-transformer
# literature moved on to encodings that are invariant to signs and bases (e.g. SignNet and
# BasisNet). For a sentence, the path graph has only simple eigenvalues, so its Laplacian
# positions are well defined up to sign, like the sinusoids.
#
# ## Part 5 · Batching is a disjoint graph
#
# A Transformer trains on a batch of sentences at once. The dense way pads every sentence to the
# longest one, $n_{\max}$, stacks the arrays into $(B, n_{\max}, H, d_\text{head})$, and passes a
# **padding mask** so that no word attends to a padding slot. The graph way (PyG's, and
# `gl.batch_graphs`, notebook 01) puts the sentences side by side as one graph with a
# block-diagonal adjacency: no padding, no mask, and no edge between two sentences. Both must
# give the same outputs. Four sentences of different lengths:

# %%
sentences = [
    words,
    ["it", "was", "tired"],
    ["the", "mat", "was", "on", "the", "floor"],
    ["the", "cat", "sat"],
]
lengths = np.array([len(s) for s in sentences])
B, n_max = len(sentences), lengths.max()
vocab_b = sorted({w for s in sentences for w in s})
emb_b = np.random.default_rng(7).normal(size=(len(vocab_b), d_model))
features = [
    emb_b[[vocab_b.index(w) for w in s]] + gl.sinusoidal_encoding(len(s), d_model)
    for s in sentences
]

batch, node_graph, _ = gl.batch_graphs([gl.complete_graph(int(length)) for length in lengths])
out_graph = gl.multi_head_attention(params, np.vstack(features), batch)
print(
    f"lengths {lengths.tolist()}: one graph of {batch.num_nodes} nodes and {batch.num_edges} edges = sum of n_b² = {np.sum(lengths**2)}"
)
print("out_graph:", out_graph.shape)

# %% [markdown]
# Now the padded version by hand, with the module's dense attention
# `gl.scaled_dot_product_attention(q, k, v, mask)` on arrays of shape $(B, n_{\max}, H, d_\text{head})$.
# The mask is `mask[b, i, j] = j < n_b`: key $j$ of sentence $b$ is a real word. Padded queries
# get garbage outputs, which we drop at the end.

# %%
d_head = d_model // num_heads
h_pad = np.zeros((B, n_max, d_model))
for b, f in enumerate(features):
    h_pad[b, : lengths[b]] = f
real = np.arange(n_max)[None, :] < lengths[:, None]  # (B, n_max): real word, not padding
mask = np.broadcast_to(real[:, None, :], (B, n_max, n_max))  # mask[b, i, j] = j < n_b

q, k, v = ((h_pad @ params[f"W_{x}"]).reshape(B, n_max, num_heads, d_head) for x in "QKV")
out_pad, w_pad = gl.scaled_dot_product_attention(q, k, v, mask)  # (B, n_max, H, d_head)
out_pad = out_pad.reshape(B, n_max, d_model) @ params["W_O"]
np.testing.assert_allclose(  # the real rows, in batch order
    out_pad[real], out_graph, atol=1e-12, err_msg="padded + mask should equal the batch graph"
)
print(
    f"padded ({B}, {n_max}, {num_heads}, {d_head}) + padding mask == batch_graphs, to 1e-12: True"
)

one_by_one = np.vstack([gl.multi_head_attention(params, f) for f in features])
np.testing.assert_allclose(
    one_by_one, out_graph, atol=1e-12, err_msg="the batch graph should equal each sentence alone"
)
print("== each sentence on its own: True (no message crosses between sentences)")

# %% [markdown]
# Forget the mask and the result is wrong, silently: a padding slot has features 0, so its key is
# 0, its score $q_i \cdot 0 = 0$, and $e^0 = 1$ gives it a real share of every word's attention.

# %%
out_nomask, _ = gl.scaled_dot_product_attention(q, k, v)
out_nomask = out_nomask.reshape(B, n_max, d_model) @ params["W_O"]
error = np.abs(out_nomask[real] - out_graph).max(axis=1)
short = int(np.argmin(lengths))
longest = int(np.argmax(lengths))
print(
    f"without the mask: the longest sentence ({lengths[longest]} words) is untouched (to 1e-12): {error[node_graph == longest].max() < 1e-12},"
)
print(
    f"the shortest ({lengths[short]} words, {n_max - lengths[short]} padding slots) is off by up to {error[node_graph == short].max():.2f}"
)

# %% [markdown]
# **How much does padding waste?** The padded batch computes $B\, n_{\max}^2$ scores and keeps
# $\sum_b n_b^2$ of them, the edges of the batch graph:
#
# $$\text{waste} = 1 - \frac{\sum_b n_b^2}{B\, n_{\max}^2}.$$
#
# Our four sentences waste a lot because their lengths differ a lot. A realistic mix: sentence
# lengths in English text are roughly log-normal, with a median near 20 words and a long tail.
# We draw 2048 of them, cut them into batches of 32 in random order, and compare with the
# common trick of sorting by length first (each batch then holds similar lengths). Any batch size
# works: when it does not divide 2048, the last batch holds the sentences that are left.

# %%
waste_small = 1 - np.sum(lengths**2) / (B * n_max**2)
print(f"our {B} sentences: {waste_small:.0%} of the padded scores are thrown away")

rng = np.random.default_rng(8)
corpus = np.clip(np.round(rng.lognormal(mean=np.log(20), sigma=0.5, size=2048)), 3, 128).astype(int)
batch_size = 32


def padding_waste(lengths, batch_size):
    """Fraction of the padded scores B * n_max^2 that are not word pairs, over all batches."""
    batches = [lengths[start : start + batch_size] for start in range(0, lengths.size, batch_size)]
    used = sum(np.sum(b**2) for b in batches)  # the word pairs: sum of n_b^2
    computed = sum(b.size * b.max() ** 2 for b in batches)  # each batch padded to its longest
    return 1 - used / computed


print(
    f"corpus: {corpus.size} sentences, median {np.median(corpus):.0f} words, longest {corpus.max()}"
)
full, rest = divmod(corpus.size, batch_size)
if rest:
    print(
        f"{batch_size} does not divide {corpus.size}: {full} batches of {batch_size}, the last of {rest}"
    )
print(
    f"batches of {batch_size} in random order:  {padding_waste(corpus, batch_size):.0%} of the scores wasted"
)
print(
    f"batches of {batch_size} sorted by length: {padding_waste(np.sort(corpus), batch_size):.0%} wasted"
)
print("the batch graph: 0% (it computes exactly the sum of n_b² scores)")

# %% [markdown]
# In random order about four fifths of a padded batch's attention scores are thrown away: every
# batch is padded to its longest sentence, and with 32 draws from a long-tailed distribution the
# longest is typically near three times the median, while the cost grows with its square. Sorting by length ("bucketing") removes most of the waste,
# at the price of batches that are not random samples any more. The block-diagonal graph has no
# waste by construction: it stores exactly the pairs inside each sentence. What it gives up is
# regularity: one rectangular array that a GPU multiplies at full speed. Libraries meet in the
# middle with "packed" or "nested" tensors, which are a batch graph under another name.
#
# ## Summary
#
# - **Sparse attention is attention on a sparser graph.** Window, dilated window, global tokens,
#   random edges and BigBird are graphs (`gl.window_graph`, `gl.dilated_graph`,
#   `gl.global_token_graph`, `gl.random_graph`, `gl.bigbird_graph`, combined with
#   `gl.union_graph`); the layer does not change. Masked dense attention with the adjacency as
#   the mask gives the same numbers.
# - **Reach.** With residual links, $j$ can influence $i$ after $L$ layers iff
#   $[(A + I)^L]_{ij} > 0$. A window of radius $r$ reaches $L r$ words after $L$ layers; a dilated
#   window alone never reaches offsets that are not multiples of $\delta$; one global token puts
#   every pair within 2 hops for about $2n$ edges, at the price of a bottleneck.
# - **Cost.** Dense attention computes $n^2$ scores per head, a window $(2r + 1)n - r(r+1)$; the
#   measured times grow with slopes $\approx 2$ and $\approx 1$ on log-log axes, and the weights
#   take $8 H n^2$ against $8 H E$ bytes.
# - **Positions from the graph.** The path graph's Laplacian eigenvectors are
#   $\cos(\pi m (p + \frac12)/n)$ with eigenvalues $2 - 2\cos(\pi m / n)$: sinusoids with linear
#   frequencies. `normalization="sym"` gives $\sqrt{\deg p}\cos(\pi m p / (n - 1))$. On any graph
#   (a tree, a social network) the first eigenvectors are smooth coordinates. An eigenvector has
#   no sign (`laplacian_encoding` makes the largest entry positive, which follows a relabelling
#   except on a tie of opposite signs); a repeated eigenvalue has no basis (compare projectors,
#   never raw vectors).
# - **Batching is a disjoint graph.** `gl.batch_graphs` and padding + mask give the same outputs
#   (to $10^{-12}$); padding wastes $1 - \sum_b n_b^2 / (B n_{\max}^2)$ of the scores, about four
#   fifths for a realistic mix in random order, much less when batches are sorted by length.
#
# ## Exercises
#
# **1. A wider dilation.** In the reach cell, set `delta = 3`. *Predict* what fraction of the
# pairs the dilated graph alone never connects, and how many layers it needs for the pairs it
# does connect. Run the cell (and the picture) to check.
#
# <details><summary>Answer</summary>
#
# Now only offsets that are multiples of 3 are reachable. Among the $32^2 = 1024$ pairs $(i, j)$,
# the offset $i - j$ is a multiple of 3 for 342, so $1 - 342/1024 \approx 67\,\%$ of the pairs
# stay apart, which the table prints as 67 %. The pairs it does connect need
# $\lceil |i - j| / 6 \rceil$ layers (step $r\delta = 6$), at most 5 for offset 30; the assertions
# in the cell still pass because they are written in terms of `r` and `delta`. The heads
# row now mixes a window with a dilation of 4 and still connects every pair.
# </details>
#
# **2. Two global tokens.** In the global-token cell, set `hub = [words.index("sat"), words.index("tired")]`
# and rerun the cells down to the "cat" → "it" check. *Predict* the number of edges and
# whether "it" now hears "cat" in one layer.
#
# <details><summary>Answer</summary>
#
# Each global token adds its edges to and from everyone that the window does not already
# provide: the printed count rises from 42 to 56 edges (window 28, plus 14 for each token: its 19
# edges to and from all words, minus those the window or the other token already has). "it"
# still has no edge from "cat": global tokens connect words *to the tokens*, not to each other,
# so "cat" reaches "it" in two layers through "sat" or "tired", never in one. (The table of
# Part 1 and the BigBird graph change too, since they use `hub`.)
# </details>
#
# **3. Wider windows in the cost experiment.** In the counting cell, set `r_cost = 8` and rerun
# Part 3. *Predict* the edge count at $n = 4096$, the sparse slope, and where the crossover moves.
#
# <details><summary>Answer</summary>
#
# $E = 17n - 72 = 69{,}560$ at $n = 4096$, about twice the edges of radius 4, so the large
# sparse times roughly double: the line shifts up but keeps its slope near 1 (the slope
# assertion still passes). The crossover moves to a longer sentence, because dense
# attention's cost does not depend on $r$. At $r \approx n/2$ the window *is* the complete graph
# and the sparse version can only lose.
# </details>
#
# **4. Laplacian positions of a cycle.** In a new cell, build the ring of 12 words,
# `ring = gl.union_graph(gl.window_graph(12, 1, self_loops=False), gl.Graph([0, 11], [11, 0], 12))`,
# and compute the eigenvalues of `np.diag(ring.in_degree) - ring.adjacency()`. *Predict* their
# multiplicities. What does that mean for `gl.laplacian_encoding(ring, 2, normalization=None)`?
#
# <details><summary>Answer</summary>
#
# The ring looks the same from every word, so every eigenvalue other than 0 and 4 comes twice:
# $2 - 2\cos(2\pi m / 12)$ for $m = 1 \dots 5$ each with a sine and a cosine eigenvector. The two
# columns of `laplacian_encoding(ring, 2)` span the eigenspace of $\lambda_1 = 2 - \sqrt3 \approx 0.268$,
# but which pair of vectors you get is arbitrary (any rotation of cos and sin is as good): only the
# projector `V @ V.T` is well defined, and its diagonal is $2/12$ at every word, saying correctly
# that no word of a ring has a special position.
# </details>
#
# **5. Bigger batches.** In the padding-waste cell, set `batch_size = 128`. *Predict*: more or
# less waste, in random order and sorted?
#
# <details><summary>Answer</summary>
#
# More, both ways. In random order the longest of 128 draws is further out in the tail than the
# longest of 32, and every sentence of the batch is padded to it: the waste rises from 82 % to
# 88 %. Sorted, it rises from 14 % to 44 %: the last batch now holds the whole tail, from 44 to
# 101 words, and since the cost is quadratic that one batch makes most of the waste. With the
# batch graph it stays 0 %.
# </details>
#
# ## Discussion questions
#
# 1. **Is a fully connected graph the right graph for a sentence?** In the "cat" → "it" cell the
#    complete graph was the only one with a direct edge. Is one layer of reach worth $n^2$ edges
#    for a 10-word sentence? For a 10 000-word document? Compare the depths in the reach table:
#    what window radius would a 12-layer model need to connect the first and last word of a
#    4096-word text, and what would a few global tokens change? Paste below the reach table:
#    `{r: int(gl.hop_distance(gl.window_graph(n_long, r))[-1, 0]) for r in (1, 2, 4, 8)}` (layers
#    from the first position to the last, $\lceil 31 / r \rceil$: scale it to 4095 words and 12
#    layers) and `gl.hop_distance(gl.global_token_graph(n_long, [0, 16], gl.window_graph(n_long, 1))).max()`.
# 2. **Should the graph be given or learnt?** The dependency tree is a linguist's graph, the window
#    an engineer's, the random edges a theoretician's (BigBird proves that window + global +
#    random keeps the expressive power of full attention). Run the attention figure with each and
#    ask: which one would you give a model that must resolve "it"? What if the parser is wrong?
#    `{name: int(gl.hop_distance(g)[it, cat]) for name, g in sentence_graphs.items()}` gives the
#    layers each graph needs before "cat" reaches "it" (paste it after the "cat" → "it" cell); for a
#    wrong parse, add `sentence_graphs["tree, 'it' on 'mat'"] = gl.dependency_graph(np.where(np.arange(n) == it, words.index("mat"), heads), self_loops=True)`
#    at the end of the cell that builds the seven graphs and run the cells below it again.
# 3. **Positions: features or graph?** Part 4's Laplacian positions and notebook 04's sinusoids both
#    add a vector to $h$. A window graph encodes order in its *edges* instead, with no position
#    vector at all. Does a model on the window graph still need positional encodings? (Hint: can a
#    word on the window graph tell its left neighbour from its right one?) Try it without
#    positions: `h0 = embedding[[vocab.index(w) for w in words]]; print(np.abs(gl.multi_head_attention(params, h0, window) - gl.multi_head_attention(params, h0[::-1], window)[::-1]).max())`
#    runs the sentence forwards and backwards: if the reversed sentence gives the reversed outputs
#    (to rounding), no word can tell left from right.
# 4. **Padding or packing?** The batch graph wastes nothing, yet GPUs train Transformers with
#    padding. When is regular, wasteful work faster than irregular, exact work? How does the
#    answer change between a CPU (Part 3) and a GPU? Time both on the four sentences, after the
#    padded cell: `print(f"padded {1e3 * best_time(partial(gl.scaled_dot_product_attention, q, k, v, mask)):.3f} ms, batch graph {1e3 * best_time(partial(gl.graph_attention, q[real], k[real], v[real], batch)):.3f} ms")`.
#
# ## References
#
# - A. Vaswani et al., *Attention Is All You Need*, NeurIPS 2017. [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)
# - R. Child, S. Gray, A. Radford, I. Sutskever, *Generating Long Sequences with Sparse
#   Transformers*, 2019. [arXiv:1904.10509](https://arxiv.org/abs/1904.10509)
# - I. Beltagy, M. E. Peters, A. Cohan, *Longformer: The Long-Document Transformer*, 2020.
#   [arXiv:2004.05150](https://arxiv.org/abs/2004.05150)
# - M. Zaheer et al., *Big Bird: Transformers for Longer Sequences*, NeurIPS 2020.
#   [arXiv:2007.14062](https://arxiv.org/abs/2007.14062)
# - V. P. Dwivedi, X. Bresson, *A Generalization of Transformer Networks to Graphs*, 2020.
#   [arXiv:2012.09699](https://arxiv.org/abs/2012.09699)
# - D. Lim et al., *Sign and Basis Invariant Networks for Spectral Graph Representation
#   Learning* (SignNet, BasisNet), 2022. [arXiv:2202.13013](https://arxiv.org/abs/2202.13013)
# - C. K. Joshi, *Transformers are Graph Neural Networks*, the blog post of the talk, 2020.
#   [graphdeeplearning.github.io](https://graphdeeplearning.github.io/post/transformers-are-gnns/)
# - PyTorch Geometric, *Advanced Mini-Batching* (block-diagonal batches).
#   [pytorch-geometric.readthedocs.io](https://pytorch-geometric.readthedocs.io/en/latest/advanced/batching.html)
# - W. W. Zachary, *An Information Flow Model for Conflict and Fission in Small Groups*, Journal
#   of Anthropological Research 33 (1977), the karate club (`nx.karate_club_graph()`).
#   [doi:10.1086/jar.33.4.3629752](https://doi.org/10.1086/jar.33.4.3629752)
