"""Datasets: embedded real data (scikit-learn's digits), synthetic scenes, tfds, image folders."""

from zoo.data.digits import load_digits

__all__ = ["load_digits"]
