"""What every exercise checker shares: the verdict, safe calls into the learner's code.

A checker never raises on a wrong answer. It returns a :class:`CheckResult` whose message
names the first case the answer gets wrong and gives a hint. A learner's function that
raises (``SystemExit`` too; only ``KeyboardInterrupt`` passes), returns the wrong type or
shape, returns ``None``, still holds the skeleton's ``...``, or runs past the time limit
(:func:`check_seconds`, 10 s by default) gets a verdict too. The answer runs in a worker
thread (:func:`run_limited`), so that even a bare ``except:`` cannot keep the check, or the
stop button, from ending.

Writing a checker: decorate a function that takes the learner's answer, raises
:class:`Wrong` (or :class:`NotAttempted`) with a message when something is off, and returns
the success message; :func:`exercise` turns it into a safe checker and registers it for its
notebook.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = [
    "EXERCISES",
    "CheckResult",
    "NotAttempted",
    "Wrong",
    "exercise",
    "is_placeholder",
    "call",
    "as_number",
    "as_tensor",
    "as_loss",
    "as_triplets",
    "close",
    "check_loss",
    "short",
    "error_text",
    "TimeLimit",
    "Unstoppable",
    "time_limit",
    "run_limited",
    "check_seconds",
    "plain_text",
]

# notebook stem (e.g. "04_mnr_loss_and_hard_negatives") -> names of its checkers, in order
EXERCISES: dict[str, list[str]] = {}

_ICONS = {"passed": "✅", "not yet": "❌", "not attempted yet": "✏️"}


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The verdict on one answer: ``passed``, and a message with a hint when it did not."""

    exercise: str
    passed: bool
    message: str
    attempted: bool = True

    @property
    def verdict(self) -> str:
        """``"passed"``, ``"not yet"`` or ``"not attempted yet"``."""
        if self.passed:
            return "passed"
        return "not yet" if self.attempted else "not attempted yet"

    def __str__(self) -> str:
        message = self.message[:1].upper() + self.message[1:]
        return f"{_ICONS[self.verdict]} {self.exercise}: {self.verdict}. {message}"

    __repr__ = __str__  # Jupyter shows the verdict when a cell ends with the checker call


class Wrong(Exception):
    """Raised inside a checker: the answer is wrong; the message says where and why."""


class NotAttempted(Exception):
    """Raised inside a checker: the answer still holds the skeleton's placeholder."""


_NOT_ATTEMPTED = "Write your answer in place of the `...` above, then run the cell again."

CHECK_SECONDS_ENV = "EMBEDLAB_CHECK_SECONDS"
DEFAULT_CHECK_SECONDS = 10.0  # every checker takes well under a second on a correct answer


class TimeLimit(BaseException):
    """Raised inside the learner's code when a check runs out of time.

    A ``BaseException``, so that an answer's ``except Exception`` does not swallow it.
    """


MIN_CHECK_SECONDS = 0.1  # a smaller limit stops even a correct answer before it starts
STOP_TRIES_SECONDS = 2.0  # how long a timed-out answer is asked to stop before it is left


def check_seconds() -> float:
    """The time limit of one check: ``$EMBEDLAB_CHECK_SECONDS``, else 10 s; 0 means no limit.

    A value that is not a number, is negative, infinite or NaN warns (naming the value) and
    falls back to 10 s; a positive value under 0.1 s warns and becomes 0.1 s.
    """
    import warnings

    text = os.environ.get(CHECK_SECONDS_ENV)
    if text is None or not text.strip():
        return DEFAULT_CHECK_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds) and seconds >= MIN_CHECK_SECONDS or seconds == 0:
        return seconds
    if math.isfinite(seconds) and seconds > 0:
        fallback, why = MIN_CHECK_SECONDS, f"is under {MIN_CHECK_SECONDS:g} s"
    else:
        fallback, why = DEFAULT_CHECK_SECONDS, "is not a number of seconds >= 0"
    warnings.warn(
        f"{CHECK_SECONDS_ENV}={text!r} {why}; the checks use {fallback:g} s. Set it to a "
        "number of seconds such as 30, or to 0 for no limit.",
        UserWarning,
        stacklevel=3,
    )
    return fallback


class Unstoppable(BaseException):
    """The answer did not stop when asked (a bare ``except:`` swallows the stop signal)."""


def _ask_to_stop(worker: threading.Thread, error: type[BaseException]) -> bool:
    """Raise ``error`` inside ``worker`` again and again until it ends; False if it will not.

    Uses ``PyThreadState_SetAsyncExc``: the exception arrives at the worker's next Python
    instruction (a long call into C finishes first).
    """
    try:
        import ctypes

        set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError):  # not CPython: nothing can stop the thread
        return not worker.is_alive()
    deadline = time.monotonic() + STOP_TRIES_SECONDS
    while worker.is_alive() and worker.ident is not None:
        set_async(ctypes.c_ulong(worker.ident), ctypes.py_object(error))
        worker.join(0.02)
        if time.monotonic() > deadline:
            break
    if worker.is_alive() and worker.ident is not None:
        set_async(ctypes.c_ulong(worker.ident), None)  # withdraw a pending one
        return False
    return True


def run_limited(work: Callable[[], Any], seconds: float) -> Any:
    """``work()`` in a worker thread, stopped after ``seconds`` (0: no limit).

    Raises :class:`TimeLimit` when it ran out of time and stopped, :class:`Unstoppable` when
    it would not stop (it is left running as a daemon thread), or what ``work`` raised. A
    ``KeyboardInterrupt`` in the waiting thread stops the worker too, then passes on. No
    signal or timer outlives the call.
    """
    import contextvars

    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()
    grad = torch.is_grad_enabled()

    def target() -> None:
        try:
            try:
                torch.set_grad_enabled(grad)
                outcome["value"] = context.run(work)
            except BaseException as error:  # handed to the waiting thread
                outcome["error"] = error
        except BaseException as error:  # a stop request that arrived while storing
            outcome.setdefault("error", error)

    worker = threading.Thread(target=target, name="embedlab-check", daemon=True)
    deadline = time.monotonic() + seconds if seconds > 0 else math.inf
    worker.start()
    try:
        while worker.is_alive() and time.monotonic() < deadline:
            worker.join(min(deadline - time.monotonic(), 0.25))
    except BaseException:  # KeyboardInterrupt (the stop button), an outer timer
        _ask_to_stop(worker, KeyboardInterrupt)
        raise
    if worker.is_alive():
        if not _ask_to_stop(worker, TimeLimit):
            raise Unstoppable(seconds)
        raise TimeLimit(f"still running after {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise :class:`TimeLimit` in the block after ``seconds`` (again each second after).

    Uses ``SIGALRM``, so it works in the main thread on Unix and macOS; elsewhere (Windows,
    another thread) the block runs unlimited. A timer already set (e.g. pytest-timeout's)
    is put back afterwards. The checkers use :func:`run_limited` instead, which an answer's
    bare ``except:`` cannot defeat.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not (0 < seconds < threading.TIMEOUT_MAX) or not usable:
        yield
        return
    seconds = max(seconds, MIN_CHECK_SECONDS)

    def stop(signum, frame):
        raise TimeLimit(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_delay:  # an outer timer: what remained of it
            left = max(outer_delay - (time.monotonic() - start), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def is_placeholder(answer: Any) -> bool:
    """True for ``...`` and for a function whose body does nothing (only ``...``/``pass``)."""
    if answer is Ellipsis:
        return True
    if not hasattr(answer, "__code__"):
        return False
    ops = [i for i in dis.get_instructions(answer) if i.opname not in ("RESUME", "NOP", "CACHE")]
    if [o.opname for o in ops] == ["LOAD_CONST", "RETURN_VALUE"]:
        return ops[0].argval is None or ops[0].argval is Ellipsis
    if [o.opname for o in ops] == ["RETURN_CONST"]:  # Python 3.12+
        return ops[0].argval is None or ops[0].argval is Ellipsis
    return False


def plain_text(value: str) -> str:
    """An exact ``str`` copy of ``value``, so a subclass's own ``lower`` or ``==`` cannot pass."""
    return str.__str__(value)


_MISSING = object()


# the libraries the checkers compute with: an answer that rebinds one of their names (say
# numpy.linalg.norm to a function that returns 1) would fool the reference computation
_LIBRARIES = ("math", "numpy", "numpy.linalg", "torch", "torch.nn.functional")


def _snapshot(modules: Iterable[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [(module, dict(vars(module))) for module in modules]


def _library_snapshot() -> list[tuple[Any, dict[str, Any]]]:
    return _snapshot(sys.modules[name] for name in _LIBRARIES if name in sys.modules)


def _undo_changes(
    snapshots: list[tuple[Any, dict[str, Any]]], *, added_too: bool = True
) -> list[str]:
    """Put back any name an answer rebound in ``snapshots``' modules; the names it touched.

    ``added_too=False`` lets new names stand (a library may import a submodule lazily) and
    puts back only names that were there before.
    """
    touched = []
    for module, before in snapshots:
        now = vars(module)
        for key in (set(before) | set(now)) if added_too else set(before):
            if now.get(key, _MISSING) is not before.get(key, _MISSING):
                touched.append(f"{module.__name__}.{key}")
                if key in before:
                    now[key] = before[key]
                else:
                    del now[key]
    return sorted(touched)


def short(value: Any, limit: int = 80) -> str:
    """A one-line, length-limited ``repr`` for messages."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_text(error: BaseException, *, name: bool = True, limit: int = 160) -> str:
    """An exception's message (after its type's name) on one line, length-limited."""
    text = " ".join(str(error).split()) or "(no message)"
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if name else text


def call(fn: Callable, *args: Any, on: str = "", **kwargs: Any) -> Any:
    """Call the learner's ``fn``; turn an exception or a ``...`` result into a verdict."""
    if not callable(fn):
        raise Wrong(f"expected a function, got a {type(fn).__name__}: {short(fn)}.")
    try:
        value = fn(*args, **kwargs)
    except (KeyboardInterrupt, TimeLimit):
        raise
    except BaseException as error:  # the learner's code: any error, SystemExit too, is a hint
        where = f" {on}" if on else ""
        raise Wrong(
            f"your function raised {type(error).__name__}{where}: "
            f"{error_text(error, name=False)}{_exit_hint(error)}"
        ) from None
    if value is Ellipsis:
        raise NotAttempted("Your function still returns `...`: " + _NOT_ATTEMPTED)
    return value


def _exit_hint(error: BaseException) -> str:
    if isinstance(error, SystemExit):
        return " (exit() and sys.exit() stop the whole program: return the value instead)"
    return ""


def _none_hint(what: str) -> str:
    return f"{what} returned None: did you forget `return`?"


def as_number(value: Any, what: str = "your function") -> float:
    """A float from a Python number, NumPy scalar or one-element array/tensor, else Wrong."""
    if value is None:
        raise Wrong(_none_hint(what))
    if isinstance(value, (str, bytes)) or isinstance(value, (tuple, list, dict)):
        raise Wrong(f"{what} should return one number, it returned {short(value)}.")
    try:
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu()
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(
            f"{what} should return one number, it returned a {type(value).__name__}."
        ) from None
    if array.size != 1:
        raise Wrong(
            f"{what} should return one number, it returned {array.size} (shape {array.shape})."
        )
    number = float(array.reshape(()))
    if math.isnan(number):
        raise Wrong(f"{what} returned NaN: look for a division by zero or log of a negative.")
    return number


def as_tensor(value: Any, shape: tuple[int, ...], what: str = "your function") -> torch.Tensor:
    """A float64 tensor of ``shape`` from a tensor, array or nested list, else Wrong."""
    if value is None:
        raise Wrong(_none_hint(what))
    try:
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().to(torch.float64)
        else:
            tensor = torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError, RuntimeError):
        raise Wrong(
            f"{what} should return a tensor of shape {tuple(shape)}, it returned a "
            f"{type(value).__name__}."
        ) from None
    if tuple(tensor.shape) != tuple(shape):
        raise Wrong(
            f"{what} should return shape {tuple(shape)}, yours has shape {tuple(tensor.shape)}."
        )
    return tensor


def as_loss(value: Any, what: str = "your loss") -> torch.Tensor:
    """The learner's loss as a one-element tensor that gradients can flow through, else Wrong."""
    if value is None:
        raise Wrong(_none_hint(what))
    if not isinstance(value, torch.Tensor):
        number = as_number(value, what)  # a plain float: say what it is, then why it fails
        raise Wrong(
            f"{what} returned a plain {type(value).__name__} ({number:.4f}); return the torch "
            "tensor itself (no .item(), no NumPy) so that training can back-propagate through it."
        )
    if value.numel() != 1:
        raise Wrong(
            f"{what} should be one number (a 0-d tensor), yours has shape {tuple(value.shape)}: "
            "average over the batch."
        )
    return value


def as_triplets(
    value: Any, what: str = "your function", *, allow_empty: bool = False
) -> list[tuple[str, str, str]]:
    """(anchor, positive, negative) string triples from a Dataset, list of dicts or tuples."""
    if value is None:
        raise Wrong(_none_hint(what))
    columns = ("anchor", "positive", "negative")
    names = getattr(value, "column_names", None)
    if names is not None:  # a datasets.Dataset
        if not all(c in names for c in columns):
            raise Wrong(
                f"{what} returned a Dataset with columns {names}; name them {list(columns)}."
            )
        value = list(zip(*(value[c] for c in columns)))
    elif isinstance(value, Mapping):
        if not all(c in value for c in columns):
            raise Wrong(
                f"{what} returned a dict with keys {list(value)}; use keys {list(columns)}."
            )
        value = list(zip(*(value[c] for c in columns)))
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise Wrong(
            f"{what} should return triplets (a list of (anchor, positive, negative)), "
            f"it returned a {type(value).__name__}."
        )
    triplets = []
    for row in value:
        if isinstance(row, Mapping):
            row = tuple(row.get(c) for c in columns)
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise Wrong(f"each triplet should hold three texts; one is {short(row)}.")
        row = tuple(row)
        if len(row) != 3 or not all(isinstance(t, str) for t in row):
            raise Wrong(
                f"each triplet should hold three texts (anchor, positive, negative); one is {short(row)}."
            )
        triplets.append(row)
    if not triplets and not allow_empty:
        raise Wrong(f"{what} returned no triplets.")
    return triplets


def check_loss(
    fn: Callable,
    cases: list[tuple[tuple[torch.Tensor, ...], dict[str, Any], str]],
    reference: Callable[..., torch.Tensor],
    mistakes: Callable[..., list[tuple[torch.Tensor, str]]],
) -> None:
    """Compare the learner's loss ``fn`` with ``reference`` on each case; raise Wrong if off.

    A case is (tensors, keyword arguments, description). ``mistakes(*tensors, **kwargs)``
    lists (value of a typical wrong loss, hint); a match adds that hint. Finally the loss of
    the first case must carry a gradient back to its inputs.
    """
    for tensors, kwargs, description in cases:
        value = call(fn, *(t.clone() for t in tensors), on=description, **kwargs)
        got = as_number(as_loss(value))
        doubles = [t.double() for t in tensors]
        want = float(reference(*doubles, **kwargs))
        if close(got, want):
            continue
        hint = f"{description} the loss is {want:.4f}, yours is {got:.4f}."
        for mistake, why in mistakes(*doubles, **kwargs):
            if close(got, float(mistake)):
                hint += " " + why
                break
        raise Wrong(hint[:1].upper() + hint[1:])
    tensors, kwargs, _ = cases[0]
    inputs = [
        t.clone().requires_grad_() if t.is_floating_point() and t.dim() > 1 else t.clone()
        for t in tensors
    ]
    loss = as_loss(call(fn, *inputs, **kwargs))
    if loss.grad_fn is None:
        raise Wrong(
            "your loss has the right value but is detached from the embeddings (no grad_fn): "
            "compute it with torch operations on the inputs, without .detach(), .item() or NumPy."
        )


def close(a: float, b: float, tol: float = 1e-4) -> bool:
    """``a`` equals ``b`` to a relative (and, near zero, absolute) tolerance."""
    return abs(a - b) <= tol * (1.0 + abs(b))


def _too_slow(seconds: float) -> str:
    return (
        f"your answer was still running after {seconds:g} s, so the check stopped it. Look for "
        "a loop that never ends (a `while` whose condition never changes) or work repeated "
        "inside a loop; a correct answer takes well under a second. (A slow machine: set "
        f"{CHECK_SECONDS_ENV} to more seconds.)"
    )


def _would_not_stop(seconds: float) -> str:
    return (
        f"your answer did not finish in {seconds:g} s and did not stop when asked; a bare "
        "`except:` may be catching the stop signal: catch `Exception` instead. It may still "
        "be running in the background: restart the kernel to end it."
    )


def exercise(
    notebook: str, title: str | None = None, *, seconds: float | None = None
) -> Callable[[Callable[..., str]], Callable[..., CheckResult]]:
    """Make a safe, registered checker of ``check_<name>(answer, ...) -> success message``.

    ``notebook`` is the stem of the notebook whose exercise it is (its two-digit number is
    what tests match); ``title`` names the exercise in verdicts (default: ``<name>``);
    ``seconds`` raises the time limit for a check that trains (``$EMBEDLAB_CHECK_SECONDS``
    of 0 still means no limit).
    """

    def wrap(check: Callable[..., str]) -> Callable[..., CheckResult]:
        name = title or check.__name__.removeprefix("check_").replace("_", " ")

        @functools.wraps(check)
        def checker(answer: Any = Ellipsis, *args: Any, **kwargs: Any) -> CheckResult:
            if is_placeholder(answer):
                return CheckResult(name, False, _NOT_ATTEMPTED, attempted=False)
            limit = check_seconds()
            limit = max(limit, seconds) if limit and seconds else limit
            guarded = _snapshot([sys.modules[check.__module__], sys.modules[__name__]])
            libraries = _library_snapshot()
            try:
                message = run_limited(lambda: check(answer, *args, **kwargs), limit)
            except NotAttempted as verdict:
                return CheckResult(name, False, str(verdict), attempted=False)
            except Wrong as verdict:
                return CheckResult(name, False, str(verdict))
            except TimeLimit:
                return CheckResult(name, False, _too_slow(limit))
            except Unstoppable:
                return CheckResult(name, False, _would_not_stop(limit))
            except KeyboardInterrupt:
                raise  # the learner pressed stop: stop
            except Exception as error:  # an answer of a form the checker did not foresee
                return CheckResult(
                    name,
                    False,
                    f"could not check your answer ({error_text(error)}). "
                    "Check that it has the form the exercise asks for.",
                )
            except BaseException as error:  # SystemExit, GeneratorExit... from the answer
                return CheckResult(
                    name,
                    False,
                    f"your answer raised {error_text(error)}, which is not an ordinary error"
                    f"{_exit_hint(error)}. Return a value, or raise an ordinary exception.",
                )
            finally:
                touched = _undo_changes(guarded)
                rebound = _undo_changes(libraries, added_too=False)
            if touched:  # the answer rebound the checker's own names: its verdict is void
                return CheckResult(
                    name,
                    False,
                    f"your answer changed the checker itself ({', '.join(touched[:3])}), so "
                    "its verdict cannot be trusted; the checker is restored. Answer the "
                    "exercise without touching embedlab.classroom.exercises.",
                )
            if rebound:  # the checker computed with a library the answer had replaced
                return CheckResult(
                    name,
                    False,
                    f"your answer replaced {', '.join(rebound[:3])}, which the checker computes "
                    "with, so its verdict cannot be trusted; the original is restored. Use "
                    "the library's functions without assigning to them.",
                )
            return CheckResult(name, True, message)

        EXERCISES.setdefault(notebook, []).append(check.__name__)
        return checker

    return wrap
