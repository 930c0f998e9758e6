"""KerasTuner search spaces for every zoo family, `zoo tune`, and distributed search.

`hypermodels`: one HyperModel per family plus the shared training hyperparameters;
`search`: tuner factory, one search, results; `distributed`: chief + workers on localhost.
"""

from zoo.tuning.hypermodels import HYPERMODELS, TRAINING_SPACE, get_hypermodel, search_space_table  # noqa: F401
from zoo.tuning.search import TUNERS, run_search  # noqa: F401
