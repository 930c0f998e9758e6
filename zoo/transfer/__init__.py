"""Transfer learning: backbones, freezing, a new head, two-phase fine-tuning, encoder transfer.

The recipe (Yosinski et al. 2014, "How transferable are features in deep neural networks?";
the Keras transfer-learning guide):

1. take a backbone trained on task A (a zoo classifier with `include_top=False`, a
   keras.applications model, or an autoencoder's encoder), weights from a local file;
2. put a new head on it (`new_head`): pooling, dropout, Dense(classes);
3. phase 1: backbone frozen, train the head at a higher learning rate;
4. phase 2: unfreeze the top N blocks, train on at a lower learning rate.

The autoencoder route (TUM I2DL ex. 8): `pretrain_autoencoder` trains a conv autoencoder on
unlabelled images (reconstruct each image from a rotated/shifted/zoomed noisy copy),
`encoder_classifier` puts a normalising head on its encoder, and `fine_tune` trains the head on a
few labels with the encoder frozen, then the whole network at a low learning rate.

BatchNormalization layers of the backbone stay in inference mode throughout: the backbone is
called with `training=False` and every BatchNormalization layer is kept non-trainable, so their
moving statistics (learned on task A's data) are not overwritten by a few small batches of task B.

Preprocessing of the backbone lives inside the model (`zoo.models.preprocessing.ImagePreprocessing`),
so a saved `model.keras` takes raw [0, 1] images, as the zoo's datasets and image folders give them.
"""

from zoo.transfer.backbones import (
    APPLICATION_PREPROCESSING,
    build_backbone,
    load_backbone_weights,
    preprocessing_mode,
)
from zoo.transfer.command import run_transfer
from zoo.transfer.encoder import encoder_classifier, encoder_of, pretrain_autoencoder
from zoo.transfer.finetune import few_shot, fine_tune
from zoo.transfer.freezing import (
    _batchnorms,  # noqa: F401 (tests reach it as zoo.transfer._batchnorms)
    blocks,
    freeze,
    trainable_count,
    unfreeze_top,
)
from zoo.transfer.heads import backbone_of, new_head

__all__ = [
    "APPLICATION_PREPROCESSING", "backbone_of", "blocks", "build_backbone", "encoder_classifier", "encoder_of",
    "few_shot", "fine_tune", "freeze", "load_backbone_weights", "new_head", "preprocessing_mode",
    "pretrain_autoencoder", "run_transfer", "trainable_count", "unfreeze_top",
]
