# Generated from notebooks/08_your_own_sentence.ipynb by `make sync` (or `make notebooks`): do not edit; edit the notebook.

# %% [markdown]
# # 08 · Your own sentence: a playground
#
# Type a sentence of your own, give it a dependency tree by hand if you like, and see the graphs the
# course builds for it and where a GNN, a GAT and a Transformer layer let each word listen.
#
# **What you will learn**
#
# - `gl.sentence_graphs(sentence, heads)` turns any sentence into the course's graphs: the window,
#   the complete (Transformer) and the causal graph, and with hand-written heads the dependency tree;
# - how to write a dependency tree as `heads` (one index per word, `-1` for the root), and what the
#   checks say when it is not a tree;
# - `gl.draw_layers(...)` draws the three layers of the talk on *your* sentence, one above the
#   other, and `receiver=` shows what one word listens to in each.
#
# **Time:** about 25 minutes. **Notation:** [notation reference](../docs/notation.md) —
# an edge $j \to i$ carries a message from the sender $j$ to the receiver $i$; $\mathcal{N}(i)$ is the
# set of senders of word $i$.

# %%
from functools import partial

import matplotlib.pyplot as plt
import numpy as np

import gnnformer_lite as gl

gl.setup_notebook()

# %% [markdown]
# ## 1. Your sentence
#
# **Edit the next cell** and re-run the notebook from here (*Run → Run Selected Cell and All Below*).
#
# - `sentence`: a string (split on spaces) or a list of words. Punctuation stays attached to its
#   word (`"tired."` is one word, not `"tired"` and `"."`): leave it out, or put spaces around it
#   to make it a word of its own.
# - `heads`: `heads[i]` is the index (from 0) of the word that word `i` hangs from, `-1` for the one
#   root (usually the main verb); or `None` for no tree. In *the dog chased the ball*, "dog" hangs
#   from "chased" (index 2), the first "the" from "dog" (index 1), and so on. Heads copied from a
#   CoNLL-U parse count words from 1, with 0 for the root: subtract 1 from each (section 3 shows
#   what the check says otherwise).

# %%
sentence = "the dog chased the ball"
heads = [1, 2, -1, 4, 2]  # one per word, -1 = the root; or None

# %%
words, graphs = gl.sentence_graphs(sentence, heads)
n = len(words)
print(f"{n} word" + "s" * (n != 1))
if heads is not None:
    for i, word in enumerate(words):
        head = f"{heads[i]} {words[heads[i]]}" if heads[i] >= 0 else "-1 ROOT"
        print(f"  {i:>2}  {word:10s} head: {head}")
for name, graph in graphs.items():
    print(f"{name:9s} {graph.num_edges:4d} edge" + "s" * (graph.num_edges != 1))

# %% [markdown]
# Each graph is what the function of that name builds, so every number above follows from $n$
# (and the tree):
#
# | graph | edges $j \to i$ | count |
# |---|---|---|
# | window (radius 1) | $\lvert i - j \rvert \le 1$ | $3n - 2$ |
# | complete | all pairs, self loops included | $n^2$ |
# | causal | $j \le i$ | $n(n+1)/2$ |
# | tree | each word and its head, both ways | $2(n - 1)$ |
#
# The next cell checks the table against the graphs of your sentence: change the sentence and it
# still holds.

# %%
counts = {"window": 3 * n - 2, "complete": n * n, "causal": n * (n + 1) // 2, "tree": 2 * (n - 1)}
for name, graph in graphs.items():
    assert graph.num_edges == counts[name], (
        f"{name}: {graph.num_edges} edges, but the table says {counts[name]} for n = {n} "
        "(it holds for every sentence, with the window's radius 1)"
    )
    print(f"{name:9s} {graph.num_edges:4d} = formula {counts[name]}")

# the window by hand: every (j, i) with |i - j| <= 1, in the graph's order (receiver, then sender)
pairs = np.array([(j, i) for i in range(n) for j in range(n) if abs(i - j) <= 1])
same = "the window's edges equal the pairs |i - j| <= 1, in the same order (any sentence)"
np.testing.assert_array_equal(graphs["window"].senders, pairs[:, 0], err_msg=same)
np.testing.assert_array_equal(graphs["window"].receivers, pairs[:, 1], err_msg=same)
print("window graph == the edges written by hand")

# %%
fig, axes = plt.subplots(len(graphs), 1, figsize=(max(4.0, 0.9 * n), 1.9 * len(graphs)))
for ax, (name, graph) in zip(axes, graphs.items(), strict=True):
    gl.draw_graph(graph, words, ax=ax, title=f"{name}: {graph.num_edges} edges")
plt.tight_layout()
plt.show()

# %% [markdown]
# From about ten words on, the complete and the causal graph look alike as arcs: the causal
# graph's arrows all point right (from an earlier to a later word), the complete graph's both
# ways, but the arrow heads are too small to tell. Their adjacency matrices tell them apart at any
# length (row $i$ the receiver, column $j$ the sender, $A_{ij} = 1$ iff $j \to i$): the complete
# graph is all ones, the causal graph the lower triangle $j \le i$.

# %%
side = max(3.0, 0.22 * n + 1.4)  # inches per panel: room for the words at any length
fig, axes = plt.subplots(1, 2, figsize=(2 * side, side))
for ax, name in zip(axes, ("complete", "causal"), strict=True):
    A = graphs[name].adjacency()
    title = f"{name}\nA[i, j] = 1 for {int(A.sum())} of {n * n} pairs"
    gl.heatmap(A, words, words, ax=ax, title=title, cmap="Blues", vmin=0, vmax=1)
    ax.set(xlabel="sender j", ylabel="receiver i" if ax is axes[0] else None)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Three layers on your sentence
#
# `gl.draw_layers(sentence, heads)` runs the talk's three layers on random features with random,
# untrained weights (seeded), so the picture shows **which edges carry messages** and how attention
# *can* spread over them — not what a trained model would learn. The words sit in the same places in
# the three panels:
#
# - **GNN** $h_i' = \sigma\big(h_i U + \sum_{j \in \mathcal{N}(i)} h_j V\big)$: the tree's edges (the
#   window's, without heads), every neighbour with weight 1.
# - **GAT** $h_i' = \sigma\big(\sum_{j \in \mathcal{N}(i)} \alpha_{ij} z_j\big)$: the same edges plus
#   self loops, each with its own weight $\alpha_{ij}$ (line width and opacity).
# - **Transformer** $h_i' = \sum_{j} \operatorname{softmax}_j\big(q_i \cdot k_j / \sqrt{d}\big) v_j$:
#   the complete graph, $n^2$ weights — too many to read, so only each word's `top_k` strongest
#   incoming edges are drawn.

# %%
SEED, RADIUS = 0, 1  # the random layer's seed; the window's radius (used without heads)
gl.draw_layers(sentence, heads, seed=SEED, radius=RADIUS, top_k=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# **One word at a time.** `receiver=i` draws only the edges *into* word `i` in all three
# layers, each labelled with its weight: its neighbourhood $\mathcal{N}(i)$ in the GNN, its
# attention over the same neighbours in the GAT, and over every word in the Transformer. Pick the
# word by its **position** `i`: `i = n - 1`, the last word, fits any sentence you type, and a
# repeated word (*the cat chased the cat*) stays one word. `words.index("chased")` finds a word
# by name, but only its first occurrence.

# %%
i = n - 1  # the receiver, by position: the last word; or e.g. i = words.index("chased")
print(f"receiver: word {i} of 0..{n - 1}, {words[i]!r}")
gl.draw_layers(sentence, heads, seed=SEED, radius=RADIUS, receiver=i)
plt.tight_layout()
plt.show()

# %% [markdown]
# In the GAT and the Transformer the weights into one receiver sum to 1 — a softmax per receiver
# (the GNN's weights are all 1: they sum to the number of neighbours). Check it for the GAT on your
# tree (or window), with the same random layer `draw_layers` uses:

# %%
window = gl.window_graph(n, RADIUS, self_loops=False)  # draw_layers's graph without heads
graph = gl.add_self_loops(graphs["tree"] if heads is not None else window)
rng = np.random.default_rng(SEED)  # draw_layers's features and GAT weights
h = rng.normal(size=(n, 8))
_, alpha = gl.gat_layer(gl.init_gat_layer(rng, 8, 8), h, graph, return_attention=True)
per_receiver = gl.segment_sum(alpha, graph.receivers, n)  # (n, 1): the sum into each word
np.testing.assert_allclose(
    per_receiver, 1.0, err_msg="a softmax per receiver sums to 1 (any sentence, any seed)"
)
print("weights into each word sum to", np.round(per_receiver[:, 0], 6))
for i, word in enumerate(words):
    into_i = graph.receivers == i  # the edges j -> i
    j = graph.senders[into_i][np.argmax(alpha[into_i, 0])]
    print(f"{i:>2} {word:10s} listens most to {j:>2} {words[j]!r} ({alpha[into_i, 0].max():.2f})")

# %% [markdown]
# ## 3. When the input is wrong
#
# The checks name the argument and what is wrong, before any array is built. Each case below is
# caught and printed (`gl.show_error`). The last one is what you meet when you copy heads from a
# CoNLL-U parse, which counts words from 1 and gives the root the head 0: when `heads - 1` is a
# tree, the check says so.

# %%
bad_inputs = [
    ("an empty sentence", "   ", None),
    ("heads of the wrong length", "the dog chased the ball", [1, 2, -1]),
    ("a cycle", "the dog chased the ball", [1, 0, -1, 4, 2]),
    ("two roots", "the dog chased", [-1, 2, -1]),
    ("a head out of range", "the dog chased", [1, 2, 3]),
    ("1-based heads, as in a CoNLL-U file", "the dog chased the ball", [2, 3, 0, 5, 3]),
]
for what, bad_sentence, bad_heads in bad_inputs:
    label = f"{what} (sentence={bad_sentence!r}, heads={bad_heads})"
    gl.show_error(partial(gl.sentence_graphs, bad_sentence, bad_heads), label)

# %% [markdown]
# ## Summary
#
# - `words, graphs = gl.sentence_graphs(sentence, heads=None)` gives the window, complete and
#   causal graphs of any sentence, and the dependency tree when you write `heads` by hand.
# - `heads[i]` is the index of word $i$'s head (from 0), `-1` for the root; the checks refuse an
#   empty sentence, heads of the wrong length, cycles, several roots and indices out of range, and
#   recognise 1-based (CoNLL-U) heads.
# - Arcs show a sparse graph; from about ten words on, the adjacency matrix tells dense graphs apart
#   (complete: all ones; causal: the lower triangle).
# - `gl.draw_layers(sentence, heads)` shows the talk's point on your own words: a GNN sums over a
#   fixed graph, a GAT weighs the same edges, a Transformer weighs all $n^2$ pairs.

# %% [markdown]
# ## Exercises
#
# 1. **Your tree.** Set `sentence = "my sister reads old books"` and write its `heads`. Which word
#    is the root? Run the notebook and check that the tree has $2(n-1)$ edges.
#
#    <details><summary>Answer</summary>
#
#    "reads" is the root (the main verb): `heads = [1, 2, -1, 4, 2]` — "my" hangs from "sister",
#    "sister" (the subject) and "books" (the object) from "reads", "old" from "books". Five words,
#    so the tree has $2 \cdot 4 = 8$ edges, as printed.
#    </details>
#
# 2. **No tree.** Set `heads = None`. Which graphs does `sentence_graphs` return now, and which graph
#    does the GNN panel of `draw_layers` use?
#
#    <details><summary>Answer</summary>
#
#    Only `window`, `complete` and `causal` (the tree needs heads). The GNN and GAT panels use the
#    window graph of radius 1 (without self loops for the GNN, whose $h_i U$ term is already the self
#    term): each word hears its left and right neighbour. `RADIUS = 2` (section 2) widens it.
#    </details>
#
# 3. **Make a cycle on purpose.** Write heads in which two words are each other's head. What does the
#    error say, and why is a cycle not a tree?
#
#    <details><summary>Answer</summary>
#
#    For `heads = [1, 0, -1, 4, 2]` the check reports `heads contains a cycle: 0 -> 1 -> 0`: following
#    the heads from word 0 never reaches the root. In a tree every word reaches the root by following
#    its heads, so there is exactly one path between two words.
#    </details>
#
# 4. **Fewer or more edges.** In section 2 set `top_k=1`, then `top_k=None`. What does the
#    Transformer panel show in each case, and why does the GAT panel not change?
#
#    <details><summary>Answer</summary>
#
#    `top_k=1` keeps, for each word, only the one word it attends to most (its own ring if that is
#    itself): $n$ edges. `top_k=None` draws all $n^2$ edges, which is unreadable for more than a few
#    words — hence the default of 2 and the `receiver=` view. `top_k` only thins the Transformer's
#    dense picture; the GAT already has just the tree's (or window's) edges.
#    </details>
#
# 5. **Which picture depends on the seed?** Change `SEED = 0` to `SEED = 1` in section 2. Which panels
#    change, and which cannot?
#
#    <details><summary>Answer</summary>
#
#    The GNN panel stays the same: it shows the graph, and a GNN gives every neighbour weight 1 whatever
#    its weights $U, V$. The GAT and Transformer panels change: their attention weights come from the
#    random features and weights, so a new seed gives new $\alpha_{ij}$ (the edges stay the same).
#    </details>

# %% [markdown]
# ## Discussion questions
#
# 1. Your hand-written tree is a linguistic prior: the GAT may attend only along it. For which of your
#    sentences would the word a word needs be far away in the tree but near in the sentence, or the
#    other way round? Paste at the end of section 1 (with `heads` given): row $i$, column $j$ is
#    their hops in the tree minus their distance $\lvert i - j \rvert$ in the sentence, $> 0$ where
#    the tree puts them farther apart:
#    `print(gl.hop_distance(graphs["tree"]) - np.abs(np.subtract.outer(np.arange(n), np.arange(n))) if "tree" in graphs else "no tree: give heads")`
# 2. A Transformer on the complete graph could learn the tree's edges as attention. Would you rather
#    give a model the tree (and risk a wrong parse) or let it find structure itself?

# %% [markdown]
# ## References
#
# - Chaitanya K. Joshi, [Transformers are Graph Neural Networks](https://thegradient.pub/transformers-are-graph-neural-networks/), *The Gradient*, 2020.
# - Universal Dependencies, [dependency relations](https://universaldependencies.org/u/dep/) — how to
#   choose heads by hand.
# - Petar Veličković et al., [Graph Attention Networks](https://arxiv.org/abs/1710.10903), ICLR 2018.
# - Ashish Vaswani et al., [Attention Is All You Need](https://arxiv.org/abs/1706.03762), NeurIPS 2017.
