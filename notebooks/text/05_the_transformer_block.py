# Generated from notebooks/05_the_transformer_block.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 05 · The Transformer block
#
# In notebook 04 we took one attention head apart and found a graph attention layer on the complete
# graph. A real Transformer layer wraps that head in four more ideas, the last slides of the talk:
#
# > Update each word's features through **Multi-head Attention** mechanism as a weighted sum of
# > features of other words in the sentence. + Scaling dot product attention + **Normalization
# > layers** + **Residual links**
#
# (and a feed-forward net, which the slide leaves out). We add them one at a time, write each in a
# few lines of NumPy, check it against `gnnformer_lite`, and end with the talk's final picture: GNN,
# GAT and Transformer side by side on one sentence.
#
# ## What you will learn
#
# - **Why several heads.** Single heads drawn from different random seeds attend to different
#   words; an average over many heads depends much less on the seed ("hedge our bets").
# - **Heads as relations.** We design three heads by hand: one looks at the previous word, one at
#   the word's dependency head, one at everything. One layer runs all three at once.
# - **How heads are stored.** $H$ heads are one matrix product followed by a reshape of the last
#   axis, $(n, d_\text{model}) \to (n, H, d_\text{head})$, as in `torch.nn.MultiheadAttention`;
#   the heads are concatenated and mixed by $W_O$.
# - **LayerNorm, residual links, the feed-forward net**, each by hand, and the whole block (post-LN
#   and pre-LN) checked equal to `gl.transformer_layer`.
# - **Why residual links**: without them, 12 random layers make every word look the same.
# - **The final picture**: what a GAT adds to a GNN, and what a Transformer adds to a GAT.
#
# **Before this notebook:** 04 (self-attention is graph attention on the complete graph; why we
# divide by $\sqrt{d}$; positional encodings). We also use the max-subtracted softmax of 03 and the
# mean aggregation of 02.
#
# **Time:** about 75 minutes with the exercises. **Practice:** the functions marked
# `# ✎ practice` (`my_multi_head_attention`, `my_layer_norm`, `my_feed_forward` and `my_transformer_block`) are the ones that
# `practice/05_the_transformer_block.ipynb` leaves for you to write (about 40 minutes more); the cell under each,
# `gl.practice.check_...`, compares it with `gnnformer_lite` and, when they differ, names the likely
# mistake. **Notation:** every symbol is listed on the course's
# [notation page](../docs/notation.md).

# %%
import matplotlib.pyplot as plt
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()

# %% [markdown]
# ## The running example
#
# The sentence of the whole course, with its dependency tree: `heads[i]` is the word that word $i$
# hangs from ($-1$ for the root, "sat").

# %%
words, heads = gl.example_sentence()
n = len(words)
for i, word in enumerate(words):
    head = words[heads[i]] if heads[i] >= 0 else "ROOT"
    print(f"{i}  {word:8s} head: {head}")

# %% [markdown]
# Each word needs a feature vector $h_i$ (a row). We give every *vocabulary* word a random embedding,
# so both "the"s share one, and add the sinusoidal position encoding of notebook 04, which is what
# tells the two "the"s apart. $d_\text{model} = 16$ features per word.

# %%
d_model = 16
vocab = sorted(set(words))
rng = np.random.default_rng(0)
embedding = rng.normal(size=(len(vocab), d_model))  # one row per vocabulary word
pe = gl.sinusoidal_encoding(n, d_model)  # (n, d_model), notebook 04
h = embedding[[vocab.index(w) for w in words]] + pe
print("h:", h.shape, " (one row per word)")
the_1, the_2 = [i for i, word in enumerate(words) if word == "the"]
same = np.allclose(h[the_1] - pe[the_1], h[the_2] - pe[the_2])
print(f"the two 'the's (positions {the_1}, {the_2}) share their embedding: {same}")
print(
    f"and differ by their positions: |h_{the_1} - h_{the_2}| = {np.linalg.norm(h[the_1] - h[the_2]):.4f}"
)

# %% [markdown]
# ### One head, as in notebook 04
#
# One head turns every word into a query $q_i = h_i W_Q$, a key $k_j = h_j W_K$ and a value
# $v_j = h_j W_V$, and updates word $i$ with a weighted sum over all words $j \in S$:
#
# $$\alpha_{ij} = \operatorname{softmax}_{j \in S}\left(\frac{q_i \cdot k_j}{\sqrt{d_\text{head}}}\right),
# \qquad h_i' = \sum_{j \in S} \alpha_{ij}\, v_j .$$
#
# In matrix form that is `softmax(q @ k.T / sqrt(d_head)) @ v`, with the softmax over each row (row
# $i$ = receiver, column $j$ = sender, as `A[i, j]` in the notation). Notebook 04 wrote it by hand
# and checked it against the module; from here on we use the module's `gl.self_attention(h, W_Q,
# W_K, W_V)`, which returns `(h', alpha)`. $d_\text{head}$ is the width of the head's queries and keys,
# the $d$ (or $d_k$) of notebook 04; a single head here is as wide as the features, $d_\text{head} =
# d_\text{model}$, and from Part 2 on a layer splits $d_\text{model}$ between $H$ heads. Tiny check first: two words with $h = I_2$ and all three
# weights $I_2$ give $q_i \cdot k_j = 1$ if $i = j$ and 0 otherwise, so each word keeps
# $e^{1/\sqrt2} / (e^{1/\sqrt2} + 1) \approx 0.670$ of its attention for itself.

# %%
eye2 = np.eye(2)
print("tiny alpha =")
print(gl.self_attention(eye2, eye2, eye2, eye2)[1])
print(f"by hand: {np.exp(1 / np.sqrt(2)) / (np.exp(1 / np.sqrt(2)) + 1):.4f}")

rng = np.random.default_rng(0)
W_Q, W_K, W_V = (rng.normal(size=(d_model, d_model)) / 4 for _ in range(3))
out, alpha = gl.self_attention(h, W_Q, W_K, W_V)
print("h':", out.shape, " alpha:", alpha.shape)
print(f"every row of alpha sums to 1: {np.allclose(alpha.sum(axis=1), 1)}")


# %% [markdown]
# ## Part 1 · One head is a gamble
#
# The talk motivates several heads with one sentence:
#
# > Bad random initializations can de-stabilize the learning process of this dot-product attention
# > mechanism. We can 'hedge our bets' through concatenating multiple attention 'heads'.
#
# We train nothing in this course, so we cannot watch learning go wrong. What we *can* see is the
# starting point: where a head looks before it has learnt anything. Below are three single heads,
# built exactly alike (`gl.init_multi_head_attention` with $H = 1$, Glorot-uniform weights) from
# three seeds, on the same sentence.

# %%
def random_head(rng, h):
    """The attention matrix (n, n) of one freshly initialised head on features h."""
    params = gl.init_multi_head_attention(rng, h.shape[1], num_heads=1)
    return gl.self_attention(h, params["W_Q"], params["W_K"], params["W_V"])[1]


seeds = [0, 1, 2]
seed_alphas = np.stack([random_head(np.random.default_rng(seed), h) for seed in seeds])
print("attention matrices:", seed_alphas.shape, " (seed, receiver i, sender j)")

# %%
count = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five"}.get(len(seeds), str(len(seeds)))
fig, axes = plt.subplots(1, len(seeds), figsize=(13 * len(seeds) / 3, 4), squeeze=False)
for ax, seed, a in zip(axes[0], seeds, seed_alphas, strict=True):
    gl.attention_heatmap(a, words, ax=ax, title=f"head from seed {seed}")
    ax.set_xlabel("sender j")
    ax.set_ylabel("receiver i" if ax is axes[0, 0] else "")
if len(seeds) > 1:
    fig.suptitle(f"{count} untrained heads, one sentence: each looks somewhere else", y=1.0)
plt.tight_layout()
plt.show()

# %% [markdown]
# Same architecture, same sentence, same features; only the random weights differ, and each head
# has its own favourite words (a bright column means many words attend to that word). None of them
# is "right": they are three random starting points. Which word does each word attend to most?

# %%
print(f"{'receiver':9s}" + "".join(f"seed {s:<6d}" for s in seeds))
for i, word in enumerate(words):
    picks = [words[a[i].argmax()] for a in seed_alphas]
    print(f"{word:9s}" + "".join(f"{p:11s}" for p in picks))


# %% [markdown]
# ### How different? Total variation distance
#
# To put one number on "how different", compare two attention rows $\alpha_{i\cdot}$ and
# $\beta_{i\cdot}$ (two probability distributions over the senders $j$) with the **total variation
# distance**
#
# $$\operatorname{TV}(\alpha_{i\cdot}, \beta_{i\cdot}) = \frac{1}{2} \sum_{j \in S} \lvert \alpha_{ij} - \beta_{ij} \rvert ,$$
#
# the amount of attention that would have to move to turn one row into the other: 0 for identical
# rows, 1 for rows that put their weight on different words. By hand first, on three senders:
# $\alpha = (\tfrac12, \tfrac14, \tfrac14)$ and $\beta = (\tfrac14, \tfrac14, \tfrac12)$ differ by
# $\tfrac14$ on the first and on the last sender, so $\operatorname{TV} = \tfrac12(\tfrac14 + 0 + \tfrac14) = \tfrac14$.

# %%
def total_variation(a, b):
    """TV distance between attention rows: (..., n) and (..., n) -> (...)."""
    return 0.5 * np.abs(a - b).sum(axis=-1)


print(
    f"tiny example: {total_variation(np.array([0.5, 0.25, 0.25]), np.array([0.25, 0.25, 0.5])):.4f}"
)

tv = np.array([[total_variation(a, b).mean() for b in seed_alphas] for a in seed_alphas])
print(
    "mean TV distance between the heads of two seeds "
    f"(rows, columns: seeds {', '.join(map(str, seeds))}):"
)
print(tv)
uniform = np.full((n, n), 1 / n)
print("mean TV distance of each head from uniform attention (1/n on every word):")
print(np.array([total_variation(a, uniform).mean() for a in seed_alphas]))
if len(seeds) > 1:
    pairs = tv[np.triu_indices(len(seeds), k=1)]  # every pair of different seeds once
    print(f"two seeds disagree on {pairs.min():.0%} to {pairs.max():.0%} of each word's attention")


# %% [markdown]
# Two seeds disagree on 38 to 56 % of each word's attention, about as much as either head differs
# from plain uniform averaging. A model with only one head would start training from one of these
# arbitrary patterns, and the talk's point is that a bad one can stall or derail learning.
#
# ### Hedging our bets
#
# With $H$ heads, the layer no longer depends on one draw. A simple way to see this (`torch`
# reports it too: `nn.MultiheadAttention` returns the head-averaged weights unless you pass
# `average_attn_weights=False`) is to average the attention matrices of $H$ independent heads and
# ask how much two such "committees" of $H$ heads, drawn with different random numbers, still
# disagree.

# %%
def committee(rng, h, num_heads):
    """The head-averaged attention (n, n) of num_heads freshly initialised heads."""
    return np.mean([random_head(rng, h) for _ in range(num_heads)], axis=0)


rng = np.random.default_rng(7)
head_counts = [1, 2, 4, 8, 16, 32]
trials = 20
disagreement = np.array(
    [
        np.mean(
            [
                total_variation(committee(rng, h, H), committee(rng, h, H)).mean()
                for _ in range(trials)
            ]
        )
        for H in head_counts
    ]
)
print("heads H   mean TV between two committees   (H = 1 value) / sqrt(H)")
for H, tv_H in zip(head_counts, disagreement, strict=True):
    print(f"{H:7d}   {tv_H:30.3f}   {disagreement[0] / np.sqrt(H):22.3f}")

# %% [markdown]
# The disagreement falls roughly like $1/\sqrt{H}$ (last column; a little slower), the rate at which
# an average of $H$ independent draws settles down. Two caveats, to be honest about what this shows.
# A real layer does not average its heads: it concatenates them and lets $W_O$ mix them (next
# part), so the average is a proxy.
# And we looked only at initialisation; the talk's claim is about training, where several heads give
# gradient descent several starting points and one bad head cannot decide the layer alone.
#
# ## Part 2 · Heads built by hand
#
# Random heads look nowhere in particular. Trained heads often specialise: in BERT, Clark et al.
# (2019, *What does BERT look at?*) found heads that attend to the previous word, heads that follow
# particular dependency relations, and heads that spread their attention broadly. We now **design**
# three such heads, so that we know exactly what each one does.
#
# **The trick: one-hot positions.** Give word $i$ the feature $h_i = e_i$, the $i$-th unit row
# vector (so $h = I_n$). Then the score of head $m$ is a table lookup in the product of its two
# weight matrices:
#
# $$q_i \cdot k_j = (e_i W_Q)(e_j W_K)^\top = e_i \, W_Q W_K^\top \, e_j^\top = \big(W_Q W_K^\top\big)_{ij} .$$
#
# To make receiver $i$ look at sender $j$, we put a large number at entry $[i, j]$ of
# $W_Q W_K^\top$. With $W_K = I$ that is $W_Q$ itself. (We write $m$ for the head index, because $k$
# is taken by the keys.)
#
# **A tiny example first**, on four words: head "previous word" uses the shift matrix
# $S$ with $S_{i, i-1} = 1$ (`np.eye(4, k=-1)`), scaled so that after the division by
# $\sqrt{d_\text{head}}$ the right sender scores `gap = 10` and every other sender 0.

# %%
tiny = ["the", "cat", "sat", "down"]
gap = 10.0  # score of the chosen sender, after dividing by sqrt(d_head); all others score 0
S4 = np.eye(4, k=-1)  # S4[i, i - 1] = 1: receiver i picks sender i - 1
d_head4 = 4
_, alpha4 = gl.self_attention(np.eye(4), gap * np.sqrt(d_head4) * S4, np.eye(4), np.eye(4))
print("S =")
print(S4)
print("alpha =")
print(alpha4)
others = len(tiny) - 1  # the senders that score 0
print(
    f"by hand: e^{gap:g} / (e^{gap:g} + {others}) = {np.exp(gap) / (np.exp(gap) + others):.4f};"
    f"  first row: 1/{len(tiny)} each"
)

# %% [markdown]
# Receiver "cat" puts $e^{10} / (e^{10} + 3) = 0.9999$ of its attention on "the", and so on down
# the diagonal below the main one. The first word has no previous word: its row of $S$ is zero, all
# its scores are 0, and a softmax of equal scores is **uniform**. Remember that; it comes back.
#
# ### Three heads for our sentence
#
# Now $n = 10$ and $d_\text{head} = 10$ (one feature per position). With the scale
# $c = \text{gap} \cdot \sqrt{d_\text{head}}$ and $W_K = W_V = I$ for every head:
#
# | head | $W_Q$ | receiver $i$ attends to |
# |---|---|---|
# | 1 | $c\,S$, $S_{i,i-1} = 1$ (`offset = -1`) | the previous word $i-1$ |
# | 2 | $c\,D$, $D_{i,\text{heads}[i]} = 1$ | its dependency head |
# | 3 | $0$ | every word equally: all scores 0, so $\alpha_{ij} = 1/n$ |
#
# With $W_V = I$ the value of word $j$ is its one-hot position, so each head's output row
# $h_i' = \sum_j \alpha_{ij} e_j$ **is** its attention row: we can read off where each head looked.

# %%
d_head = n
c = gap * np.sqrt(d_head)
eye = np.eye(n)
offset = -1  # head 1 looks at word i + offset: -1 = the previous word
S = np.eye(n, k=offset)  # S[i, i + offset] = 1
D = np.zeros((n, n))  # dependency head: D[i, heads[i]] = 1 (the root's row stays 0)
children = np.flatnonzero(heads >= 0)
D[children, heads[children]] = 1
relation = {-1: "previous word", 1: "next word"}.get(offset, f"word i{offset:+d}")
designed_W_Q = {relation: c * S, "dependency head": c * D, "uniform": np.zeros((n, n))}

designed = {}
for name, Wq in designed_W_Q.items():
    out, alpha = gl.self_attention(eye, Wq, eye, eye)
    np.testing.assert_allclose(  # W_V = I: the output row is the attention row
        out, alpha, err_msg=f"head {name!r}: with h = W_V = I, h' should be alpha"
    )
    designed[name] = alpha


def strongest(row):
    """The sender(s) a row attends to most (ties joined by /), or '(uniform)' if all get 1/n."""
    if np.allclose(row, 1 / len(row), rtol=0, atol=1e-9):
        return f"(uniform) {row.max():.4f}"
    top = "/".join(words[j] for j in np.flatnonzero(row >= row.max() - 1e-9))
    return f"{top:9s} {row.max():.4f}"


titles = [f"head {m + 1}: {name}" for m, name in enumerate(designed)]
width = max(24, max(map(len, titles)) + 1)  # one column per head
print(f"{'receiver':9s}  " + "  ".join(f"{title:{width}s}" for title in titles))
for i, word in enumerate(words):
    print(f"{word:9s}  " + "  ".join(f"{strongest(a[i]):{width}s}" for a in designed.values()))

# %%
formulas = {relation: "$W_Q = cS$", "dependency head": "$W_Q = cD$", "uniform": "$W_Q = 0$"}
fig, axes = plt.subplots(1, len(designed), figsize=(13 * len(designed) / 3, 4.2), squeeze=False)
for m, (ax, name) in enumerate(zip(axes[0], designed, strict=True)):
    formula = f" ({formulas[name]})" if name in formulas else ""
    gl.attention_heatmap(designed[name], words, ax=ax, title=f"head {m + 1}: {name}{formula}")
plt.tight_layout()
plt.show()

# %% [markdown]
# Three heads, three relations on the same ten words: a diagonal just below the main one (the
# previous word), the dependency tree read from child to head ("because", "it" and "was" all look
# at "tired"; "cat", "mat" and "tired" at "sat"), and a flat dark square (every word, $1/10$ each).
# Each is a weighted graph on the sentence, and together they cover more than any one of them.
#
# Look at the two rows that are **not** one-hot. "sat" is the root: it has no head, its row of $D$ is
# zero, so head 2 falls back to uniform attention over the sentence, $0.1$ on every word. The first
# "the" has no previous word and does the same in head 1. A head cannot "attend to nothing": the
# softmax always hands out a total weight of 1. Trained models solve this by parking the attention
# on a harmless token (BERT's `[SEP]`, or the word itself); try it in the exercises.
#
# Be honest about the trick: $D$ encodes the parse of *this* sentence, so head 2 is not a parser.
# A trained head must compute "who is my head?" from word identities and positions, which is
# exactly the open question "do heads learn different syntactic relations?" at the end.
#
# ### From H heads to one layer: split, attend, concatenate, mix
#
# A multi-head layer does not store $H$ separate weight matrices. It stores one $W_Q$ of shape
# $(d_\text{model}, d_\text{model})$, computes all queries with one product, and **reshapes the last
# axis**: $(n, d_\text{model}) \to (n, H, d_\text{head})$ with $d_\text{head} = d_\text{model} / H$.
# Head $m$ owns the columns $m\,d_\text{head}, \dots, (m+1)\,d_\text{head} - 1$. On a tiny
# $2 \times 6$ array with $H = 3$:

# %%
tiny_q = np.arange(12).reshape(2, 6)  # 2 words, d_model = 6
split = tiny_q.reshape(2, 3, 2)  # (n, H, d_head): head m = columns 2m, 2m + 1
print("q =")
print(tiny_q)
for m in range(3):
    print(f"head {m}: columns {2 * m}, {2 * m + 1} ->", split[:, m].tolist())
print("concatenating = reshaping back:", np.array_equal(split.reshape(2, 6), tiny_q))


# %% [markdown]
# This is the convention of `torch.nn.MultiheadAttention`, which computes `x @ in_proj_weight.T`
# and then `view`s the last axis as `(num_heads, head_dim)`. PyTorch stores weights acting on the
# left, so our `W_Q` is `in_proj_weight[:d].T` (see the [notation page](../docs/notation.md)). Each head then attends on
# its own; the outputs are concatenated back into $d_\text{model}$ features and mixed by $W_O$:
#
# $$\operatorname{MHA}(h)_i = \big[\,\text{head}^{(1)}_i \,\Vert\, \cdots \,\Vert\, \text{head}^{(H)}_i\,\big]\, W_O,
# \qquad \text{head}^{(m)}_i = \sum_{j \in S} \alpha^{(m)}_{ij}\, v^{(m)}_j ,
# \qquad \alpha^{(m)}_{ij} = \operatorname{softmax}_{j \in S}\left(\frac{q^{(m)}_i \cdot k^{(m)}_j}{\sqrt{d_\text{head}}}\right).$$
#
# $W_O$ is where the heads meet: every output feature can read every head. (Biases $b_Q, b_K, b_V,
# b_O$ are added after each product when present.)

# %%
# ✎ practice: this body is yours to write in practice/05_the_transformer_block.ipynb
def my_multi_head_attention(params, h, num_heads):
    """Multi-head self-attention on the complete graph: (h' (n, d_model), alpha (H, n, n))."""
    if params.get("num_heads", num_heads) != num_heads:  # params from gl.init_* remember theirs
        raise ValueError(f"num_heads={num_heads}, but params were built with {params['num_heads']}")
    n, d_model = h.shape
    d_head = d_model // num_heads

    def project(name):  # h @ W + b, then split the last axis: (n, d_model) -> (n, H, d_head)
        return (h @ params[f"W_{name}"] + params.get(f"b_{name}", 0)).reshape(n, num_heads, d_head)

    q, k, v = project("Q"), project("K"), project("V")
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d_head)  # (H, n, n)
    alpha = gl.softmax(scores)
    heads_out = np.einsum("hij,jhd->ihd", alpha, v)  # (n, H, d_head)
    concat = heads_out.reshape(n, d_model)
    return concat @ params["W_O"] + params.get("b_O", 0), alpha


# %%
gl.practice.check_multi_head_attention(my_multi_head_attention)

# %% [markdown]
# **Our three designed heads as one layer.** $d_\text{model} = 3 \times 10 = 30$. The features are
# the one-hot positions padded with 20 zeros (room a real model would fill with word meaning; our
# heads ignore it). Head $m$'s matrices go into the column block $m$ of $W_Q, W_K, W_V$, and
# $W_O = I$ keeps the three heads side by side in the output.

# %%
H = len(designed_W_Q)  # one head per designed relation
d_model_designed = H * d_head
h_designed = np.hstack([eye, np.zeros((n, d_model_designed - n))])  # (10, 30)
params_designed = {x: np.zeros((d_model_designed, d_model_designed)) for x in ["W_Q", "W_K", "W_V"]}
for m, Wq in enumerate(designed_W_Q.values()):
    block = slice(m * d_head, (m + 1) * d_head)  # head m's columns
    params_designed["W_Q"][:n, block] = Wq
    params_designed["W_K"][:n, block] = eye
    params_designed["W_V"][:n, block] = eye
params_designed["W_O"] = np.eye(d_model_designed)

theirs, weights = gl.multi_head_attention(  # the module's layer, for the checks below
    params_designed, h_designed, num_heads=H, return_attention=True
)
out, alpha = my_multi_head_attention(params_designed, h_designed, num_heads=H)
for m, name in enumerate(designed):  # the same heads as above
    np.testing.assert_allclose(
        alpha[m], designed[name], atol=1e-12, err_msg=f"head {m + 1} ({name}): alpha changed"
    )
    np.testing.assert_allclose(
        out[:, m * d_head : (m + 1) * d_head],
        designed[name],
        atol=1e-12,
        err_msg=f"with W_V = W_O = I, block {m + 1} of h' should be head {m + 1}'s alpha",
    )
blocks = " | ".join(f"head {m + 1}" for m in range(H))
print("output:", out.shape, f"= [{blocks}], each block the head's attention rows")

np.testing.assert_allclose(
    out, theirs, atol=1e-12, err_msg="my_multi_head_attention's h' != gl.multi_head_attention's"
)
np.testing.assert_allclose(
    alpha, weights, atol=1e-12, err_msg="my_multi_head_attention's alpha != the module's"
)
print("my_multi_head_attention == gl.multi_head_attention:", weights.shape, "weights (H, n, n)")

# %% [markdown]
# The same layer runs as message passing on the complete graph (notebook 04): then the weights come
# back per edge, as `alpha` of shape $(E, H)$, and `gl.edge_weights_to_dense` puts them back into
# $(H, n, n)$ matrices.

# %%
complete = gl.complete_graph(n)
graph = complete  # discussion question 1: gl.dependency_graph(heads, self_loops=True)
theirs_graph, alpha_edges = gl.multi_head_attention(
    params_designed, h_designed, graph, num_heads=H, return_attention=True
)
dense_alpha = gl.edge_weights_to_dense(graph, alpha_edges)  # (H, n, n), 0 where there is no edge
edges = f"alpha {alpha_edges.shape} (E = {graph.num_edges} edges, H = {H})"
if graph == complete:  # theirs, weights: the dense layer (above)
    np.testing.assert_allclose(
        theirs_graph, theirs, atol=1e-12, err_msg="on the complete graph: the dense layer's h'"
    )
    np.testing.assert_allclose(
        dense_alpha, weights, atol=1e-12, err_msg="on the complete graph: the dense layer's alpha"
    )
    print(f"graph path: {edges}, same numbers")
else:
    max_diff = np.abs(theirs_graph - theirs).max()  # (not `gap`: the three-heads cell uses it)
    print(f"graph path: {edges}: h' differs from the dense layer's by up to {max_diff:.2f}")
    for i in (words.index("sat"), 0):  # the root, and the first word
        print(f"row of {words[i]!r} (word {i}; one line per head):")
        print(dense_alpha[:, i])

# %% [markdown]
# And with random weights and biases, on the running features (a check that does not rely on
# the zeros of our design):

# %%
rng = np.random.default_rng(1)
num_heads = 2
params = gl.init_multi_head_attention(rng, d_model, num_heads=num_heads)
for x in "QKVO":
    params[f"b_{x}"] = rng.normal(size=d_model)  # init gives zero biases; make them count
mine, mine_alpha = my_multi_head_attention(params, h, num_heads=num_heads)
for how, module_out in [
    ("dense", gl.multi_head_attention(params, h)),
    ("graph", gl.multi_head_attention(params, h, complete)),
]:
    np.testing.assert_allclose(
        mine,
        module_out,
        atol=1e-12,
        err_msg=f"my_multi_head_attention != gl.multi_head_attention ({how}), H = {num_heads}",
    )
print(
    f"random weights, H = {num_heads}, d_head = {d_model // num_heads}: by hand == dense == graph"
)

# %% [markdown]
# **A common mistake.** `num_heads` must divide $d_\text{model}$, because each head gets
# $d_\text{model} / H$ features. Another: handing the attention function the parameters of the whole
# Transformer layer (a nested dict) instead of its `"attn"` part. Both fail with a message that
# says what is wrong:

# %%
bad_heads = next(k for k in range(2, d_model_designed) if d_model_designed % k)  # 4 for 30
gl.show_error(lambda: gl.multi_head_attention(params_designed, h_designed, num_heads=bad_heads))

layer_params = gl.init_transformer_layer(np.random.default_rng(0), d_model, num_heads=2, d_ff=64)
# the whole layer's params instead of layer_params["attn"]:
gl.show_error(lambda: gl.multi_head_attention(layer_params, h, num_heads=2))


# %% [markdown]
# ## Part 3 · Normalisation, residual links and the feed-forward net
#
# ### LayerNorm
#
# LayerNorm rescales **each word on its own**: it subtracts the mean of the word's $d$ features and
# divides by their standard deviation, then applies a learnt per-feature scale $\gamma$ and shift
# $\beta$:
#
# $$\operatorname{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta,
# \qquad \mu = \frac{1}{d} \sum_{f=1}^{d} x_f, \qquad \sigma^2 = \frac{1}{d} \sum_{f=1}^{d} (x_f - \mu)^2 .$$
#
# The variance is the *biased* one (divide by $d$, not $d - 1$), as in PyTorch, and
# $\epsilon = 10^{-5}$ keeps a constant row from dividing by zero. By hand: $x = (1, 2, 3, 6)$ has
# $\mu = 3$ and $\sigma^2 = (4 + 1 + 0 + 9)/4 = 3.5$, so
# $\operatorname{LN}(x) = (-2, -1, 0, 3)/\sqrt{3.5}$ $\approx (-1.069, -0.535, 0, 1.604)$ with
# $\gamma = 1$, $\beta = 0$.

# %%
# ✎ practice: this body is yours to write in practice/05_the_transformer_block.ipynb
def my_layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm of each row (word) over its features, the last axis, with the biased variance."""
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # biased: divide by d
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


# %%
gl.practice.check_layer_norm(my_layer_norm)

# %%
x = np.array([1.0, 2.0, 3.0, 6.0])
print("LN(1, 2, 3, 6) =", my_layer_norm(x, np.ones(4), np.zeros(4)))
print(
    f"(-2, -1, 0, 3) / sqrt(3.5) = {-2 / np.sqrt(3.5):.4f}, {-1 / np.sqrt(3.5):.4f}, 0, {3 / np.sqrt(3.5):.4f}"
)
np.testing.assert_allclose(
    my_layer_norm(x, np.ones(4), np.zeros(4)),
    gl.layer_norm(x, np.ones(4), np.zeros(4)),
    err_msg="my_layer_norm != gl.layer_norm on x = (1, 2, 3, 6), gamma = 1, beta = 0",
)

rng = np.random.default_rng(2)
gamma, beta = rng.normal(size=d_model), rng.normal(size=d_model)
np.testing.assert_allclose(
    my_layer_norm(h, gamma, beta),
    gl.layer_norm(h, gamma, beta),
    atol=1e-12,
    err_msg="my_layer_norm != gl.layer_norm on h (random gamma, beta)",
)
print("my_layer_norm == gl.layer_norm (random gamma, beta, on h)")

# %% [markdown]
# **Why the talk wants it: heads at different scales.** Each head outputs a weighted average of its
# values. A sharp head nearly copies one value, a diffuse one averages many, and averaging shrinks; so
# the blocks of the concatenated vector $[\text{head}^{(1)}_i \Vert \cdots \Vert \text{head}^{(H)}_i]$ come
# at different scales, and the scales change from word to word. Below: four freshly initialised heads of
# $d_\text{head} = 4$ features on our sentence, with $W_O = I$ so that the output *is* the concatenation,
# and the norm of each head's block before and after a LayerNorm of the whole vector ($\gamma = 1$,
# $\beta = 0$).

# %%
H_ln = 4
d_head_ln = d_model // H_ln
p_ln = gl.init_multi_head_attention(np.random.default_rng(6), d_model, num_heads=H_ln)
concat = gl.multi_head_attention({**p_ln, "W_O": np.eye(d_model)}, h)
concat_ln = gl.layer_norm(concat, np.ones(d_model), np.zeros(d_model))


def head_norms(x):
    """Norm of each head's block of features: (n, H * d_head) -> (n, H)."""
    return np.linalg.norm(x.reshape(len(x), H_ln, d_head_ln), axis=-1)


def spread(x):
    """'min to max' of x, rounded."""
    return f"{x.min():.2f} to {x.max():.2f}"


before, after = head_norms(concat), head_norms(concat_ln)
rows_before, rows_after = np.linalg.norm(concat, axis=1), np.linalg.norm(concat_ln, axis=1)
print(f"norms over the {n} words      before LN      after LN")
for m in range(H_ln):
    print(
        f"{f'head {m + 1} ({d_head_ln} features)':28s}  {spread(before[:, m]):13s}  {spread(after[:, m])}"
    )
print(f"{f'whole row ({d_model} features)':28s}  {spread(rows_before):13s}  {spread(rows_after)}")
ratio_before = (before.max(axis=1) / before.min(axis=1)).mean()
ratio_after = (after.max(axis=1) / after.min(axis=1)).mean()
print(
    f"{'loudest / quietest head':28s}  {ratio_before:<13.2f}  {ratio_after:.2f}   (per word, mean)"
)

# %% [markdown]
# LayerNorm fixes each word's scale: every row now has norm $\sqrt{d_\text{model}} = 4$, so the next
# sublayer sees inputs of one size whatever the heads did. It does *not* equalise the heads within a word:
# it divides all of a word's features by one number, so a head that was twice as loud as another stays
# about twice as loud (only the subtracted mean changes the ratio a little, last line). Balancing the
# heads is left to $W_O$, which reads all of them, and to the learnt per-feature scale $\gamma$.

# %% [markdown]
# What LayerNorm sees in a Transformer is the sum $h + \operatorname{MHA}(h)$ (the residual link,
# coming next). Below: the 16 features of every word before and after, with $\gamma = 1$,
# $\beta = 0$ as at initialisation.

# %%
# what LN_1 receives in a post-LN block:
z = h + gl.multi_head_attention(params, h)
z_ln = gl.layer_norm(z, np.ones(d_model), np.zeros(d_model))
rng = np.random.default_rng(3)
jitter = rng.uniform(-0.2, 0.2, size=(n, d_model))

fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, values, title in [
    (axes[0], z, "before LayerNorm: $h + \\mathrm{MHA}(h)$"),
    (axes[1], z_ln, "after LayerNorm: every word mean 0, std 1"),
]:
    ax.scatter(np.arange(n)[:, None] + jitter, values, s=9, alpha=0.5, label="one feature")
    ax.errorbar(
        np.arange(n),
        values.mean(axis=1),
        yerr=values.std(axis=1),
        fmt="o",
        color="k",
        capsize=3,
        label="mean ± std",
    )
    ax.set_xticks(range(n), words, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_xlabel("word")
    ax.set_title(title)
axes[0].set_ylabel("feature value")
axes[0].legend(loc="upper left")
plt.tight_layout()
plt.show()
print(f"row means after LN all 0 (to 1e-12): {np.allclose(z_ln.mean(axis=1), 0, atol=1e-12)}")
print("row stds after LN: ", z_ln.std(axis=1))
print(
    f"row norms after LN: all {np.linalg.norm(z_ln, axis=1).mean():.4f} (= sqrt(d_model) = {np.sqrt(d_model):.4f})"
)


# %% [markdown]
# Before: each word has its own centre and its own spread. After: every word is centred at 0 with
# spread 1, so every row has norm $\sqrt{d_\text{model}} = 4$: LayerNorm puts each word on the same
# sphere, whatever the layers before it did to its scale. (Strictly, the stds are
# $\sqrt{\sigma^2 / (\sigma^2 + \epsilon)}$, a hair below 1 because of $\epsilon$.) LayerNorm never
# looks at other words: in graph language it is a per-node operation, not a message, unlike
# BatchNorm, whose statistics are shared across the words and sentences of a batch.
#
# ### The position-wise feed-forward net
#
# After the words have exchanged messages, each one is processed **on its own** by a two-layer
# network with a ReLU, usually with $d_\text{ff} = 4\,d_\text{model}$ hidden units:
#
# $$\operatorname{FFN}(x_i) = \max(0,\ x_i W_1 + b_1)\, W_2 + b_2 .$$
#
# By hand: $x = (1, -2)$, $W_1 = \begin{pmatrix} 1 & 0 & 1 \\ 0 & 1 & 1 \end{pmatrix}$ gives
# $x W_1 = (1, -2, -1)$, the ReLU keeps $(1, 0, 0)$, and $W_2$ = all ones ($3 \times 2$) gives $(1, 1)$.

# %%
# ✎ practice: this body is yours to write in practice/05_the_transformer_block.ipynb
def my_feed_forward(params, x):
    """The position-wise FFN, max(0, x W1 + b1) W2 + b2, applied to every row (word) of x."""
    return np.maximum(0, x @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


# %%
gl.practice.check_feed_forward(my_feed_forward)

# %%
tiny_ffn = {
    "W1": np.array([[1.0, 0, 1], [0, 1, 1]]),
    "b1": np.zeros(3),
    "W2": np.ones((3, 2)),
    "b2": np.zeros(2),
}
print(
    "FFN(1, -2) =",
    my_feed_forward(tiny_ffn, np.array([1.0, -2.0])),
    " gl:",
    gl.feed_forward(tiny_ffn, np.array([1.0, -2.0])),
)

ffn = layer_params["ffn"]
print("random FFN:", {key: value.shape for key, value in ffn.items()})
np.testing.assert_allclose(
    my_feed_forward(ffn, h),
    gl.feed_forward(ffn, h),
    atol=1e-12,
    err_msg="my_feed_forward != gl.feed_forward on h",
)
one_at_a_time = np.stack([gl.feed_forward(ffn, h[i : i + 1])[0] for i in range(n)])
np.testing.assert_allclose(
    one_at_a_time,
    gl.feed_forward(ffn, h),
    atol=1e-12,
    err_msg="the FFN is position-wise: word by word should equal all words at once",
)
print("my_feed_forward == gl.feed_forward; and word by word == all words at once (position-wise)")
n_ffn = ffn["W1"].size + ffn["W2"].size
n_attn = sum(layer_params["attn"][f"W_{x}"].size for x in "QKVO")
print(f"weights: FFN {n_ffn}, attention {n_attn}")

# %% [markdown]
# "Position-wise" means the last check: running the FFN on one word at a time gives the same rows.
# As a graph layer, the FFN is message passing on a graph with **no edges** (only each word's own
# term): no word hears another. In a
# Transformer block, attention is the only place where words talk; LayerNorm and the FFN are
# per-word. Most of the parameters live in the FFN: $2 \cdot d_\text{model} \cdot d_\text{ff}$ weights
# against $4 d_\text{model}^2$ in attention, twice as many with $d_\text{ff} = 4 d_\text{model}$ (last print).
#
# ### Residual links
#
# A residual link adds a sublayer's input to its output: $x + \operatorname{sublayer}(x)$. The
# sublayer only has to learn a *change* to $x$, and the identity path carries $x$ (and, in training,
# gradients) through untouched. Why this matters for attention shows on three words with 2
# features and the uniform head 3 with $W_V = I$: its output is the **mean** of all words, the mean
# aggregation of notebook 02 on the complete graph.

# %%
x3 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
uniform_head = np.full((3, 3), 1 / 3) @ x3  # alpha_ij = 1/3, v_j = x_j
print("x =")
print(x3)
print("no residual, x' = mean:")
print(uniform_head)
print("residual, x' = x + mean:")
print(x3 + uniform_head)
print(
    "differences between words, x0 - x1:",
    x3[0] - x3[1],
    "-> without:",
    uniform_head[0] - uniform_head[1],
    " with:",
    (x3 + uniform_head)[0] - (x3 + uniform_head)[1],
)


# %% [markdown]
# Without the residual link, one round of averaging makes the three words identical: everything that
# told them apart is gone, and no later layer can bring it back. With it, every word moves by the same
# vector $(\tfrac13, \tfrac13)$ and the differences between words survive exactly. Random heads are
# not uniform, but they are averages too; we will see the same effect at depth after assembling the
# block.
#
# ### The whole block, by hand
#
# The original Transformer puts LayerNorm **after** each residual sum (post-LN):
#
# $$x = \operatorname{LN}_1\big(h + \operatorname{MHA}(h)\big), \qquad h' = \operatorname{LN}_2\big(x + \operatorname{FFN}(x)\big).$$
#
# Many models since GPT-2 put it **before** each sublayer, inside the residual branch (pre-LN,
# `norm="pre"`), so that the identity path is never normalised:
#
# $$x = h + \operatorname{MHA}\big(\operatorname{LN}_1(h)\big), \qquad h' = x + \operatorname{FFN}\big(\operatorname{LN}_2(x)\big).$$

# %%
# ✎ practice: this body is yours to write in practice/05_the_transformer_block.ipynb
def my_transformer_block(params, h, num_heads, norm="post"):
    """One Transformer layer on the complete graph, LayerNorm after ("post") or before ("pre")."""
    if params.get("norm", norm) != norm:  # params from gl.init_transformer_layer remember theirs
        raise ValueError(f"norm={norm!r}, but params were built with norm={params['norm']!r}")
    attn, ffn = params["attn"], params["ffn"]
    ln1, ln2 = params["ln1"], params["ln2"]  # {"gamma", "beta"}: LN_1(x) = my_layer_norm(x, **ln1)
    if norm == "pre":  # x = h + MHA(LN_1(h)), h' = x + FFN(LN_2(x))
        x = h + my_multi_head_attention(attn, my_layer_norm(h, **ln1), num_heads)[0]
        return x + my_feed_forward(ffn, my_layer_norm(x, **ln2))
    # post-LN: x = LN_1(h + MHA(h)), h' = LN_2(x + FFN(x))
    x = my_layer_norm(h + my_multi_head_attention(attn, h, num_heads)[0], **ln1)
    return my_layer_norm(x + my_feed_forward(ffn, x), **ln2)


# %%
gl.practice.check_transformer_block(my_transformer_block)

# %%
rng = np.random.default_rng(4)
block_params = gl.init_transformer_layer(rng, d_model, num_heads=2, d_ff=4 * d_model)
for part in ["attn", "ffn", "ln1", "ln2"]:  # random biases, gamma and beta: no free zeros or ones
    for key, value in block_params[part].items():
        if key.startswith("b") or key in ("gamma", "beta"):
            block_params[part][key] = value + rng.normal(scale=0.5, size=value.shape)

for norm in ["post", "pre"]:
    layer = {**block_params, "norm": norm}  # the same weights, as a post-LN or a pre-LN layer
    mine = my_transformer_block(layer, h, 2, norm)
    for how, module_out in [
        ("dense", gl.transformer_layer(layer, h)),
        ("graph", gl.transformer_layer(layer, h, complete)),
    ]:
        np.testing.assert_allclose(
            mine,
            module_out,
            atol=1e-12,
            err_msg=f"my_transformer_block != gl.transformer_layer ({how}), norm={norm!r}",
        )
    print(
        f"norm={norm!r:6}: my_transformer_block == gl.transformer_layer (dense and on the complete graph)"
    )

# %%
norm = "post"  # "post": post-LN, "pre": pre-LN
init_params = gl.init_transformer_layer(
    np.random.default_rng(4), d_model, num_heads=2, d_ff=4 * d_model, norm=norm
)
out = gl.transformer_layer(init_params, h)  # gamma = 1, beta = 0
order = f"{norm}-LN"
means, stds = out.mean(axis=1), out.std(axis=1)
print(f"{order} output: row means all 0 (to 1e-12): {np.allclose(means, 0, atol=1e-12)}")
print(
    f"{order} output: row means from {np.round(means.min(), 2) + 0:.2f} to {np.round(means.max(), 2) + 0:.2f}"
)
print(f"{order} output: row stds from {stds.min():.2f} to {stds.max():.2f}")


# %% [markdown]
# With $\gamma = 1$, $\beta = 0$ the post-LN block always ends on a LayerNorm, so its output rows
# have mean 0 and standard deviation 1. (What about pre-LN? Predict, then set `norm = "pre"`: Exercise 2.)
#
# `gl.transformer_layer(params, h)`, with `params` from `gl.init_transformer_layer(rng, d_model, H, d_ff, norm=...)`, computes exactly what
# `torch.nn.TransformerEncoderLayer(d_model, H, dim_feedforward=d_ff, dropout=0, batch_first=True,
# norm_first=norm == "pre")` computes when given the same weights: `tests/test_torch_equivalence.py` checks it to
# $10^{-10}$ whenever PyTorch is installed. The weights map as `in_proj_weight` =
# $[W_Q^\top; W_K^\top; W_V^\top]$, `out_proj.weight` = $W_O^\top$, `linear1.weight` = $W_1^\top$,
# `linear2.weight` = $W_2^\top$, `norm1.weight` = $\gamma_1$ and `norm1.bias` = $\beta_1$.
#
# ### Depth: what the residual links buy
#
# Now stack 12 blocks with fresh random weights and follow the sentence through them. We measure how
# alike the words have become with the **mean pairwise cosine similarity** of their feature rows
# (1 means every word points the same way), and we compare three stacks: post-LN as above, pre-LN,
# and post-LN with the residual links removed, $x = \operatorname{LN}_1(\operatorname{MHA}(h))$,
# $h' = \operatorname{LN}_2(\operatorname{FFN}(x))$. Five random stacks each; nothing is trained.

# %%
def mean_cosine(h):
    """Mean cosine similarity over all pairs of different words (rows of h)."""
    unit = h / np.linalg.norm(h, axis=1, keepdims=True)
    sim = unit @ unit.T
    return sim[~np.eye(len(h), dtype=bool)].mean()


def block_without_residual(p, h):
    x = gl.layer_norm(gl.multi_head_attention(p["attn"], h), **p["ln1"])
    return gl.layer_norm(gl.feed_forward(p["ffn"], x), **p["ln2"])


stacks = {
    "post-LN": lambda p, x: gl.transformer_layer(p, x),
    "pre-LN": lambda p, x: gl.transformer_layer({**p, "norm": "pre"}, x),  # the same weights
    "post-LN, no residual links": block_without_residual,
}
depth, runs = 12, 5
cosine = {name: np.zeros((runs, depth + 1)) for name in stacks}
norms = {name: np.zeros((runs, depth + 1)) for name in stacks}
shown = sorted({1, 2, depth // 2, depth})  # the layers to print
for name, layer in stacks.items():  # one line per stack as soon as it is done
    for run in range(runs):
        rng = np.random.default_rng(run)  # the same random weights for every stack
        x = h
        for ell in range(depth + 1):
            if ell > 0:
                x = layer(gl.init_transformer_layer(rng, d_model, num_heads=2, d_ff=4 * d_model), x)
            cosine[name][run, ell] = mean_cosine(x)
            norms[name][run, ell] = np.linalg.norm(x, axis=1).mean()
    c_mean = cosine[name].mean(axis=0)
    print(
        f"{name:27s} cosine after {', '.join(map(str, shown))} layers:",
        " ".join(f"{c_mean[ell]:.3f}" for ell in shown),
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
layers = np.arange(depth + 1)
colors = {"post-LN": "C0", "pre-LN": "C2", "post-LN, no residual links": "C3"}  # as in the text
for m, name in enumerate(stacks):
    color = colors.get(name, f"C{4 + m}")  # a stack you add gets a colour of its own
    for ax, values in [(axes[0], cosine[name]), (axes[1], norms[name])]:
        ax.plot(layers, values.T, color=color, alpha=0.25, lw=0.8)
        ax.plot(layers, values.mean(axis=0), "o-", color=color, ms=3, label=name)
axes[0].set_title("How alike the words are")
axes[0].set_ylabel("mean pairwise cosine similarity")
axes[0].set_ylim(0, 1.05)
axes[1].set_title("How long the feature rows are")
axes[1].set_ylabel("mean row norm")
for ax in axes:
    ax.set_xlabel("layer")
    ax.set_xticks(layers[:: max(1, depth // 6)])
axes[0].legend(loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# Thin lines are single random stacks, thick lines their mean. The words start at cosine 0.38, not 0:
# the low-frequency columns of the position encoding are close to 1 at every position, a direction
# all words share. What we observe:
#
# - **No residual links (red):** after one layer the words are already mostly alike, after two
#   they are indistinguishable (cosine $\approx 1$). Every sublayer output is a function of the
#   attention averages, and averaging is smoothing: this is the *over-smoothing* of deep GNNs, and
#   the "rank collapse" of pure attention (Dong et al., 2021).
# - **Post-LN with residual links (blue):** the words become alike too, only more slowly: cosine 0.75
#   after two layers instead of 0.997, but 0.998 after twelve. Residual links do not forbid
#   smoothing; they keep each word's own vector in every sum, so the smoothing is gradual and the
#   first layers still see distinct words, which gives training something to work with. (Which
#   sublayer drives the drift? Add to `stacks` a post-LN stack without its FFN,
#   `"no FFN": lambda p, x: gl.layer_norm(x + gl.multi_head_attention(p["attn"], x), **p["ln1"])`,
#   then one without its attention,
#   `"no attention": lambda p, x: gl.layer_norm(x + gl.feed_forward(p["ffn"], x), **p["ln2"])`:
#   here it is the attention.)
# - **Pre-LN (green):** the identity path is never normalised, $h^{(L)} = h^{(0)} + \sum_\ell
#   \text{sublayer}_\ell$, so the input words stay visible at every depth and the words stay the
#   most distinct. The price is on the right: the rows grow with depth (post-LN pins them at
#   $\sqrt{16} = 4$; the blue line hides under the red one), so each new layer changes the sum
#   relatively less, and pre-LN models add one final LayerNorm after the last block.
#
# Random weights are not trained weights, so this is a statement about the *starting point* of
# training, the same caveat as in Part 1. How the two orders behave under gradient descent
# (post-LN needs a learning-rate *warm-up*, a learning rate that starts tiny and grows over the first
# thousands of steps, Xiong et al. 2020) is a discussion question below.
#
# ## The final picture
#
# The talk ends with one slide: a standard GNN sums its neighbours; a GAT makes it a weighted sum
# with attention; the Transformer is attention on the complete graph with multiple heads, normalisation
# and residual links (and a feed-forward net). A GAT can have several heads too (notebook 03,
# section 7): what the Transformer changes in the attention itself is the graph and the score, a
# scaled dot product instead of GAT's additive, static one. Here are the three models on the same sentence with
# the same features $h$ and fresh random weights (nothing trained): a GNN on the tree (every edge
# counts fully), a two-head GAT on the tree with self loops, and a Transformer layer on the complete
# graph (head 0 of each attention layer shown; line width and opacity follow $\alpha_{ij}$). Of the
# Transformer's 100 edges only each word's strongest incoming one is drawn (`top_k=1`): all of them
# would hide each other.

# %%
tree = gl.dependency_graph(heads)
tree_loops = gl.add_self_loops(tree)
rng = np.random.default_rng(5)
gnn_out = gl.gnn_layer(gl.init_gnn_layer(rng, d_model, d_model), h, tree)
gat_out, gat_alpha = gl.gat_layer(
    gl.init_gat_layer(rng, d_model, d_model // 2, num_heads=2), h, tree_loops, return_attention=True
)
tf_out, tf_alpha = gl.transformer_layer(
    gl.init_transformer_layer(rng, d_model, num_heads=2, d_ff=4 * d_model),
    h,
    complete,
    return_attention=True,
)
print(
    f"GNN {gnn_out.shape}: {tree.num_edges} edges, no attention weights (every edge counts fully)"
)
print(
    f"GAT {gat_out.shape}: alpha {gat_alpha.shape} on {tree_loops.num_edges} edges (tree + self loops), {gat_alpha.shape[1]} heads"
)
print(
    f"Transformer {tf_out.shape}: alpha {tf_alpha.shape} on {complete.num_edges} edges (complete graph), {tf_alpha.shape[1]} heads"
)

# %%
fig, axes = plt.subplots(3, 1, figsize=(12, 9))
gl.draw_graph(
    tree, words, ax=axes[0], title="GNN: sum over the dependency tree, every edge weighs 1"
)
gl.draw_attention(
    tree_loops,
    gat_alpha,
    words,
    ax=axes[1],
    title="GAT: attention-weighted sum over the tree (+ self loops), head 0",
)
top_k = 1
gl.draw_attention(
    complete,
    tf_alpha,
    words,
    ax=axes[2],
    top_k=top_k,
    title=f"Transformer: attention over the complete graph, head 0, top_k={top_k} of each word's {n} incoming edges",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# Top to bottom the graph gets denser (18, then 28, then 100 edges) and the edges get weights. The
# GNN treats the tree as given and every neighbour alike; the GAT keeps the tree but learns how much
# each neighbour counts; the Transformer drops the given graph altogether, lets every word hear
# every word, and relies on attention to find the useful edges: that is what training has to do
# (our designed head 2 followed the tree only because we wrote the tree into its $W_Q$). What each model adds, as a table:

# %%
rows = [
    ("aggregation", "sum", "weighted sum", "weighted sum"),
    ("weighting", "none", "additive attention", "scaled dot product"),
    ("graph", "given", "given (+ self loops)", "complete"),
    ("heads", "1", "H", "H"),
    ("normalisation", "none", "none", "LayerNorm"),
    ("residual links", "no", "no", "yes"),
    ("feed-forward net", "no", "no", "yes"),
]
print(f"{'':18s}{'GNN':8s}{'GAT':22s}Transformer")
for name, gnn, gat, transformer in rows:
    print(f"{name:18s}{gnn:8s}{gat:22s}{transformer}")

# %% [markdown]
# ## Summary
#
# - A single attention head is one random bet: heads from different seeds attend to different words
#   (mean TV distance about 0.5). Averaging $H$ heads shrinks that dependence roughly like
#   $1/\sqrt{H}$: several heads "hedge our bets".
# - With one-hot position features, $q_i \cdot k_j = (W_Q W_K^\top)_{ij}$, so we can design heads:
#   previous word ($W_Q = cS$), dependency head ($W_Q = cD$), uniform ($W_Q = 0$). A word with
#   nothing to look at gets uniform attention: the softmax always gives out weight 1.
# - $H$ heads are one product and a reshape $(n, d_\text{model}) \to (n, H, d_\text{head})$ (the
#   `torch.nn.MultiheadAttention` split); outputs are concatenated and mixed by $W_O$.
#   `num_heads` must divide $d_\text{model}$.
# - LayerNorm normalises each word over its own features (biased variance, $\epsilon$); the FFN
#   processes each word on its own; only attention moves information between words.
# - Post-LN: $\operatorname{LN}(h + \operatorname{sublayer}(h))$; pre-LN:
#   $h + \operatorname{sublayer}(\operatorname{LN}(h))$. Both equal `gl.transformer_layer` (and
#   PyTorch's encoder layer).
# - Without residual links, random layers make all words identical within two layers; with them
#   the words stay apart far longer, pre-LN best, at the cost of growing norms.
# - GNN → GAT adds attention weights on the edges (with one head or several); GAT → Transformer
#   swaps the given graph for the complete graph and the additive score for the scaled dot product,
#   and adds LayerNorm, residual links and the FFN.
#
# ## Exercises
#
# **1. Look forward.** Make head 1 attend to the **next** word instead of the previous one. Which
# matrix changes, and which word now gets uniform attention? Predict, then set `offset = 1` in the
# three-heads cell and rerun it and the heatmaps.
#
# <details><summary>Answer</summary>
#
# Only head 1's query matrix: `S = np.eye(n, k=1)` (ones at $[i, i+1]$) instead of
# `np.eye(n, k=-1)`, so that $W_Q W_K^\top = cS$ puts the score on sender $i+1$. The heatmap's
# bright diagonal moves just *above* the main diagonal. Now the last word, "tired", has no next word:
# its row of $S$ is zero, so its attention is uniform ($0.1$ on every word), while the first "the"
# becomes one-hot (on "cat").
# </details>
#
# **2. Switch the normalisation order.** In the cell that prints the post-LN row means and stds, set
# `norm = "pre"`. Predict: do the output rows still have mean 0 and standard deviation 1?
#
# <details><summary>Answer</summary>
#
# No. A pre-LN block ends with a residual sum, $h' = x + \operatorname{FFN}(\operatorname{LN}_2(x))$,
# not with a LayerNorm, so nothing fixes the rows' mean or scale: they carry the input $h$ (whose
# rows have norms between 4.3 and 5.9 here) plus two sublayer outputs. In this cell the row means
# come out between 0.24 and 1.09 and the stds between 1.26 and 1.66. The LayerNorms act only *inside* the
# branches. This is why pre-LN models (GPT-2 and later) put one extra LayerNorm after the last block.
# </details>
#
# **3. A softer softmax.** Set `gap = 1.0` in the tiny-example cell and rerun the three-heads cells.
# Predict the weight that "cat" puts on its dependency head "sat".
#
# <details><summary>Answer</summary>
#
# The chosen sender now scores 1 and the nine others 0, so the weight is
# $e^{1} / (e^{1} + 9) \approx 0.232$: the head still prefers "sat" (the table still names it, since
# 0.232 is not the uniform $1/n = 0.1$), but most of its attention is spread over the other nine words.
# The tiny example's check now reads $e^1 / (e^1 + 3) \approx 0.475$. The "gap" is what makes a head nearly one-hot, which is also
# why notebook 04's scaling by $1/\sqrt{d}$ matters.
# </details>
#
# **4. Give the root somewhere to look.** In the three-heads cell, add
# `D[words.index("sat"), words.index("sat")] = 1` after the line that fills `D`. Predict the row of "sat" in head 2.
#
# <details><summary>Answer</summary>
#
# "sat" now scores the gap on itself and 0 elsewhere: it attends to itself with weight
# $e^{10}/(e^{10} + 9) \approx 0.9996$ instead of $0.1$ everywhere. Its output is then (almost) its
# own value: attending to yourself is a way to "do nothing", much as BERT heads park attention on
# `[SEP]`.
# </details>
#
# ## Discussion questions
#
# 1. **Is a fully connected graph the right graph for a sentence?** Head 2 recovered the dependency
#    tree from the complete graph only because we wrote the tree into $D$. In the graph-path cell
#    (`alpha_edges`), replace `graph = complete` by `graph = gl.dependency_graph(heads, self_loops=True)`
#    and rerun it: the three heads now attend only along the tree, and the cell prints the rows of
#    "sat" and of the first "the", one line per head, and how far the output moved from the dense
#    layer's output `theirs` (why does it move?). When would you rather give a model the parse than make it
#    rediscover it from $n^2$ edges?
# 2. **Do heads learn different syntactic relations?** Our three heads follow three relations
#    because we designed them (the heatmaps of Part 2). Trained BERT heads do something similar for
#    some relations (Clark et al., 2019), but many heads look diffuse or attend to punctuation. What
#    would a head need in its features to compute $D$ instead of being given it? Could one head
#    follow two relations at once? In the three-heads cell, add the line
#    `designed_W_Q["previous word + head"] = c * (S + D)` right after the line `designed_W_Q = {...}`,
#    then rerun that cell, the heatmaps and the cells of the designed layer: a fourth head with $S$
#    and $D$ in one $W_Q$.
# 3. **Why multiple heads?** In the hedging cell, averaging $H$ heads reduced the dependence on the
#    seed. But a real layer with $d_\text{model}$ fixed gives each head only $d_\text{model}/H$
#    features. In the random check of `my_multi_head_attention` (the cell with `num_heads = 2`), set
#    `num_heads = 16` (try 1, 4, 8 too) and add the line
#    `print(len({tuple(np.argsort(row)) for row in mine_alpha[0]}), "different rankings of the senders in head 0")`:
#    what does a head with $d_\text{head} = 1$ still compute? Is it better to have more heads or wider
#    heads?
# 4. **Why is the Transformer hard to train?** In the depth cell, replace `depth, runs = 12, 5` by
#    `depth, runs = 48, 5` and rerun it and the plot. Post-LN keeps
#    the norms fixed but normalises the identity path at every layer; pre-LN leaves the path alone
#    but lets the norms grow. Xiong et al. (2020) show that post-LN has large gradients near the
#    output at initialisation and needs a learning-rate warm-up, while pre-LN can often do without.
#    Which curve in our plot would you connect with which of these two behaviours?

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, *Transformers are Graph Neural Networks*, talk at the Graph Deep Learning Reading
#   Group and blog post (2020): <https://graphdeeplearning.github.io/post/transformers-are-gnns/>
# - Ashish Vaswani et al., *Attention Is All You Need*, NeurIPS 2017 (multi-head attention, post-LN block,
#   feed-forward net): [arXiv:1706.03762](https://arxiv.org/abs/1706.03762)
# - Alexander Rush et al., *The Annotated Transformer*: <https://nlp.seas.harvard.edu/annotated-transformer/>
# - Jimmy Lei Ba, Jamie Ryan Kiros, Geoffrey E. Hinton, *Layer Normalization*, 2016:
#   [arXiv:1607.06450](https://arxiv.org/abs/1607.06450)
# - Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun, *Deep Residual Learning for Image Recognition*, CVPR 2016
#   (residual links): [arXiv:1512.03385](https://arxiv.org/abs/1512.03385)
# - Ruibin Xiong et al., *On Layer Normalization in the Transformer Architecture*, ICML 2020 (pre-LN vs post-LN,
#   warm-up): [arXiv:2002.04745](https://arxiv.org/abs/2002.04745)
# - Kevin Clark, Urvashi Khandelwal, Omer Levy, Christopher D. Manning, *What Does BERT Look At? An Analysis of
#   BERT's Attention*, 2019: [arXiv:1906.04341](https://arxiv.org/abs/1906.04341)
# - Yihe Dong, Jean-Baptiste Cordonnier, Andreas Loukas, *Attention is Not All You Need: Pure Attention Loses
#   Rank Doubly Exponentially with Depth*, ICML 2021 (rank collapse): [arXiv:2103.03404](https://arxiv.org/abs/2103.03404)
# - Jacob Devlin et al., *BERT*, NAACL 2019 (`[SEP]`): [arXiv:1810.04805](https://arxiv.org/abs/1810.04805);
#   Alec Radford et al., *Language Models are Unsupervised Multitask Learners* (GPT-2), 2019:
#   <https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf>
# - Petar Veličković et al., *Graph Attention Networks*, ICLR 2018 (the GAT of the final picture):
#   [arXiv:1710.10903](https://arxiv.org/abs/1710.10903)
# - PyTorch's [`torch.nn.MultiheadAttention`](https://docs.pytorch.org/docs/stable/generated/torch.nn.MultiheadAttention.html)
#   and [`torch.nn.TransformerEncoderLayer`](https://docs.pytorch.org/docs/stable/generated/torch.nn.TransformerEncoderLayer.html),
#   which `gl.transformer_layer` matches
# - The course's notation, and the same symbols in the papers and libraries: [notation page](../docs/notation.md)
#
