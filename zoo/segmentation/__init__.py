"""Semantic segmentation: losses (Dice, focal, BCE+Dice), metrics (mean IoU, Dice per class).
The segmentation task (what `zoo train/evaluate/predict` call) is `zoo.tasks.segmentation`."""
