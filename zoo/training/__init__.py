"""The training workbench: optimizers and schedules by name, augmentation, callbacks, the
`zoo train` loop with resume, evaluation, recipe checks, reports and comparisons."""
