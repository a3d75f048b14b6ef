"""A one-line training progress display for notebooks, in place of the trainer's table.

In a notebook the trainer draws a table with a "Validation Loss" column that a sentence
model evaluated by an evaluator never fills ("No log"), and its bars leave fragments in a
saved notebook. :class:`ProgressLine` shows one line instead, updated in place, whose last
state is what a saved notebook keeps:

    training: step 376/376 · 61 s · loss 0.912 · STS-B 0.549 (step 375)
"""

from __future__ import annotations

import time

from transformers import TrainerCallback
from transformers.utils.notebook import NotebookProgressCallback

__all__ = ["ProgressLine", "use_progress_line"]


class ProgressLine(TrainerCallback):
    """Step, time, last training loss and last STS-B Spearman, on one line updated in place
    (at most once a ``every`` seconds; always at the end)."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self._handle = None
        self._start = self._shown = 0.0
        self.loss: float | None = None
        self.score: tuple[int, float] | None = None  # (step, Spearman)

    def line(self, step: int, max_steps: int) -> str:
        parts = [f"training: step {step}/{max_steps}", f"{time.perf_counter() - self._start:.0f} s"]
        if self.loss is not None:
            parts.append(f"loss {self.loss:.3f}")
        if self.score is not None:
            parts.append(f"STS-B {self.score[1]:.3f} (step {self.score[0]})")
        return " · ".join(parts)

    def _show(self, state, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._shown < self.every:
            return
        self._shown = now
        text = self.line(state.global_step, state.max_steps)
        if self._handle is None:
            from IPython.display import display

            self._handle = display({"text/plain": text}, raw=True, display_id=True)
        else:
            self._handle.update({"text/plain": text}, raw=True)

    def on_train_begin(self, args, state, control, **kwargs):
        self._start, self._handle, self.loss, self.score = time.perf_counter(), None, None, None
        self._show(state, force=True)

    def on_step_end(self, args, state, control, **kwargs):
        self._show(state)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        spearman = [v for k, v in (metrics or {}).items() if k.endswith("spearman_cosine")]
        if spearman:
            self.score = (state.global_step, float(spearman[0]))
        self._show(state, force=True)

    def on_train_end(self, args, state, control, **kwargs):
        self._show(state, force=True)


def use_progress_line(trainer) -> None:
    """In a notebook, replace ``trainer``'s progress table by a :class:`ProgressLine`;
    elsewhere (a script, a terminal) leave its progress bar as it is."""
    handler = trainer.callback_handler
    if any(isinstance(c, NotebookProgressCallback) for c in handler.callbacks):
        trainer.remove_callback(NotebookProgressCallback)
        if not any(isinstance(c, ProgressLine) for c in handler.callbacks):
            trainer.add_callback(ProgressLine())
