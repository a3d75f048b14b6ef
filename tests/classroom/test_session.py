"""el.start in a real kernel: an embedlab error is shown briefly, and still as an error."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient


def test_an_embedlab_error_in_a_cell_is_an_error_output_with_the_message_alone(tmp_path):
    """nbval and "run all" see an error output; the learner sees one paragraph, not a traceback."""
    cells = [
        "import embedlab as el\nprofile = el.start('02_softmax_loss')",
        "el.profiles.get_profile('no-such-profile')",
        "after = True",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3").execute(
        cwd=str(tmp_path)
    )
    outputs = nb.cells[1].outputs
    errors = [o for o in outputs if o.output_type == "error"]
    assert len(errors) == 1, outputs
    assert errors[0].ename == "InputError"
    assert errors[0].traceback == [f"InputError: {errors[0].evalue}"]  # the message alone
    assert "unknown profile 'no-such-profile'" in errors[0].evalue
    assert not [o for o in outputs if o.output_type == "stream" and "Traceback" in o.text]
