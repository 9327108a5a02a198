# Generated from notebooks/03_graph_attention.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 03 · Graph attention: from a plain sum to a weighted sum
#
# In notebook 02 every neighbour of a word counted the same: "sat" added up the messages of "cat",
# "mat" and "tired" with weight 1 each, whatever those words said. The *Graph Attention Network*
# (GAT, Veličković et al. 2018) keeps the graph but lets the features decide **how much** each
# neighbour counts. This is the middle column of the talk's comparison: *simple linear transform and
# sum* → **weighted sum via attention**.
#
# ## What you will learn
#
# - the GAT layer in the course notation — project, score every edge, softmax per receiver, weighted
#   sum — and how to read the paper's single vector $a = [a_\text{dst} \Vert a_\text{src}]$;
# - to compute every number of a GAT layer **by hand** on a 4-node graph;
# - `segment_softmax` by hand from `segment_max` and `segment_sum`, **why we subtract the max**
#   (an overflow you will see happen), and why an isolated node gives 0, not NaN;
# - a full GAT layer by hand on the dependency tree, checked against `gl.gat_layer`, and the classic
#   mistake of **forgetting the self loops**;
# - **multi-head** GAT (concatenate or average), drawn on the edges and as a heatmap;
# - why GAT's *additive* score gives **static** attention (every word ranks the others the same way)
#   while the Transformer's *dot-product* score is **dynamic** (Brody et al. 2022).
#
# **Prerequisites:** 01 (graphs as `senders` / `receivers`, the dependency tree, `A[i, j] = 1` iff
# j → i) and 02 (message passing as gather + `segment_sum`, `gl.propagate`, mean vs sum aggregation).
# **Next:** 04 shows that the Transformer's self-attention is this layer with a dot-product score on
# the complete graph.
#
# **Time:** about 70 minutes with the exercises. **Practice:** the functions marked
# `# ✎ practice` (`my_segment_softmax`, `my_gat_scores` and `my_gat_layer`) are the ones that
# `practice/03_graph_attention.ipynb` leaves for you to write (about 30 minutes more); the cell under each,
# `gl.practice.check_...`, compares it with `gnnformer_lite` and, when they differ, names the likely
# mistake. **Notation:** every symbol is listed on the course's
# [notation page](../docs/notation.md).

# %%
import matplotlib.pyplot as plt
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()

# %% [markdown]
# ## 1 · The GAT layer in four steps
#
# The plain GNN of notebook 02 updates word $i$ as
#
# $$h_i' = \sigma\Big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V + b\Big).$$
#
# Every message $h_j V$ enters the sum with weight 1; the weights depend on the *graph* only. GAT
# replaces them by **attention weights** $\alpha_{ij} \ge 0$ with $\sum_{j \in \mathcal{N}(i)}
# \alpha_{ij} = 1$, computed from the features of both ends of the edge. One GAT head does four things:
#
# 1. **project** every node once: $z = h W$, so $z_j = h_j W$ (a row vector, as everywhere in the course);
# 2. **score** every edge $j \to i$ with two learned vectors, one for the sender and one for the receiver:
#    $$e_{ij} = \operatorname{LeakyReLU}_{0.2}\big(a_\text{src} \cdot z_j + a_\text{dst} \cdot z_i\big);$$
# 3. **normalise** the scores over each receiver's incoming edges:
#    $$\alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}\, e_{ij}
#      = \frac{\exp(e_{ij})}{\sum_{k \in \mathcal{N}(i)} \exp(e_{ik})};$$
# 4. **aggregate** a weighted sum, add the bias, apply the non-linearity (by default the ELU,
#    $x$ for $x > 0$ and $e^x - 1$ otherwise):
#    $$h_i' = \sigma\Big(\sum_{j \in \mathcal{N}(i)} \alpha_{ij}\, z_j + b\Big).$$
#
# There is no separate self term $h_i U$: a word hears itself only through a **self loop** $i \to i$,
# so we run GAT on graphs with self loops. The bias comes before $\sigma$, the order of PyTorch
# Geometric's `GATConv`, which `gl.gat_layer` follows.
#
# **Reading the paper.** Veličković et al. write $e_{ij} = \operatorname{LeakyReLU}\big(a^\top [W h_i
# \Vert W h_j]\big)$ with column vectors and *one* vector $a$ of length $2 d_\text{out}$. Its first half
# multiplies the receiver's $W h_i$, its second half the sender's $W h_j$, so in our names
# $a = [a_\text{dst} \Vert a_\text{src}]$. PyG calls the halves `att_dst` and `att_src`.
#
# Who does "sat" hear in the dependency tree once we add self loops?

# %%
words, heads = gl.example_sentence()
n = len(words)
tree = gl.add_self_loops(gl.dependency_graph(heads))  # edges both ways along the tree, plus i -> i
print(tree)
sat = words.index("sat")
print("'sat' hears:", [words[j] for j in tree.senders[tree.receivers == sat]])

# %% [markdown]
# ## 2 · A tiny example you can check by hand
#
# We cut out exactly that neighbourhood: four nodes **sat, cat, mat, tired**, renumbered 0–3, with
# an edge each way between "sat" and each other word and a self loop at every node (a star). We skip
# the projection ($W = I$, so $z = h$) and pick 2-d features and score vectors with small integers:
#
# $$z_\text{sat} = (1, 0),\quad z_\text{cat} = (0, 1),\quad z_\text{mat} = (1, 1),\quad
#   z_\text{tired} = (-1, -1),\qquad a_\text{src} = (1, 1),\quad a_\text{dst} = (1, 0).$$
#
# Each score is a sum of two numbers that belong to **nodes**, not edges: $a_\text{src} \cdot z_j$
# (how loud sender $j$ is) and $a_\text{dst} \cdot z_i$ (a constant for receiver $i$). We compute both
# once per node and gather them onto the edges.

# %%
small_words = ["sat", "cat", "mat", "tired"]
sat_small = small_words.index("sat")  # the receiver we follow
star = gl.add_self_loops(
    gl.Graph(senders=[1, 2, 3, 0, 0, 0], receivers=[0, 0, 0, 1, 2, 3], num_nodes=4)
)
z_small = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]])
a_src_small = np.array([1.0, 1.0])
a_dst_small = np.array([1.0, 0.0])

s_src = z_small @ a_src_small  # a_src . z_j: one number per node
s_dst = z_small @ a_dst_small  # a_dst . z_i: one number per node
raw = s_src[star.senders] + s_dst[star.receivers]  # gather onto the edges: (E,)
e_small = gl.leaky_relu(raw, negative_slope=0.2)
print("a_src . z_j:", s_src)
print("a_dst . z_i:", s_dst)
print("edge j -> i          raw   e_ij")
for j, i, r, e in zip(star.senders, star.receivers, raw, e_small, strict=True):
    print(f"{small_words[j]:>5} -> {small_words[i]:<5}   {r:6.1f} {e:6.1f}")


# %% [markdown]
# Check the first four rows (receiver "sat") by hand: $a_\text{dst} \cdot z_\text{sat} = 1$ is added
# to every sender's $a_\text{src} \cdot z_j = (1, 1, 2, -2)$, giving raw scores $(2, 2, 3, -1)$. The
# LeakyReLU keeps positive numbers and multiplies negative ones by 0.2, so $e = (2, 2, 3, -0.2)$. The
# softmax subtracts the largest score, 3, exponentiates and normalises:
#
# $$\big(e^{-1}, e^{-1}, e^{0}, e^{-3.2}\big) = (0.368, 0.368, 1, 0.041),\quad
#   \text{sum} = 1.777,\quad \alpha_{\text{sat},\cdot} = (0.207, 0.207, 0.563, 0.023).$$
#
# "sat" listens mostly to "mat" and nearly ignores "tired". Notice that $a_\text{dst} \cdot z_\text{sat}$
# shifted all four of sat's scores by the same amount; we come back to that in section 9.

# %% [markdown]
# ## 3 · Softmax over each receiver's incoming edges, by hand
#
# The softmax of step 3 is not over a row of a matrix but over a **segment**: the edges that share a
# receiver. Written with the segment operations of notebook 02, and with the receiver's largest score
# $m_i$ subtracted (section 4 shows why):
#
# $$m_i = \max_{k \in \mathcal{N}(i)} e_{ik}, \qquad
#   \alpha_{ij} = \frac{\exp(e_{ij} - m_i)}{\sum_{k \in \mathcal{N}(i)} \exp(e_{ik} - m_i)}.$$
#
# Four lines: `segment_max` gives one $m_i$ per **node**; indexing with `[receivers]` gathers it back
# onto every **edge**; `segment_sum` adds the exponentials per node; gather and divide.

# %%
# ✎ practice: this body is yours to write in practice/03_graph_attention.ipynb
def my_segment_softmax(logits, receivers, num_nodes):
    """Softmax of per-edge logits (E,) or (E, H) over each receiver's incoming edges."""
    m = gl.segment_max(logits, receivers, num_nodes)  # (n, ...): largest score per receiver
    ex = np.exp(logits - m[receivers])  # gather each edge's receiver max: every exponent <= 0
    total = gl.segment_sum(ex, receivers, num_nodes)  # (n, ...): denominator per receiver
    return ex / total[receivers]


# %%
gl.practice.check_segment_softmax(my_segment_softmax)

# %%
alpha_small = my_segment_softmax(e_small, star.receivers, 4)
np.testing.assert_allclose(
    alpha_small,
    gl.segment_softmax(e_small, star.receivers, 4),
    atol=1e-15,
    err_msg="my_segment_softmax should equal gl.segment_softmax on the star (any scores)",
)
print("alpha per edge:           ", alpha_small)
print("sum per receiver (all 1): ", gl.segment_sum(alpha_small, star.receivers, 4))

# %% [markdown]
# Step 4 is the message passing of notebook 02 with each message scaled by its weight:
# $h_i' = \sum_j \alpha_{ij} z_j$ (we leave out $b$ and $\sigma$ for now). We compare it with the **mean**
# of the same messages, which is what the weights would give if they were all equal, and then check
# the whole computation against `gl.gat_layer` with $W = I$, $b = 0$ and no activation. The module
# stores the score vectors as `(H, d_out)` arrays: one row per head, here one head.

# %%
out_small = gl.propagate(star, alpha_small[:, None] * z_small[star.senders])  # sum_j alpha_ij z_j
mean_small = gl.segment_mean(z_small[star.senders], star.receivers, 4)

params_small = {
    "W": np.eye(2),
    "a_src": a_src_small[None, :],  # (H, d_out) = (1, 2)
    "a_dst": a_dst_small[None, :],
    "b": np.zeros(2),
}
np.testing.assert_allclose(
    gl.gat_layer(params_small, z_small, star, activation=None),
    out_small,
    err_msg="gl.gat_layer with W = I, b = 0, no activation should be sum_j alpha_ij z_j (any a, z)",
)
print("GAT output for 'sat':  ", out_small[sat_small])
print("mean output for 'sat': ", mean_small[sat_small])

# %% [markdown]
# In the picture each neighbour of "sat" is a point $z_j$ whose size shows $\alpha_{\text{sat},j}$.
# The output is a **weighted average of these points**: the plain mean sits at their centre, the
# attention output is pulled towards the loudest sender.

# %%
in_sat = star.receivers == sat_small  # sat's incoming edges, senders in sorted order
alpha_sat, senders_sat = alpha_small[in_sat], star.senders[in_sat]
sizes = 2000 * alpha_sat + 20  # marker area in points^2
centre = z_small[senders_sat].mean(axis=0)

fig, ax = plt.subplots(figsize=(5.6, 4.2))
ax.scatter(
    *z_small[senders_sat].T,
    s=sizes,
    color="C0",
    alpha=0.5,
    label=r"$z_j$, area $\propto \alpha_{\mathrm{sat},j}$",
)
for j, a, size in zip(senders_sat, alpha_sat, sizes, strict=True):
    side = 1 if z_small[j, 0] >= centre[0] else -1  # label on the side away from the centre
    ax.annotate(
        f"{small_words[j]}  α={a:.3f}",
        z_small[j],
        xytext=(side * (np.sqrt(size) / 2 + 4), 0),  # just outside the marker
        textcoords="offset points",
        ha="left" if side > 0 else "right",
        va="center",
    )
ax.scatter(
    *mean_small[sat_small],
    marker="x",
    s=80,
    color="0.3",
    label="mean of the $z_j$ (plain GNN, mean)",
)
ax.scatter(
    *out_small[sat_small],
    marker="*",
    s=200,
    color="C3",
    label=r"$\sum_j \alpha_{\mathrm{sat},j} z_j$ (GAT)",
)
if np.ptp(alpha_sat) < 1e-12:  # all weights equal
    title = f"Receiver '{small_words[sat_small]}': equal weights, the output is the mean"
else:
    loudest = small_words[senders_sat[alpha_sat.argmax()]]
    title = f"Receiver '{small_words[sat_small]}': attention pulls the output towards '{loudest}'"
ax.set_xlim(-2.8, 2.8)
ax.set_ylim(-1.5, 2.0)
ax.set_xlabel("feature 0")
ax.set_ylabel("feature 1")
ax.set_title(title, fontsize=10)
ax.legend(loc="lower right", fontsize=8, markerscale=0.5)
plt.show()

# %% [markdown]
# The mean lands at $(0.25, 0.25)$, equally far from everyone; the GAT output $(0.75, 0.75)$ sits
# near "mat", the sender with the largest $a_\text{src} \cdot z_j$, and "tired" barely counts.

# %% [markdown]
# ## 4 · Why subtract the max?
#
# Mathematically the max changes nothing: for any constant $c$,
# $\dfrac{e^{x_j + c}}{\sum_k e^{x_k + c}} = \dfrac{e^{c}\, e^{x_j}}{e^{c} \sum_k e^{x_k}}
# = \dfrac{e^{x_j}}{\sum_k e^{x_k}}$. Numerically it is everything: `exp` overflows to `inf` as soon
# as its argument passes $\ln(\text{largest float})$, and then the softmax computes
# $\infty / \infty = \text{NaN}$. Here are the thresholds:

# %%
for dtype in (np.float64, np.float32):
    print(f"{np.dtype(dtype).name}: exp(x) overflows for x > {np.log(np.finfo(dtype).max):.2f}")


# %% [markdown]
# A **naive** softmax divides the exponentials directly. We give it the tiny example's scores shifted
# by 1000 — the same attention, mathematically — in float64, and shifted by 100 in float32. Logits
# that large are not exotic: a few unnormalised layers or a large learning rate produce them. NumPy
# would warn on stderr; we silence the warning and print what happened instead.

# %%
def naive_segment_softmax(logits, receivers, num_nodes):
    """exp / sum without subtracting the max: correct maths, fragile numerics."""
    ex = np.exp(logits)
    return ex / gl.segment_sum(ex, receivers, num_nodes)[receivers]


cases = [(np.float64, 1000.0), (np.float32, 100.0), (np.float64, -1000.0)]  # (dtype, shift)
for dtype, shift in cases:
    logits = (e_small + shift).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = naive_segment_softmax(logits, star.receivers, 4)
        largest_exp = np.exp(logits).max()
    name = f"{np.dtype(dtype).name}, logits {shift:+g}"
    print(
        f"{name:22s}: max exp = {largest_exp:.4g}, naive alpha for 'sat': {naive[in_sat]}  -> NaN: {np.isnan(naive).any()}"
    )

# %% [markdown]
# Too large overflows to `inf` and `inf / inf` is NaN; too small (the third case) *underflows* every
# exponential to 0 and `0 / 0` is NaN as well. Subtracting the max makes every exponent $\le 0$ and at
# least one exactly 0, so the denominator lies between 1 and $|\mathcal{N}(i)|$: neither can happen.

# %%
for dtype, shift in cases:
    logits = (e_small + shift).astype(dtype)
    name = f"{np.dtype(dtype).name}, logits {shift:+g}"
    stable = my_segment_softmax(logits, star.receivers, 4)
    np.testing.assert_allclose(
        stable,
        gl.segment_softmax(logits, star.receivers, 4),
        rtol=1e-6,
        err_msg=f"my_segment_softmax should equal gl.segment_softmax ({name})",
    )
    close = np.abs(stable - alpha_small).max() < 1e-6
    print(
        f"{name:22s}: stable alpha for 'sat': {stable[in_sat]}  equal to the original within 1e-6: {close}"
    )

# %% [markdown]
# The float32 row agrees to about $4 \cdot 10^{-7}$, not $10^{-16}$: near 100, float32 numbers are
# spaced $2^{-17} \approx 8 \cdot 10^{-6}$ apart, so adding 100 rounds every score a little. The
# attention survives; only its last digits do not.
#
# ### An isolated node gets 0, not NaN
#
# What if a node has **no** incoming edge — say "tired" still sends to "sat" but hears nobody, not even
# itself? Its segment is empty: there is no score to normalise and nothing to sum. `gl.segment_max`
# and `gl.segment_sum` return 0 for an empty segment, so the node's aggregate is 0 and no NaN appears.
# A dense, masked softmax that is not careful gets NaN for that row instead, whichever way it
# computes: the masked scores of an empty row are all $-\infty$, so its max is $-\infty$ and
# subtracting it gives $-\infty - (-\infty) = \text{NaN}$; without the subtraction every
# $\exp(-\infty) = 0$ and the division is $0 / 0 = \text{NaN}$. The cell shows both:

# %%
tired_small = small_words.index("tired")
# drop the edges into 'tired' (sat -> tired and tired -> tired):
keep = star.receivers != tired_small
one_way = gl.Graph(star.senders[keep], star.receivers[keep], 4)
print("in-degree:", dict(zip(small_words, one_way.in_degree.tolist(), strict=True)))
out_one_way = gl.gat_layer(params_small, z_small, one_way, activation=None)
print("GAT output per node:\n", out_one_way)

scores = np.where(one_way.adjacency(dtype=bool), 0.0, -np.inf)  # a dense, masked score matrix
with np.errstate(invalid="ignore"):
    row_max = scores.max(axis=1, keepdims=True)  # -inf for the empty row
    ex = np.exp(scores - row_max)  # -inf - (-inf) = NaN
    with_max = ex / ex.sum(axis=1, keepdims=True)
    ex = np.exp(scores)  # exp(-inf) = 0: the empty row is all zeros
    without_max = ex / ex.sum(axis=1, keepdims=True)  # 0 / 0 = NaN
print(f"careless dense softmax, row '{small_words[tired_small]}':")
print("  max subtracted (-inf - (-inf)):", with_max[tired_small])
print("  max not subtracted (0 / 0):    ", without_max[tired_small])


# %% [markdown]
# ## 5 · A full GAT layer by hand, on the dependency tree
#
# Now the real thing: the 10-word sentence, the tree with self loops, random 8-d features and the module's initialiser (zero bias, and Glorot weights: uniform in $\pm\sqrt{6 / (d_\text{in} + d_\text{out})}$,
# width-dependent so that a layer roughly keeps the scale of its input). With $H$ heads, `W` holds the $H$ projections side
# by side, `(d_in, H * d_out)`; reshaping $z$ to `(n, H, d_out)` separates them, and `a_src`, `a_dst`
# are `(H, d_out)`: one score vector per head. Our functions handle any $H$; we start with one.
#
# Steps 1 and 2 first: project, then **score** every edge $j \to i$ and every head $k$, per node and
# gathered onto the edges as in section 2:
#
# $$z = h W, \qquad e_{ij}^{(k)} = \operatorname{LeakyReLU}_{0.2}\big(a^{(k)}_\text{src} \cdot z^{(k)}_j
#   + a^{(k)}_\text{dst} \cdot z^{(k)}_i\big).$$

# %%
# ✎ practice: this body is yours to write in practice/03_graph_attention.ipynb
def my_gat_scores(params, h, graph):
    """GAT's score e of every edge j -> i and head k: (E, H), in the graph's edge order."""
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(len(h), num_heads, d_out)  # 1. project, split into heads
    s_src = (z * params["a_src"]).sum(axis=-1)  # (n, H): a_src . z_j, once per node
    s_dst = (z * params["a_dst"]).sum(axis=-1)  # (n, H): a_dst . z_i, once per node
    return gl.leaky_relu(s_src[graph.senders] + s_dst[graph.receivers], 0.2)  # 2. (E, H)


# %%
gl.practice.check_gat_scores(my_gat_scores)


# %% [markdown]
# Then steps 3 and 4: the softmax over each receiver's incoming edges (your `my_segment_softmax`),
# the weighted sum of the senders' $z_j$, the heads joined — concatenated, or averaged with
# `concat=False` (section 7) — the bias, and the activation ($\sigma$ = `activation`, none when it is
# `None`):
#
# $$\alpha^{(k)}_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i)}\, e^{(k)}_{ij}, \qquad
#   h_i' = \sigma\Big(\big\Vert_{k=1}^{H} \sum_{j \in \mathcal{N}(i)} \alpha^{(k)}_{ij} z^{(k)}_j + b\Big).$$
#
# Like `gl.gat_layer(..., return_attention=True)`, the function returns the weights too: `alpha` of
# shape `(E, H)`, one row per edge in the graph's edge order.

# %%
# ✎ practice: this body is yours to write in practice/03_graph_attention.ipynb
def my_gat_layer(params, h, graph, activation=None, concat=True):
    """GAT by hand: returns (h', alpha) with alpha (E, H) in the graph's edge order."""
    n = h.shape[0]
    num_heads, d_out = params["a_src"].shape
    z = (h @ params["W"]).reshape(n, num_heads, d_out)  # 1. project, split into heads
    e = my_gat_scores(params, h, graph)  # 2. score every edge: (E, H)
    alpha = my_segment_softmax(e, graph.receivers, n)  # 3. normalise per receiver
    messages = alpha[:, :, None] * z[graph.senders]  # (E, H, d_out)
    out = gl.segment_sum(messages, graph.receivers, n)  # 4. aggregate: (n, H, d_out)
    out = out.reshape(n, num_heads * d_out) if concat else out.mean(axis=1)  # join the heads
    out = out + params["b"]
    return (out if activation is None else activation(out)), alpha


# %%
gl.practice.check_gat_layer(my_gat_layer)

# %%
rng = np.random.default_rng(0)
d_in, d_out = 8, 4
h = rng.normal(size=(n, d_in))
params = gl.init_gat_layer(rng, d_in, d_out, num_heads=1)
print({name: value.shape for name, value in params.items()})

mine, alpha1 = my_gat_layer(params, h, tree)
theirs, alpha_gl = gl.gat_layer(params, h, tree, activation=None, return_attention=True)
np.testing.assert_allclose(
    mine, theirs, atol=1e-12, err_msg="my_gat_layer should equal gl.gat_layer(activation=None)"
)
np.testing.assert_allclose(
    alpha1, alpha_gl, atol=1e-12, err_msg="my_gat_layer's alpha should equal gl.gat_layer's"
)
np.testing.assert_allclose(
    my_gat_layer(params, h, tree, activation=gl.elu)[0],
    gl.gat_layer(params, h, tree),
    atol=1e-12,
    err_msg="my_gat_layer(activation=gl.elu) should equal gl.gat_layer (ELU by default)",
)
print("by hand == gl.gat_layer (no activation, and with ELU); alpha:", alpha1.shape)

# %% [markdown]
# Whom do the words listen to? Each block below is one receiver's segment of `alpha` (its incoming
# edges, senders in sorted order); each block sums to 1.

# %%
for word in ("the", "cat", "sat", "it", "tired"):  # "the": the first of the two
    i = words.index(word)
    row = tree.receivers == i
    pairs = ", ".join(
        f"{words[j]} {a:.3f}" for j, a in zip(tree.senders[row], alpha1[row, 0], strict=True)
    )
    print(f"{word:>5} <- {pairs}")

# %% [markdown]
# `gl.draw_attention` draws every edge $j \to i$ separately, with width and opacity proportional to
# $\alpha_{ij}$: edges from an earlier to a later word are arcs above the sentence, edges pointing
# back are arcs below, self loops are rings. It is an overview: to read a weight, use the printed
# blocks above, or `receiver=` (section 7).

# %%
fig, ax = plt.subplots(figsize=(11, 3.4))
gl.draw_attention(
    tree,
    alpha1,
    words,
    ax=ax,
    title="One GAT head on the dependency tree (random weights): width ∝ α_ij",
)
plt.show()

# %% [markdown]
# Even with random weights the attention is far from uniform: some arcs are almost invisible. Every
# word with a single tree neighbour ("the", "on", "because", "it", "was") splits its attention between
# that neighbour and itself.

# %% [markdown]
# ## 6 · Two common mistakes
#
# ### Forgetting the self loops
#
# `gl.dependency_graph(heads)` has no self loops: that is right for the plain GNN, whose $h_i U$ term
# already carries the word itself. GAT has no such term. Run it on the bare tree and a word with a
# single neighbour has a one-edge segment, so $\alpha = 1$ on that edge and its output is **exactly
# its neighbour's** $z_j$: the word has been replaced by its head. Worse, words that share their only
# neighbour become indistinguishable.

# %%
bare = gl.dependency_graph(heads)
print("self loops?", bare.has_self_loops())
out_bare = gl.gat_layer(params, h, bare, activation=None)
z = h @ params["W"]
for i in np.flatnonzero(bare.in_degree == 1):
    j = bare.senders[bare.receivers == i][0]
    print(
        f"{words[i]:>7}: only neighbour '{words[j]}', output == z_{words[j]}: {np.allclose(out_bare[i], z[j])}"
    )
same = np.allclose(out_bare[words.index("because")], out_bare[words.index("it")])
print("'because' and 'it' get identical outputs:", same)

# %% [markdown]
# A GAT layer can not even tell "it" from "because" without self loops. The module does not add them
# for you (no layer does: graphs carry their edges), so build the graph with `gl.add_self_loops`.
#
# ### Translating the paper's single vector $a$
#
# The paper's score is $\operatorname{LeakyReLU}(a \cdot [z_i \Vert z_j])$ with $a = [a_\text{dst}
# \Vert a_\text{src}]$ of length $2 d_\text{out}$. First we check that this is our score, then we make
# the mistake everybody makes when porting it: passing the two halves as 1-d vectors.

# %%
# the paper's a = [a_dst || a_src], shape (2 d_out,): the receiver's half comes first
a_paper = np.concatenate([params["a_dst"][0], params["a_src"][0]])
e_paper = gl.leaky_relu(np.concatenate([z[tree.receivers], z[tree.senders]], axis=1) @ a_paper)
np.testing.assert_allclose(
    e_paper,
    my_gat_scores(params, h, tree)[:, 0],
    atol=1e-12,
    err_msg="the paper's a . [z_i || z_j] should be our score a_dst . z_i + a_src . z_j",
)
np.testing.assert_allclose(
    gl.segment_softmax(e_paper, tree.receivers, n),
    alpha1[:, 0],
    atol=1e-12,
    err_msg="the paper's scores should give the attention of section 5",
)
print("paper's a . [z_i || z_j] gives the same scores and the same attention")

# the mistake: the two halves as 1-d vectors, without the head axis
wrong = {**params, "a_dst": a_paper[:d_out], "a_src": a_paper[d_out:]}
gl.show_error(lambda: gl.gat_layer(wrong, h, tree))

# right: (H, d_out) = (1, 4)
right = {**params, "a_dst": a_paper[None, :d_out], "a_src": a_paper[None, d_out:]}
np.testing.assert_allclose(
    gl.gat_layer(right, h, tree),
    gl.gat_layer(params, h, tree),
    err_msg="a_dst = a[:d_out], a_src = a[d_out:], each as (1, d_out), should rebuild the layer",
)
# halves swapped: the shapes are right, the model is not
swapped = {**params, "a_dst": a_paper[None, d_out:], "a_src": a_paper[None, :d_out]}
_, alpha_swapped = gl.gat_layer(swapped, h, tree, return_attention=True)
print(
    f"halves swapped: no error, but alpha changes by up to {np.abs(alpha_swapped - alpha1).max():.3f}"
)

# %% [markdown]
# The module refuses the 1-d halves at once, naming the argument and its shape: a score vector is
# `(H, d_out)`, one row per head, even when $H = 1$.
# No shape check can catch swapped halves — both are `(1, 4)` — which is why the [notation page](../docs/notation.md)
# records that the paper's first half is $a_\text{dst}$, the receiver's.

# %% [markdown]
# ## 7 · Several heads: concatenate or average
#
# One head gives every receiver one opinion about its neighbours. $H$ heads run $H$ independent
# scorings — each with its own slice $W^{(k)}$, $a^{(k)}_\text{src}$, $a^{(k)}_\text{dst}$ — on the
# same graph, and combine the results in one of two ways:
#
# $$\text{concat: } h_i' = \sigma\Big(\big\Vert_{k=1}^{H} \textstyle\sum_j \alpha^{(k)}_{ij} z^{(k)}_j + b\Big)
#   \in \mathbb{R}^{H d_\text{out}}, \qquad
#   \text{mean: } h_i' = \sigma\Big(\frac{1}{H} \textstyle\sum_{k=1}^{H} \sum_j \alpha^{(k)}_{ij} z^{(k)}_j + b\Big)
#   \in \mathbb{R}^{d_\text{out}}.$$
#
# The GAT paper concatenates in hidden layers and averages in the output layer. Only the bias's shape
# depends on the choice. The line `graph = tree` is where you can give the heads another graph.

# %%
H = 3
graph = tree  # try gl.complete_graph(n): every word may attend to every word
params3 = gl.init_gat_layer(np.random.default_rng(1), d_in, d_out, num_heads=H)  # b: (H * d_out,)
params3_mean = {**params3, "b": np.zeros(d_out)}  # averaging heads: b is (d_out,)

out_cat, alpha3 = gl.gat_layer(params3, h, graph, return_attention=True)
out_mean = gl.gat_layer(params3_mean, h, graph, concat=False)
print("concat:", out_cat.shape, " mean:", out_mean.shape, " alpha:", alpha3.shape)

mine_cat, my_alpha3 = my_gat_layer(params3, h, graph, activation=gl.elu)
np.testing.assert_allclose(
    mine_cat, out_cat, atol=1e-12, err_msg=f"my_gat_layer, H = {H}, concat: != gl.gat_layer"
)
np.testing.assert_allclose(
    my_alpha3, alpha3, atol=1e-12, err_msg=f"my_gat_layer's alpha, H = {H}: != gl.gat_layer's"
)
np.testing.assert_allclose(
    my_gat_layer(params3_mean, h, graph, activation=gl.elu, concat=False)[0],
    out_mean,
    atol=1e-12,
    err_msg=f"my_gat_layer, H = {H}, heads averaged (concat=False): != gl.gat_layer",
)
# before the activation, the mean of the heads is the mean of the concatenated blocks:
raw_cat = gl.gat_layer(params3, h, graph, activation=None).reshape(n, H, d_out)
np.testing.assert_allclose(
    raw_cat.mean(axis=1),
    gl.gat_layer(params3_mean, h, graph, activation=None, concat=False),
    err_msg="without activation, averaging the heads should be the mean of the concatenated blocks",
)
print(f"by hand == gl.gat_layer for H = {H}, concat and mean")

row = graph.receivers == sat
print("\n'sat' <- ", "  ".join(f"{words[j]:>6}" for j in graph.senders[row]))
for k in range(H):
    print(f"head {k}: ", "  ".join(f"{a:6.3f}" for a in alpha3[row, k]))

# %% [markdown]
# The heads disagree about what matters to "sat". Drawn on the sentence: heads 0 and 1, only the
# edges into one word (`receiver=focus`), each labelled with its weight, the numbers of the table
# above. Change `focus` to read another word's edges.

# %%
focus = sat  # whose incoming edges to draw; try words.index("mat")
shown = range(min(H, 2))  # heads 0 and 1 (only head 0 if H = 1)
fig, axes = plt.subplots(len(shown), 1, figsize=(11, 2.4 * len(shown)), squeeze=False)
for k, ax in zip(shown, axes[:, 0], strict=True):
    gl.draw_attention(
        graph,
        alpha3,
        words,
        head=k,
        ax=ax,
        receiver=focus,
        title=f"head {k}: edges into '{words[focus]}'",
    )
how_many = "Two heads" if len(shown) == 2 else "One head"
fig.suptitle(f"{how_many} of one GAT layer, one receiver: width ∝ α_ij", y=1.02)
plt.show()

# %% [markdown]
# Same edges, different weights. Each head can specialise in a different relation — after training;
# here the weights are random, so the difference is only a hint of the capacity.
#
# The same weights as matrices: `gl.edge_weights_to_dense(graph, alpha)` scatters the `(E, H)`
# per-edge weights into `(H, n, n)` with row = receiver $i$, column = sender $j$ (the orientation of
# the adjacency matrix), and **0 wherever there is no edge**.

# %%
dense3 = gl.edge_weights_to_dense(graph, alpha3)
print("dense:", dense3.shape, " row sums of head 0:", dense3[0].sum(axis=1))
print(
    "nonzero entries per head:", (dense3 > 0).sum(axis=(1, 2)), "= number of edges", graph.num_edges
)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
no_edge = n * n - graph.num_edges  # cells without an edge j -> i: weight 0
zeros = f"0 in the {no_edge} cells without an edge" if no_edge else "every cell is an edge"
for k, ax in zip(range(min(H, 2)), axes):  # heads 0 and 1
    gl.attention_heatmap(dense3[k], words, ax=ax, title=f"head {k}: α_ij ({zeros})")
for ax in axes[H:]:  # H = 1: nothing to show on the right
    ax.set_axis_off()
plt.tight_layout()
plt.show()

# %% [markdown]
# The heatmaps are mostly dark: a GAT on the tree only ever spends attention on the 28 edges, the
# diagonal (self loops) and the tree's pairs. A Transformer fills all 100 cells (notebook 04).

# %% [markdown]
# ## 8 · Uniform attention is mean aggregation
#
# With $a_\text{src} = a_\text{dst} = 0$ every score is 0, the softmax of equal numbers is uniform,
# $\alpha_{ij} = 1 / |\mathcal{N}(i)|$, and the layer becomes
#
# $$h_i' = \sigma\Big(\frac{1}{|\mathcal{N}(i)|} \sum_{j \in \mathcal{N}(i)} z_j + b\Big),$$
#
# notebook 02's mean aggregation (with the self loop in place of the $U$ term). So GAT strictly
# contains the mean-aggregation GNN: attention is what it *learns on top*.

# %%
flat = {**params, "a_src": np.zeros_like(params["a_src"]), "a_dst": np.zeros_like(params["a_dst"])}
out_flat, alpha_flat = gl.gat_layer(flat, h, tree, activation=None, return_attention=True)
np.testing.assert_allclose(
    out_flat,
    gl.segment_mean(z[tree.senders], tree.receivers, n),
    atol=1e-12,
    err_msg="with a_src = a_dst = 0 (and no activation, b = 0), GAT should be the mean of the z_j",
)
print("a = 0: GAT == gl.segment_mean of the z_j")
print(
    "alpha for 'sat':",
    alpha_flat[tree.receivers == sat, 0],
    " = 1/|N(sat)| =",
    f"{1 / tree.in_degree[sat]:.4f}",
)

# %% [markdown]
# ## 9 · Additive versus dot-product scores: static and dynamic attention
#
# GAT's score is **additive**: before the LeakyReLU it splits into a receiver part and a sender part,
#
# $$e_{ij} = \operatorname{LeakyReLU}\big(c_i + d_j\big), \qquad c_i = a_\text{dst} \cdot z_i, \quad
#   d_j = a_\text{src} \cdot z_j.$$
#
# For a fixed receiver $i$, $c_i$ is the same for all its neighbours, and LeakyReLU is increasing, so
# **the order of the scores over $j$ is the order of $d_j$ alone** — the same for every receiver. On
# the complete graph, every word then has the *same favourite word*. Brody et al. (2022, "How attentive
# are graph attention networks?") call this **static attention**. The Transformer's **dot-product**
# score $q_i \cdot k_j$ (with $q = h W_Q$, $k = h W_K$) multiplies the two ends instead of adding them,
# so each query can prefer a different key: **dynamic attention**.
#
# We build both score matrices on the complete graph (row $i$ = receiver, column $j$ = sender) with
# random weights and ask each word for its favourite. Change `slope` to explore (exercise 2).

# %%
slope = 0.2  # LeakyReLU negative slope of the GAT score
rng = np.random.default_rng(11)
complete = gl.complete_graph(n)
p_gat = gl.init_gat_layer(rng, d_in, d_out, num_heads=1)
p_dot = gl.init_multi_head_attention(rng, d_in, num_heads=1)

z_c = h @ p_gat["W"]
c = z_c @ p_gat["a_dst"][0]  # receiver part, (n,)
d = z_c @ p_gat["a_src"][0]  # sender part, (n,)
gat_scores = gl.leaky_relu(c[:, None] + d[None, :], slope)  # (n, n): e_ij
q, k = h @ p_dot["W_Q"], h @ p_dot["W_K"]
dot_scores = q @ k.T / np.sqrt(d_in)  # (n, n): q_i . k_j / sqrt(d)

gat_alpha = gl.softmax(gat_scores)  # a stable softmax over each row (the complete graph)
if slope == 0.2:  # the module's GAT has slope 0.2: check our matrix against it
    _, alpha_c = gl.gat_layer(p_gat, h, complete, return_attention=True)
    np.testing.assert_allclose(
        gat_alpha,
        gl.edge_weights_to_dense(complete, alpha_c)[0],
        atol=1e-12,
        err_msg="softmax of LeakyReLU_0.2(c_i + d_j) should be gl.gat_layer's attention",
    )
dot_alpha = gl.softmax(dot_scores)
_, dense_weights = gl.scaled_dot_product_attention(q[:, None, :], k[:, None, :], h[:, None, :])
np.testing.assert_allclose(  # dense_weights: (H, n, n) with H = 1
    dot_alpha,
    dense_weights[0],
    atol=1e-12,
    err_msg="softmax(q_i . k_j / sqrt(d)) should be gl.scaled_dot_product_attention's weights",
)

print("receiver   GAT favourite   dot-product favourite")
for i in range(n):
    print(
        f"{words[i]:>8}   {words[gat_scores[i].argmax()]:>13}   {words[dot_scores[i].argmax()]:>21}"
    )
print(
    f"distinct favourites: GAT {len(set(gat_scores.argmax(axis=1)))}, dot product {len(set(dot_scores.argmax(axis=1)))}"
)


def ranks_like(scores, key):
    """Does every row rank the senders like `key` (a larger key never scores lower; ties allowed)?"""
    return bool((np.diff(scores[:, np.argsort(key)], axis=1) >= 0).all())


same_order = ranks_like(gat_scores, d)
print("every GAT row ranks the senders like d_j = a_src . z_j (ties allowed):", same_order)
print("all rows of the GAT attention are equal:", np.allclose(gat_alpha, gat_alpha[0], atol=1e-12))
rankings = {  # how many different orders of the senders the rows use (tied senders share a rank)
    name: len({tuple(np.unique(row, return_inverse=True)[1].ravel()) for row in scores})
    for name, scores in (("GAT", gat_scores), ("dot product", dot_scores))
}
print("distinct rankings of the senders over the rows:", rankings)
static_scorer = {  # static: one order of the senders that every row follows (ties allowed)
    "GAT": same_order,
    "dot product": ranks_like(dot_scores, dot_scores.sum(axis=0)),
}
print("static (every row follows one order of the senders):", static_scorer)

# %% [markdown]
# The softmax keeps the order of the scores, so we can look at the attention weights directly. A
# static scorer paints **one bright column** — the favourite of everybody; a dynamic one puts each
# row's maximum somewhere else (the dots mark each row's maximum).

# %%
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.5))
for ax, a, name, kind in ((ax0, gat_alpha, "GAT", "additive"), (ax1, dot_alpha, "dot product", "")):
    static = static_scorer[name]  # every row ranks the senders the same way (ties allowed)
    label = "static" if static else "dynamic" if name == "dot product" else "not static"
    title = f"{name} ({kind}): {label}" if kind else f"{name}: {label}"
    gl.attention_heatmap(a, words, ax=ax, title=title)
    ax.scatter(
        a.argmax(axis=1),
        np.arange(n),
        marker="o",
        s=18,
        color="white",
        edgecolors="black",
        linewidths=0.6,
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# Left: every word, whatever it is, attends most to "it" — the receiver only changes *how sharply*
# (through the LeakyReLU's kink), never *who wins*. Right: the favourites vary from row to row.
#
# On a sparse graph static attention is less of a restriction, because each receiver ranks only its
# few neighbours; but any two receivers that share neighbours still rank them the same way. The fix
# of Brody et al., **GATv2** (PyG's `GATv2Conv`), applies the non-linearity *before* the dot product
# with $a$, so the two ends no longer separate:
#
# $$e_{ij} = a \cdot \operatorname{LeakyReLU}\big(h_i W_\text{dst} + h_j W_\text{src}\big).$$
#
# A few lines by hand, with random weights, on the complete graph:

# %%
rng = np.random.default_rng(9)
W_dst = rng.normal(size=(d_in, d_out)) / np.sqrt(d_in)
W_src = rng.normal(size=(d_in, d_out)) / np.sqrt(d_in)
a_v2 = rng.normal(size=d_out)
pair = (h @ W_dst)[:, None, :] + (h @ W_src)[None, :, :]  # (n, n, d_out): receiver i, sender j
gatv2_scores = gl.leaky_relu(pair, 0.2) @ a_v2  # (n, n)
print("GATv2 favourites:", [words[j] for j in gatv2_scores.argmax(axis=1)])
print(f"distinct favourites: GATv2 {len(set(gatv2_scores.argmax(axis=1)))}")

# %% [markdown]
# Three different favourites instead of one. With random weights the effect is modest — the
# LeakyReLU's kink is the only thing that mixes the two ends — but it is no longer *impossible* for
# two receivers to disagree, and training can use that freedom. The price: GATv2 builds an
# `(E, d_out)` array per head, where GAT needed two numbers per node.

# %% [markdown]
# ## Summary
#
# - GAT replaces the GNN's plain sum by a **weighted sum**: $h_i' = \sigma\big(\sum_{j \in
#   \mathcal{N}(i)} \alpha_{ij} z_j + b\big)$ with $z = hW$, $e_{ij} = \operatorname{LeakyReLU}_{0.2}(a_\text{src}
#   \cdot z_j + a_\text{dst} \cdot z_i)$ and $\alpha$ a softmax over each receiver's incoming edges.
#   The paper's $a$ is $[a_\text{dst} \Vert a_\text{src}]$.
# - The score is computed per **node** ($a_\text{src} \cdot z_j$, $a_\text{dst} \cdot z_i$) and gathered onto
#   the edges; the softmax is `segment_max` → gather → `exp` → `segment_sum` → gather → divide.
# - Subtracting the max is free mathematically and essential numerically: without it logits of 1000
#   (float64) or 100 (float32) give NaN. Empty segments give 0, not NaN.
# - GAT has no self term: **add self loops**, or a word with one neighbour becomes that neighbour.
# - $H$ heads score independently; concatenate (hidden layers) or average (output layer). With
#   $a = 0$, GAT is mean aggregation.
# - GAT's additive score is **static**: every receiver ranks the senders the same way. The
#   dot-product score of the Transformer (and GATv2) is **dynamic**.
#
# Next: **04 · Transformers are GNNs** — the dot-product score on the complete graph.

# %% [markdown]
# ## Exercises
#
# 1. **Only the receiver speaks.** In the tiny example (section 2), set `a_src_small = np.array([0.0, 0.0])`
#    and keep `a_dst_small`. Predict $\alpha_{\text{sat},\cdot}$ and where the red star lands in the
#    picture, then run sections 2–3 to check.
#
#    <details><summary>Answer</summary>
#
#    Every edge into "sat" gets the same score $\operatorname{LeakyReLU}(a_\text{dst} \cdot z_\text{sat}) = 1$,
#    so $\alpha = (0.25, 0.25, 0.25, 0.25)$ and the star lands on the cross: the mean. The same holds for
#    every receiver: $a_\text{dst}$ alone shifts a receiver's scores by a constant, and the softmax ignores
#    constants, so it can never make attention non-uniform. All the *choosing* is done by $a_\text{src}$.
#    </details>
#
# 2. **A straight LeakyReLU.** In section 9, change `slope = 0.2` to `slope = 1.0` (the LeakyReLU becomes
#    the identity). Predict: does every receiver now rank its neighbours identically? What do the rows of
#    the GAT heatmap look like? Run the cell and the heatmap to check.
#
#    <details><summary>Answer</summary>
#
#    The ranking was identical already, and stays so: any increasing function keeps the order of
#    $c_i + d_j$, which is the order of $d_j$. With slope 1 something stronger happens:
#    $e_{ij} = c_i + d_j$ and the softmax cancels $c_i$ completely, so $\alpha_{ij} = \operatorname{softmax}_j(d_j)$
#    does not depend on $i$ at all — every row of the heatmap is the same. With slope 0.2 the kink lets
#    the receiver change how *sharp* its attention is, not who wins. (Try `slope = -1.0`, which makes the
#    function $|x|$, not monotone: now the favourites can differ — two of them here — and the
#    heatmap's title says "not static".)
#    </details>
#
# 3. **One loud word.** In section 5, right after `h = rng.normal(...)`, add `h[words.index("cat")] *= 10`.
#    Predict how the attention that "sat" and the first "the" pay to "cat" changes (hint:
#    it depends on the sign of $a_\text{src} \cdot z_\text{cat}$; print it in a new cell after the one that makes
#    `params`, with `(h @ params["W"])[words.index("cat")] @ params["a_src"][0]`). Run the rest of section 5 and the printed blocks to check.
#
#    <details><summary>Answer</summary>
#
#    $z_\text{cat}$ and therefore $d_\text{cat} = a_\text{src} \cdot z_\text{cat}$ scale by 10. With these
#    weights $d_\text{cat} \approx 0.47 > 0$ becomes $4.7$, so "cat" wins every segment it is in: "sat"
#    pays it 0.963 instead of 0.274, the first "the" 0.993 instead of 0.669, and "cat" attends to itself
#    with 0.987 instead of 0.490. (Had $d_\text{cat}$ been negative, its share would have dropped to almost 0.) Scaling a
#    feature vector makes a word shout or whisper — which is also why unnormalised features make
#    attention saturate.
#    </details>
#
# 4. **Where does naive softmax break?** In section 4, change the shift `1000.0` in the first case to
#    `700.0`, then to `707.0`. Predict NaN or not for each, then run.
#
#    <details><summary>Answer</summary>
#
#    With 700 the largest logit is 703 < 709.78: `exp` stays finite ($e^{703} \approx 2 \cdot 10^{305}$) and
#    the naive result is correct. With 707 the largest logit is 710 > 709.78: `exp` of "mat"'s score overflows, the sum is `inf`, the
#    other three weights become finite / `inf` = 0 and "mat"'s `inf / inf` = NaN.
#    The stable version works for any shift.
#    </details>

# %% [markdown]
# ## Discussion questions
#
# 1. **Is attention over a fixed graph (GAT) a different model from attention over all words (the
#    Transformer), or just a different graph?** In section 7 replace the line `graph = tree` by
#    `graph = gl.complete_graph(n)` and rerun the section: the same layer now attends to every word. Then
#    look at section 9: on the complete graph GAT still differs from the Transformer through its score.
#    Which of the two differences — graph or score function — matters more for language?
# 2. **Is a fully connected graph the right graph for a sentence?** The tree gives "it" two choices
#    ("it", "tired"); the complete graph gives ten, including "cat", which "it" refers to and which is
#    three hops away in the tree. In section 7 replace the line `graph = tree` by
#    `graph = gl.window_graph(n, 2)`, then by `graph = gl.complete_graph(n)`, rerun the section and read
#    the row of "it" in the heatmaps. When does a linguistic prior
#    (the tree) help, and when does it hide the word you need?
# 3. **Do heads learn different relations? Why several heads?** In section 7 replace `H = 3` by `H = 2`, then by
#    `H = 6`, rerun the section and compare the printed weights of "sat" and the drawings. Random heads already differ; what in training would push one
#    head towards "attend to my head word" and another towards "attend to myself"? (Notebook 05 designs
#    such heads by hand.)
# 4. **Why is attention hard to train?** In section 5, right after the line
#    `params = gl.init_gat_layer(rng, d_in, d_out, num_heads=1)`, add
#    `params = {**params, "a_src": 10 * params["a_src"], "a_dst": 10 * params["a_dst"]}` (the score
#    vectors times 10), rerun section 5 and look at the printed weights and the drawing: attention becomes nearly one-hot, and a saturated softmax passes almost no gradient.
#    How do the Transformer's $1/\sqrt{d_k}$ (notebook 04), normalisation layers and learning-rate warm-up
#    (notebook 05) keep the logits in a trainable range?

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group and blog post (2020): <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - Petar Veličković, Guillem Cucurull, Arantxa Casanova, Adriana Romero, Pietro Liò, Yoshua Bengio, *Graph
#   Attention Networks*, ICLR 2018: [arXiv:1710.10903](https://arxiv.org/abs/1710.10903)
# - Shaked Brody, Uri Alon, Eran Yahav, *How Attentive are Graph Attention Networks?* (GATv2), ICLR 2022:
#   [arXiv:2105.14491](https://arxiv.org/abs/2105.14491)
# - Ashish Vaswani et al., *Attention Is All You Need*, NeurIPS 2017 (the dot-product score of section 9):
#   [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)
# - Xavier Glorot, Yoshua Bengio, *Understanding the difficulty of training deep feedforward neural networks*,
#   AISTATS 2010 (the initialiser): <https://proceedings.mlr.press/v9/glorot10a.html>
# - Djork-Arné Clevert, Thomas Unterthiner, Sepp Hochreiter, *Fast and Accurate Deep Network Learning by
#   Exponential Linear Units (ELUs)*, ICLR 2016: [arXiv:1511.07289](https://arxiv.org/abs/1511.07289)
# - PyTorch Geometric's layers, which `gl.gat_layer` follows: [`GATConv`](https://pytorch-geometric.readthedocs.io/en/latest/generated/torch_geometric.nn.conv.GATConv.html)
#   and [`GATv2Conv`](https://pytorch-geometric.readthedocs.io/en/latest/generated/torch_geometric.nn.conv.GATv2Conv.html)
# - The course's notation, and the same symbols in the papers and libraries: [notation page](../docs/notation.md)
#
