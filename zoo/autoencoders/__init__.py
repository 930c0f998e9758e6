"""Autoencoder helpers: the autoencoder-vs-PCA comparison `zoo.autoencoders.pca`. The tasks that
`zoo train/evaluate` call are `zoo.tasks.reconstruction` and `zoo.tasks.generation` (the VAE)."""
