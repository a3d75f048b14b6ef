"""Length-grouped batches: the same shuffled data in batches of similar length, less padding.

A batch is padded to its longest sentence, so a batch of random rows spends much of its work
on padding. :class:`LengthGroupedBatchSampler` shuffles the rows, cuts them into pools of
``pool_batches`` batches, sorts each pool by length and cuts it into batches, then shuffles
the order of the batches. Every row is still seen once per epoch, in an order the seed fixes. Under a launcher
(several processes) the short batches come last, as accelerate's sharding expects.
sentence-transformers ships no such sampler; its trainer takes one as
``SentenceTransformerTrainingArguments(batch_sampler=LengthGroupedBatchSampler)``.
:class:`NoDuplicatesLengthGroupedBatchSampler` also keeps every text at most once per batch,
as ``BatchSamplers.NO_DUPLICATES`` does, for the losses that use in-batch negatives.

>>> args = SentenceTransformerTrainingArguments(..., batch_sampler=LengthGroupedBatchSampler)
>>> padding_ratio(train_dataset, model.tokenizer, LengthGroupedBatchSampler(train_dataset, 32, False))
1.37
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import torch
from datasets import Dataset
from sentence_transformers.base.sampler import DefaultBatchSampler

__all__ = [
    "LengthGroupedBatchSampler",
    "NoDuplicatesLengthGroupedBatchSampler",
    "length_grouped_sampler",
    "padding_ratio",
    "token_lengths",
]


def _text_columns(dataset: Dataset, label_columns: Iterable[str] | None) -> list[str]:
    """The columns that hold text (the ones a loss embeds)."""
    skip = set(label_columns or ()) | {"label", "score", "labels", "scores"}
    return [
        c for c in dataset.column_names if c not in skip and dataset.features[c].dtype == "string"
    ]


class LengthGroupedBatchSampler(DefaultBatchSampler):
    """Shuffled batches whose rows have similar lengths (characters over the text columns).

    Args are those of ``DefaultBatchSampler``; the trainer passes them. ``pool_batches``
    (class attribute) sets how many batches are sorted together: larger pools pad less but
    make batches less random.
    """

    pool_batches = 50
    no_duplicates = False

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        drop_last: bool,
        valid_label_columns: list[str] | None = None,
        generator: torch.Generator | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        columns = _text_columns(dataset, valid_label_columns)
        texts = [list(dataset[c]) for c in columns]
        self.n_rows = len(dataset)
        self.lengths = np.sum([[len(t) for t in column] for column in texts], axis=0)
        self.row_texts = [set(row) for row in zip(*texts)] if self.no_duplicates else None

    def __len__(self) -> int:
        if several_processes():
            # accelerate divides this count among the processes, so it must be exact: the
            # no-duplicates cut can make more, shorter batches than rows / batch_size
            return len(self._batches())
        if self.drop_last:
            return self.n_rows // self.batch_size
        return -(-self.n_rows // self.batch_size)

    def _cut(self, rows: list[int], final: bool = False) -> tuple[list[list[int]], list[int]]:
        """Batches from ``rows`` (sorted by length) and the rows left for the next pool; the
        ``final`` pool also gives its incomplete batches."""
        size = self.batch_size
        if not self.no_duplicates:
            cut = len(rows) if final else len(rows) - len(rows) % size
            return [rows[i : i + size] for i in range(0, cut, size)], rows[cut:]
        batches, remaining = [], rows
        while remaining:
            batch, seen, deferred = [], set(), []
            for row in remaining:
                texts = self.row_texts[row]
                if len(batch) < size and not texts & seen:
                    batch.append(row)
                    seen |= texts
                else:
                    deferred.append(row)
            if len(batch) < size and not final:  # the rest waits for the next pool
                return batches, remaining
            batches.append(batch)
            remaining = deferred
        return batches, remaining

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches()

    def _batches(self) -> list[list[int]]:
        """This epoch's batches, in the order they are given out."""
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n_rows, generator=generator).tolist()
        pool_size = self.batch_size * self.pool_batches
        batches: list[list[int]] = []
        left: list[int] = []
        for start in range(0, self.n_rows, pool_size):
            pool = left + order[start : start + pool_size]
            final = start + pool_size >= self.n_rows
            full, left = self._cut(sorted(pool, key=lambda row: self.lengths[row]), final)
            batches += full
        if self.drop_last:
            batches = [batch for batch in batches if len(batch) == self.batch_size]
        order = torch.randperm(len(batches), generator=generator).tolist()
        if several_processes():
            # accelerate deals batches out to the processes in turn and expects only the
            # last ones to be short: a short batch in the middle would be skipped
            size = self.batch_size
            order = [i for i in order if len(batches[i]) == size] + [
                i for i in order if len(batches[i]) < size
            ]
        return [batches[i] for i in order]


class NoDuplicatesLengthGroupedBatchSampler(LengthGroupedBatchSampler):
    """:class:`LengthGroupedBatchSampler` that puts no text twice in a batch (in-batch negatives)."""

    no_duplicates = True


def several_processes() -> bool:
    """True under a launcher with more than one process (torch.distributed is running)."""
    distributed = torch.distributed
    return (
        distributed.is_available()
        and distributed.is_initialized()
        and distributed.get_world_size() > 1
    )


def length_grouped_sampler(no_duplicates: bool) -> type[LengthGroupedBatchSampler]:
    """The sampler class for a loss: without duplicate texts for in-batch-negative losses."""
    return NoDuplicatesLengthGroupedBatchSampler if no_duplicates else LengthGroupedBatchSampler


def token_lengths(texts: Sequence[str], tokenizer, max_length: int | None = None) -> np.ndarray:
    """Tokens per text, special tokens included, cut at ``max_length`` as the model would."""
    ids = tokenizer(
        list(texts),
        add_special_tokens=True,
        truncation=max_length is not None,
        max_length=max_length,
    )["input_ids"]
    return np.array([len(row) for row in ids])


def padding_ratio(
    dataset: Dataset, tokenizer, batches: Iterable[list[int]], max_length: int | None = None
) -> float:
    """Tokens the model computes (each batch padded to its longest text, per column) divided by
    the real tokens: 1.0 means no padding at all."""
    columns = _text_columns(dataset, None)
    lengths = [token_lengths(dataset[c], tokenizer, max_length) for c in columns]
    padded = real = 0
    for batch in batches:
        for column in lengths:
            in_batch = column[batch]
            padded += len(batch) * int(in_batch.max())
            real += int(in_batch.sum())
    return round(padded / real, 2)
