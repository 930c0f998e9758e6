"""Semantic segmentation: losses (Dice, focal, BCE+Dice), metrics (mean IoU, Dice per class),
and the task module `zoo.segmentation.task` that `zoo train/evaluate/predict` call."""
