"""Object detection in keras.ops: box formats and IoU, SSD default boxes, the box codec,
matching, the MultiBox loss, non-maximum suppression and VOC / COCO mAP.

Boxes inside the zoo are relative `xyxy` ([x1, y1, x2, y2] in [0, 1] of the image width/height,
Keras' "rel_xyxy") unless a function says otherwise; class 0 of every SSD output is background.
"""
