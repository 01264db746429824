"""Carry graded variables from the student's kernel to the clean checker kernel.

`export_names` runs inside the student's kernel (its source is sent as text, so
the sandbox needs no access to this package); `load_names` runs in the checker
kernel, which never executes student code. Only plain data crosses: numpy
arrays (no pickles), Keras models in the .keras format (loaded with
safe_mode), training histories and JSON values. Anything else arrives as an
UngradableValue that explains itself when a test touches it.
"""

import json
import os

MANIFEST = "manifest.json"
# The checker imports modules and objects named by a submission only from these packages.
IMPORTABLE_PACKAGES = ("numpy", "keras", "matplotlib", "math")


def export_names(namespace, names, folder):
    """Write each of `names` found in `namespace` into `folder`, plus a manifest."""
    import sys
    import types
    import zlib

    np = sys.modules.get("numpy")
    keras = sys.modules.get("keras")
    # Arrays that did not change since the last export are not written again.
    fingerprints = namespace.setdefault("_grader_export_fingerprints", {})

    def to_json(value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if np is not None and isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (list, tuple)):
            return [to_json(v) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {k: to_json(v) for k, v in value.items()}
        raise TypeError(type(value).__name__)

    def export_one(name, value):
        if isinstance(value, types.ModuleType):
            return {"kind": "module", "module": value.__name__}
        if isinstance(value, (type, types.FunctionType)) and value.__module__ != "__main__":
            # An imported class or function: the checker imports the real one by name.
            return {"kind": "object", "module": value.__module__, "qualname": value.__qualname__}
        if np is not None and isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            fingerprint = [array.dtype.str, list(array.shape), zlib.crc32(memoryview(array).cast("B"))]
            path = os.path.join(folder, name + ".npy")
            if fingerprints.get(name) != fingerprint or not os.path.exists(path):
                np.save(path, array, allow_pickle=False)
                fingerprints[name] = fingerprint
            return {"kind": "array", "file": name + ".npy"}
        if keras is not None and isinstance(value, keras.Model):
            value.save(os.path.join(folder, name + ".keras"))
            return {"kind": "keras_model", "file": name + ".keras"}
        if keras is not None and isinstance(value, keras.callbacks.History):
            return {
                "kind": "history",
                "history": to_json(value.history),
                "params": to_json(value.params or {}),
                "epoch": to_json(value.epoch),
            }
        return {"kind": "json", "value": to_json(value)}

    manifest = {}
    for name in names:
        if name not in namespace:
            manifest[name] = {"kind": "missing"}
            continue
        try:
            manifest[name] = export_one(name, namespace[name])
        except Exception as exc:  # what the grader cannot carry is reported, not fatal
            manifest[name] = {
                "kind": "unsupported",
                "type": type(namespace[name]).__name__,
                "reason": f"{type(exc).__name__}: {exc}"[:300],
            }
    tmp = os.path.join(folder, MANIFEST + ".tmp")
    with open(tmp, "w") as fh:
        json.dump(manifest, fh)
    os.replace(tmp, os.path.join(folder, MANIFEST))


class UngradableValue:
    """Stands in for a student variable the grader could not carry over."""

    def __init__(self, name, explanation):
        self._name = name
        self._explanation = explanation

    def __getattr__(self, attr):
        raise TypeError(f"`{self._name}` cannot be checked: {self._explanation}")

    def __repr__(self):
        return f"<{self._name}: {self._explanation}>"


class TrainingHistory:
    """The parts of keras.callbacks.History that tests read."""

    def __init__(self, history, params, epoch):
        self.history = history
        self.params = params
        self.epoch = epoch


def load_names(names, folder, namespace, protected=()):
    """Define `names` in `namespace` from what export_names wrote to `folder`."""
    import importlib

    manifest_path = os.path.join(folder, MANIFEST)
    try:
        with open(manifest_path) as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        manifest = {}
    for name in names:
        if name in protected:
            continue
        entry = manifest.get(name) if isinstance(manifest.get(name), dict) else {"kind": "missing"}
        kind = entry.get("kind")
        try:
            if kind == "missing":
                namespace.pop(name, None)
            elif kind == "module":
                namespace[name] = importlib.import_module(_allowed(entry["module"]))
            elif kind == "object":
                obj = importlib.import_module(_allowed(entry["module"]))
                for part in str(entry["qualname"]).split("."):
                    obj = getattr(obj, part)
                namespace[name] = obj
            elif kind == "array":
                import numpy as np

                # Memory-mapped: large arrays cost no copy and tests only read them.
                namespace[name] = np.load(_inside(folder, entry["file"]), mmap_mode="r", allow_pickle=False)
            elif kind == "keras_model":
                import keras

                namespace[name] = keras.saving.load_model(_inside(folder, entry["file"]), safe_mode=True)
            elif kind == "history":
                namespace[name] = TrainingHistory(entry["history"], entry["params"], entry["epoch"])
            elif kind == "json":
                namespace[name] = entry["value"]
            else:
                namespace[name] = UngradableValue(
                    name,
                    f"it is a {entry.get('type', 'value')} the grader cannot read "
                    "(expected a numpy array, a Keras model or plain numbers)",
                )
        except Exception as exc:
            namespace[name] = UngradableValue(
                name, f"the grader could not load it ({type(exc).__name__}: {str(exc)[:200]})"
            )


def _allowed(module):
    module = str(module)
    if module.split(".")[0] not in IMPORTABLE_PACKAGES:
        raise ValueError(f"module {module!r} is not one the tests use")
    return module


def _inside(folder, filename):
    path = os.path.realpath(os.path.join(folder, os.path.basename(str(filename))))
    if os.path.dirname(path) != os.path.realpath(folder):
        raise ValueError("file outside the export folder")
    return path
