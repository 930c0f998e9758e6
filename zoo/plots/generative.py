"""Figures of autoencoders and VAEs: reconstructions, samples from the prior, the latent map."""

from __future__ import annotations

import numpy as np

from zoo.plots import style
from zoo.plots.style import _plt, _show


def plot_reconstructions(rows, path, *, reference=None, max_images=10, title="Reconstructions"):
    """A grid: one row per entry of `rows` ({"input": images, "output": images, ...}), one
    column per image, each row labelled with its MSE against the `reference` row (default: the
    first)."""
    plt = _plt()
    names = list(rows)
    reference = names[0] if reference is None else reference
    if reference not in rows:
        raise ValueError(f"`reference` must be one of {names}. Received: reference={reference!r}")
    arrays = [np.asarray(rows[n])[:max_images] for n in names]
    n = min(len(a) for a in arrays)
    fig, axes = plt.subplots(len(names), n, figsize=(1.2 * n + 0.8, 1.3 * len(names) + 0.5), squeeze=False)
    ref = np.asarray(rows[reference])[:n]
    for r, (name, arr) in enumerate(zip(names, arrays)):
        for c in range(n):
            _show(axes[r, c], arr[c])
        label = name if name == reference else f"{name}\nMSE {np.mean((arr[:n] - ref) ** 2):.4f}"
        axes[r, 0].set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center")
    fig.suptitle(title)
    return style.save_figure(fig, path)


def plot_vae_samples(images, path, *, title="VAE samples from the prior N(0, I)"):
    """A square grid of generated images (N, H, W, C)."""
    plt = _plt()
    images = np.asarray(images)
    k = int(np.ceil(np.sqrt(len(images))))
    fig, axes = plt.subplots(k, k, figsize=(1.1 * k, 1.1 * k + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img in zip(axes.flat, images):
        _show(ax, img)
    fig.suptitle(title, fontsize=10)
    return style.save_figure(fig, path)


def plot_latent_map(codes, labels, path, *, decoder_grid=None, extent=3.0, title="VAE latent space",
                    axis_labels=("z[0]", "z[1]")):
    """Left: the 2-D codes (z_mean) of held-out images coloured by label. Right (optional):
    `decoder_grid` (n, n, H, W, C), the images decoded on an n x n grid over
    [-extent, extent]^2. `axis_labels` names the two coordinates (e.g. principal components)."""
    plt = _plt()
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] < 2:
        raise ValueError(f"a latent map needs codes of shape (N, 2) or more. Received: codes of shape {codes.shape}")
    panels = 2 if decoder_grid is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.6), squeeze=False)
    ax = axes[0, 0]
    sc = ax.scatter(codes[:, 0], codes[:, 1], c=None if labels is None else np.asarray(labels),
                    cmap="tab10" if labels is not None else None, s=7, alpha=0.8)
    if labels is not None:
        fig.colorbar(sc, ax=ax, label="label")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title("codes of held-out images")
    ax.grid(alpha=0.3)
    if decoder_grid is not None:
        grid = np.asarray(decoder_grid)
        n, _, h, w = grid.shape[:4]
        canvas = np.concatenate([np.concatenate(list(grid[i]), axis=1) for i in range(n)], axis=0)
        ax = axes[0, 1]
        img = canvas[..., 0] if canvas.shape[-1] == 1 else canvas
        ax.imshow(np.clip(img, 0, 1), cmap="gray" if img.ndim == 2 else None, extent=(-extent, extent, -extent, extent))
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
        ax.set_title(f"decoded on a {n}x{n} grid")
    fig.suptitle(title)
    return style.save_figure(fig, path)
