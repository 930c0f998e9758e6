"""zoo: a Keras 3 model zoo and a computer-vision course in a box.

`import zoo` is light: it imports neither Keras nor TensorFlow. The registry functions below
import the model families (and so Keras) on first use.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "get_model", "get_spec", "list_models", "load_model"]


def list_models(pattern=None, *, task=None, family=None):
    """Sorted names of registered models, filtered by an fnmatch `pattern` ("resnet*")."""
    from zoo import registry

    return registry.list_models(pattern, task=task, family=family)


def get_model(name, /, **kwargs):
    """Builds the registered model `name`; keyword arguments go to its builder (`name=` names the model)."""
    from zoo import registry

    return registry.get_model(name, **kwargs)


def get_spec(name):
    """The registry entry (`ModelSpec`) of model `name`."""
    from zoo import registry

    return registry.get_spec(name)


def load_model(path, **kwargs):
    """Loads a `.keras` file saved from any zoo model, custom layers included, no `custom_objects`."""
    from zoo.models import load_model as _load

    return _load(path, **kwargs)
