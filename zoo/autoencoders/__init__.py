"""Autoencoder helpers: the task module `zoo.autoencoders.task` (reconstruction/generation for
`zoo train/evaluate`) and the autoencoder-vs-PCA comparison `zoo.autoencoders.pca`."""
