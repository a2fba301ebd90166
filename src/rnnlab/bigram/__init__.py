"""Bigram language models, one concept a module (in the manner of nltk.lm):

- ``model``: ``BigramLM``, the facade: scoring, perplexity, sampling, save/load;
- ``api``: ``Probabilities``, the protocol every form of a model's probabilities meets;
- ``table``: the lab's table T, ``sequence_probability``, and T as probabilities;
- ``counts``: sparse counts with add-k smoothing, and counting the pairs of sentences;
- ``vocabulary``: words ↔ ids and the start, end and unknown-word symbols;
- ``sequences``: one sequence in any accepted form (one-hot rows, ids, tokens) as ids,
  and sentences of tokens checked;
- ``estimation``: ``BigramLM.estimate`` from tokenized sentences;
- ``sampling``: drawing from the chain;
- ``fileformat``: the model file (docs/bigram-format.md);
- ``arpa``: the ARPA export for KenLM and other tools;
- ``text``: plain text into sentences of tokens (the tokenizer of the bigram commands).

The RNN that is a bigram model, and scoring through it, live in rnnlab.model.bigram_rnn.
"""

from rnnlab.bigram.api import BackoffForm, Probabilities
from rnnlab.bigram.counts import DENSE_LIMIT
from rnnlab.bigram.model import BigramLM, TextScore
from rnnlab.bigram.table import one_hot_ids, sequence_probability
from rnnlab.validation import check_stochastic

__all__ = [
    "DENSE_LIMIT",
    "BackoffForm",
    "BigramLM",
    "Probabilities",
    "TextScore",
    "check_stochastic",
    "one_hot_ids",
    "sequence_probability",
]
