"""Course exercises and the autograder: single-source markers, stub generation, sandboxed
child-process runner, Gradescope results and class gradebooks. Nothing here imports Keras."""
