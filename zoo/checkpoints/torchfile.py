"""PyTorch `.pth` / `.pt` state dicts read into NumPy without torch, and without running code.

`torch.save` writes a pickle whose tensors point at raw storages: in the zip format (torch >= 1.6)
the pickle is `<root>/data.pkl` and storage `k` is `<root>/data/k`; in the legacy format the file
is five pickles in a row (magic number, protocol, sys info, the object, the storage keys) followed
by each storage as an int64 element count and its bytes. A pickle may name any importable callable
and call it, so a plain `pickle.load` of a stranger's checkpoint can run arbitrary code. The
unpickler here resolves only the handful of names a state dict needs (an OrderedDict, the tensor
and parameter rebuild functions, the typed storage classes) to stand-ins of its own: any other
global is refused with an error naming it, and nothing from torch is imported or called.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001

# torch's typed storage classes (pickled by name) -> NumPy dtype of their elements.
STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
# torch dtypes (pickled by name since torch 2.x, e.g. `torch.float32`) -> NumPy dtype.
TORCH_DTYPES = {
    "float64": np.float64, "double": np.float64, "float32": np.float32, "float": np.float32,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64,
    "int32": np.int32, "int": np.int32, "int16": np.int16, "short": np.int16,
    "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read, or whose content does not fit a model."""


class _StorageType:
    """Stand-in for `torch.FloatStorage` & co.: only carries the element dtype."""

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype


class _Storage:
    """A storage as the pickle refers to it; `array` (1-D, its dtype) is filled in later."""

    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array = None


class _LazyTensor:
    """A tensor whose storage bytes may not have been read yet (legacy files store them after
    the pickle); `numpy()` makes the strided view and copies it."""

    def __init__(self, storage, offset, size, stride, storage_view=None):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)
        self.storage_view = storage_view  # (offset, size) of a legacy storage view, or None

    def numpy(self):
        base = self.storage.array
        if base is None:
            raise CheckpointError(f"storage {self.storage.key!r} has no data in the file")
        if self.storage_view is not None:
            base = base[self.storage_view[0] : self.storage_view[0] + self.storage_view[1]]
        if not self.size:
            return np.array(base[self.offset], dtype=base.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or last >= base.size:
            raise CheckpointError(
                f"a tensor of shape {self.size} reaches past its storage {self.storage.key!r} "
                f"({base.size} elements): the file is damaged"
            )
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[self.offset :], shape=self.size, strides=tuple(s * item for s in self.stride), writeable=False
        )
        return np.array(view)


def _rebuild_tensor(storage, storage_offset, size, stride, *_rest):
    if isinstance(storage, tuple) and len(storage) == 2 and isinstance(storage[0], _Storage):
        storage, view = storage
        return _LazyTensor(storage, storage_offset, size, stride, storage_view=view)
    if not isinstance(storage, _Storage):
        raise CheckpointError(f"a tensor in the checkpoint refers to {type(storage).__name__}, not a storage")
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *_rest):
    return data


def _rebuild_parameter_with_state(data, *_rest):
    return data


class _Dtype:
    def __init__(self, name):
        self.name = name


# (module, name) -> stand-in. Nothing outside this table is ever resolved.
_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    **{("torch", n): _StorageType(n, d) for n, d in STORAGE_DTYPES.items()},
    **{("torch", n): _Dtype(n) for n in TORCH_DTYPES},
}


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only `_ALLOWED` globals; `storages` maps a storage key to its `_Storage`."""

    def __init__(self, file, *, path, legacy):
        super().__init__(file)
        self.path, self.legacy = path, legacy
        self.storages = {}

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise CheckpointError(
                f"checkpoint {self.path!r} refers to {module}.{name}, which a state dict of tensors "
                "never needs; refused (loading it could run code). Save `model.state_dict()`, not "
                "the model object."
            ) from None

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise CheckpointError(f"checkpoint {self.path!r} holds a persistent object {pid!r:.80}, not a storage")
        if self.legacy:
            _, stype, key, _location, numel, view = pid
        else:
            _, stype, key, _location, numel = pid
            view = None
        if isinstance(stype, _StorageType):
            dtype = stype.dtype
        elif isinstance(stype, _Dtype):
            dtype = TORCH_DTYPES[stype.name]
        else:
            raise CheckpointError(f"checkpoint {self.path!r}: unknown storage type {stype!r:.80}")
        key = str(key)
        if key not in self.storages:
            self.storages[key] = _Storage(key, dtype, int(numel))
        storage = self.storages[key]
        if view is not None:
            _view_key, offset, size = view
            return (storage, (int(offset), int(size)))
        return storage


def _flatten(obj, path):
    """{name: _LazyTensor} of a state dict, also one nested under "state_dict" / "model"."""
    if isinstance(obj, dict):
        tensors = {k: v for k, v in obj.items() if isinstance(v, _LazyTensor)}
        if tensors and len(tensors) == len(obj):
            return dict(obj)
        for key in ("state_dict", "model", "model_state_dict", "net", "params"):
            if isinstance(obj.get(key), dict):
                return _flatten(obj[key], path)
        if tensors:
            return tensors
    raise CheckpointError(
        f"checkpoint {path!r} holds no state dict of tensors (found {type(obj).__name__}"
        + (f" with keys {sorted(map(str, obj))[:8]}" if isinstance(obj, dict) else "")
        + ")"
    )


def _load_zip(path):
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise CheckpointError(f"{path!r} is a zip file without data.pkl: not a torch checkpoint")
        root = pkl[0][: -len("data.pkl")]
        order = f"{root}byteorder"
        if order in names and zf.read(order).decode().strip() != "little":
            raise CheckpointError(f"checkpoint {path!r} is big-endian; only little-endian files are read")
        up = RestrictedUnpickler(io.BytesIO(zf.read(pkl[0])), path=path, legacy=False)
        obj = up.load()
        for key, st in up.storages.items():
            name = f"{root}data/{key}"
            if name not in names:
                raise CheckpointError(f"checkpoint {path!r} lacks storage {name!r}")
            raw = zf.read(name)
            st.array = np.frombuffer(raw, dtype=st.dtype, count=len(raw) // np.dtype(st.dtype).itemsize)
    return obj


def _load_legacy(path):
    with open(path, "rb") as f:
        header = RestrictedUnpickler(f, path=path, legacy=True)
        try:
            magic = header.load()
        except Exception as e:
            raise CheckpointError(f"{path!r} is not a torch checkpoint (zip or legacy format): {e}") from None
        if magic != LEGACY_MAGIC:
            raise CheckpointError(f"{path!r} is not a torch checkpoint (zip or legacy format)")
        protocol = header.load()
        if protocol != LEGACY_PROTOCOL:
            raise CheckpointError(f"checkpoint {path!r}: unknown legacy protocol {protocol!r}")
        header.load()  # sys info: byte order, type sizes
        up = RestrictedUnpickler(f, path=path, legacy=True)
        obj = up.load()
        keys = RestrictedUnpickler(f, path=path, legacy=True).load()
        for key in keys:
            st = up.storages.get(str(key))
            head = f.read(8)
            if len(head) != 8:
                raise CheckpointError(f"checkpoint {path!r} ends before storage {key!r}")
            (numel,) = struct.unpack("<q", head)
            dtype = np.dtype(st.dtype if st is not None else np.uint8)
            raw = f.read(numel * dtype.itemsize)
            if len(raw) != numel * dtype.itemsize:
                raise CheckpointError(f"checkpoint {path!r} ends inside storage {key!r}")
            if st is not None:
                st.array = np.frombuffer(raw, dtype=dtype)
    return obj


def load_state_dict(path):
    """{name: float32/int NumPy array} of a torch `.pth`/`.pt` file, zip or legacy format.

    Raises:
        CheckpointError: the file is no torch checkpoint, or it names anything but tensors and
            plain containers (a pickled module or any other callable is refused, never run).
    """
    path = os.fspath(path)
    obj = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
    return {str(k): v.numpy() for k, v in _flatten(obj, path).items()}
