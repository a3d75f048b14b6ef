"""The recipes the notebooks teach, copied from their cells (``embedlab-export-recipes``).

Each module holds the cells one notebook marks ``#@save``: plain sentence-transformers code
(loss, training arguments, trainer) that later notebooks, the knob panels and the reference
command call instead of writing it again. Edit the notebook, not these files.

>>> from embedlab.recipes.softmax import softmax_trainer   # notebook 02
"""
