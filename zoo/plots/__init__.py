"""Every figure the zoo draws (matplotlib, Agg backend). Each `plot_*` writes one PNG atomically
and returns its path.

One module per concern: `style` (backend, saving, ticks, the class palette), `curves` (training
runs, the LR range test, optimizers, bench), `classification`, `generative` (autoencoders, VAEs),
`segmentation`, `detection`, `tuning`. Every figure saves through `style.save_figure`.
"""

from zoo.plots import style
from zoo.plots.classification import (
    plot_confusion_matrix,
    plot_feature_maps,
    plot_first_layer_filters,
    plot_misclassified,
    plot_saliency,
)
from zoo.plots.curves import (
    _smooth,  # noqa: F401 (zoo.training.recipe smooths the LR finder's losses with it)
    plot_bench,
    plot_learning_curves,
    plot_lr_range_test,
    plot_optimizer_comparison,
)
from zoo.plots.detection import draw_detections, plot_detections
from zoo.plots.generative import plot_latent_map, plot_reconstructions, plot_vae_samples
from zoo.plots.segmentation import overlay_mask, plot_segmentation, save_mask_png
from zoo.plots.style import class_colours, save_figure
from zoo.plots.tuning import (
    plot_objective_per_trial,
    plot_objective_vs_hyperparameters,
    plot_parallel_coordinates,
    plot_tuning_results,
)

__all__ = [
    "class_colours", "draw_detections", "overlay_mask", "plot_bench", "plot_confusion_matrix", "plot_detections",
    "plot_feature_maps", "plot_first_layer_filters", "plot_latent_map", "plot_learning_curves", "plot_lr_range_test",
    "plot_misclassified", "plot_objective_per_trial", "plot_objective_vs_hyperparameters", "plot_optimizer_comparison",
    "plot_parallel_coordinates", "plot_reconstructions", "plot_saliency", "plot_segmentation", "plot_tuning_results",
    "plot_vae_samples", "save_figure", "save_mask_png", "style",
]
