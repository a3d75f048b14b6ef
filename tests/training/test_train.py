"""The command line: options, recipe list, clear errors (training itself: test_distributed)."""

from __future__ import annotations

import pytest

from embedlab.training.recipes import RECIPES
from embedlab_tools.train import main, parse_args


def test_list_names_every_recipe(capsys):
    assert main(["--list"]) == 0
    printed = capsys.readouterr().out
    assert all(name in printed for name in RECIPES)
    assert printed.count("beyond the book") == sum(r.beyond_book for r in RECIPES.values())


def test_unknown_recipe_and_bad_numbers_are_refused(capsys):
    for argv in (["--recipe", "mnr-hardest"], ["--recipe", "mnr-soft", "--max-steps", "0"], []):
        with pytest.raises(SystemExit) as exit_info:
            parse_args(argv)
        assert exit_info.value.code == 2
    assert "--recipe is required" in capsys.readouterr().err


def test_too_many_rows_is_an_input_error_not_a_traceback(tmp_path, capsys):
    argv = [
        "--recipe",
        "cosine",
        "--profile",
        "quick",
        "--rows",
        "99999",
        "--output",
        str(tmp_path),
    ]
    assert main(argv) == 2
    assert "asked for 99,999 training rows" in capsys.readouterr().err
