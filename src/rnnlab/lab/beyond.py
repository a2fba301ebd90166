"""Beyond the lab: can gradient descent find section 2.2's RNN? An RNN trained on samples of
T, compared with T and with bigram_rnn(T)."""

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from rnnlab.lab.example import LIVE
from rnnlab.lab.train import (
    Epoch,
    LearntRow,
    Training,
    TrainingConfig,
    _train,
    constructed_rows,
    distance_to_table,
    learnt_rows,
)
from rnnlab.model.bigram_rnn import _bigram_rnn


@dataclass(frozen=True, eq=False)
class Learning:
    """Beyond the lab: an RNN trained on samples of T, against T and bigram_rnn(T)."""

    config: TrainingConfig
    rows: tuple[LearntRow, ...]
    constructed_rows: dict[int, torch.Tensor]
    max_abs: float
    total_variation: float
    constructed_max_abs: float
    evaluation_steps: int
    seconds: float
    run: Training = field(metadata=LIVE)


def learning(
    T: torch.Tensor,
    config: TrainingConfig,
    on_epoch: "Callable[[Epoch], None] | None" = None,
    most: "int | None" = None,
) -> Learning:
    """Train an RNN on samples of T, and measure it against T and bigram_rnn(T).

    T (V, V), float64: a table already checked stochastic, an Example's or a BigramLM's.
    on_epoch: as for rnnlab.lab.train.train; most: how many words' outputs of bigram_rnn(T)
    to keep (all that the evaluation sequence reads if None).
    """
    run = _train(T, config, on_epoch)
    ids = run.evaluation_ids[:-1]
    constructed = _bigram_rnn(T)
    exact = distance_to_table(constructed.forward_ids(ids).o, T, ids)
    rows = learnt_rows(run, T)
    return Learning(
        config=config,
        rows=tuple(rows),
        constructed_rows=constructed_rows(
            constructed, rows, most=len(rows) if most is None else most
        ),
        max_abs=run.distance.max_abs,
        total_variation=run.distance.total_variation,
        constructed_max_abs=exact.max_abs,
        evaluation_steps=len(ids),
        seconds=run.seconds,
        run=run,
    )
