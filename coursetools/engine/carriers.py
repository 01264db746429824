"""Carry values between the student's kernel and the clean checker kernel.

Only plain data crosses, as a JSON tree plus side files in a folder:

| value                                   | carried as                                        |
|-----------------------------------------|---------------------------------------------------|
| None, bool, int, float, str, list       | JSON                                              |
| tuple, set, frozenset, dict (any plain  | tagged JSON (`{"$": "tuple", "items": [...]}`),   |
| keys), bytes, complex, nested           | so tuples stay tuples and keys keep their type    |
| numpy scalars                           | dtype + value (numbers), else as a 0-d array      |
| numpy arrays (not of objects)           | .npy without pickles, memory-mapped when loaded:  |
|                                         |   any shape, order, strides, byte order and dtype |
|                                         |   numpy.save keeps without pickling               |
| Keras models                            | .keras, loaded with safe_mode                     |
| Keras training histories                | their numbers                                     |
| modules, classes and functions of the   | their name, imported again by the checker and     |
|   packages in IMPORTABLE_PACKAGES       |   verified to be what the name says               |
| any other callable (a student's         | a proxy: calling it runs the callable in the      |
|   function, class, lambda, ...)         |   student's sandboxed kernel (see CheckerBridge)  |

Anything else arrives as an `UngradableValue` that names the variable and why
it could not be carried as soon as a test touches it. The why is one of the fixed
sentences of NOT_CARRIED: nothing the student wrote (a type's name, an exception's
message) reaches a grader's message.

This module is self-contained: the grader sends its source as text to the
student's kernel (the sandbox cannot import this package), and imports it in
the checker. Nothing read from a folder the student can write is trusted: a
malformed tree becomes an UngradableValue, never an exception that escapes.
"""

import builtins
import json
import os

MANIFEST = "manifest.json"
# The checker imports modules and objects named by a submission only from these packages.
IMPORTABLE_PACKAGES = ("numpy", "keras", "tensorflow", "matplotlib", "math")
MAX_DEPTH = 50  # nesting of containers
MAX_ITEMS = 1_000_000  # elements of containers in one value (arrays do not count)
MAX_PRINTED = 10_000  # characters a called function may print into the test's output


class NotCarried(TypeError):
    """A value the grader cannot carry between the kernels."""


# Why a value was not carried, in fixed words: the reading side shows a reason only when it
# is one of these, so a crafted manifest can pick among them and say nothing else.
def N_(message: str) -> str:
    """language.N_ (gettext_noop), here because this module is self-contained: a message for the
    catalogues, translated when shown."""
    return message


NOT_CARRIED = {
    "too-many": N_("it has more than {limit} elements (a numpy array has no such limit)").format(
        limit=f"{MAX_ITEMS:,}"
    ),
    "too-deep": N_("it is nested more than {limit} levels deep or contains itself").format(limit=MAX_DEPTH),
    "object-array": N_(
        "it is a numpy array (or numpy value) holding Python objects, which the grader "
        "does not carry because loading them would run code"
    ),
    "array-not-written": N_(
        "the grader could not write this numpy array for its checking kernel (out of space "
        "or over the grader's file size limit)"
    ),
    "symbolic": N_("it is a symbolic tensor without values"),
    "other-kind": N_(
        "it is an object of a kind tests cannot read, such as an instance of a class defined "
        "in the notebook, a generator or an iterator"
    ),
    "model-not-saved": N_("Keras could not save the model"),
    "model-refused": N_(
        "the model uses parts other than Keras's own layers, losses, metrics, activations, "
        "initializers, regularizers, constraints and optimizers, or layers that run arbitrary code (Lambda, ...)"
    ),
    "not-loaded": N_("the grader could not load it"),
}
# What tests can read, for messages about what they cannot.
SUPPORTED_KINDS = N_(
    "numbers, booleans, None, strings, bytes, lists, tuples, dicts, sets, numpy values and arrays "
    "(not of Python objects), Keras models built from Keras's own layers, losses, metrics, activations, initializers, "
    "regularizers and constraints, Keras training histories, and functions"
)


def not_carried_reason(text) -> str:
    """`text` if it is one of the fixed reasons, else the generic one."""
    return text if text in NOT_CARRIED.values() else NOT_CARRIED["other-kind"]


# -- encoding (student kernel for variables and results; checker for call arguments) --------
class Writer:
    """Encode values into `folder`: a JSON tree, arrays and models as side files."""

    def __init__(self, folder, callables=None, fingerprints=None):
        import sys

        self.folder = folder
        self.np = sys.modules.get("numpy")
        self.keras = sys.modules.get("keras")
        # id -> callable, kept by the side that owns the callables (the student's kernel).
        self.callables = callables if callables is not None else {}
        # file -> fingerprint of the array last written there, to skip unchanged arrays.
        self.fingerprints = fingerprints if fingerprints is not None else {}
        self.files = 0
        self.items = 0

    def encode(self, value, label, depth=0, seen=()):
        """The JSON tree for `value`; raises NotCarried with the reason."""
        self.items += 1
        if self.items > MAX_ITEMS:
            raise NotCarried(NOT_CARRIED["too-many"])
        np, keras = self.np, self.keras
        if np is not None and isinstance(value, np.generic):  # before str and float: np.str_, np.float64
            return self._numpy_scalar(value, label)
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            return {"$": "float", "value": repr(value)} if value != value or value in _INFINITIES else value
        if depth > MAX_DEPTH or id(value) in seen:
            raise NotCarried(NOT_CARRIED["too-deep"])
        inner = (*seen, id(value))
        if type(value) is list:
            return [self.encode(v, label, depth + 1, inner) for v in value]
        if isinstance(value, (tuple, set, frozenset)) and type(value) in (tuple, set, frozenset):
            items = sorted(value, key=_sort_key) if type(value) is not tuple else value
            return {"$": type(value).__name__, "items": [self.encode(v, label, depth + 1, inner) for v in items]}
        if type(value) is dict:
            pairs = [
                [self.encode(k, label, depth + 1, inner), self.encode(v, label, depth + 1, inner)]
                for k, v in value.items()
            ]
            return {"$": "dict", "items": pairs}
        if isinstance(value, (bytes, bytearray)):
            return {"$": "bytes", "hex": bytes(value).hex()}
        if isinstance(value, complex):
            return {"$": "complex", "real": self.encode(value.real, label), "imag": self.encode(value.imag, label)}
        if np is not None and isinstance(value, np.ndarray):
            return self._array(value, label)
        if keras is not None and isinstance(value, keras.Model):
            return self._model(value, label)
        if keras is not None and np is not None and _is_library_tensor(keras, value):
            try:  # a TensorFlow tensor (tf.one_hot, tf.cast, ...): its values
                return self._array(np.asarray(value), label)
            except (TypeError, ValueError, NotImplementedError):
                raise NotCarried(NOT_CARRIED["symbolic"]) from None
        if keras is not None and isinstance(value, keras.callbacks.History):
            return {
                "$": "history",
                "history": self.encode(dict(value.history), label, depth + 1, inner),
                "params": self.encode(dict(value.params or {}), label, depth + 1, inner),
                "epoch": self.encode(list(value.epoch), label, depth + 1, inner),
            }
        import types

        if isinstance(value, types.ModuleType):
            return {"$": "module", "name": value.__name__}
        if _importable_object(value):
            return {"$": "object", "module": value.__module__, "qualname": value.__qualname__}
        if isinstance(value, CallableProxy):
            return {"$": "callable", "id": value._grader_id, "name": value.__name__}
        # Subclasses of containers (Counter, OrderedDict, namedtuple) travel as their base.
        for base in (dict, list, tuple):
            if isinstance(value, base) and not callable(value):
                return self.encode(base(value), label, depth, seen)
        if callable(value):
            return self._callable(value)
        raise NotCarried(NOT_CARRIED["other-kind"])

    def _numpy_scalar(self, value, label):
        """Numbers as dtype + value when Python's own number holds them exactly; any other
        numpy value (dates, strings, records, long doubles, NaNs with their sign and payload
        bits) as a 0-d array."""
        kind, size = value.dtype.kind, value.dtype.itemsize
        exact = kind in "biu" or (kind == "f" and size <= 8) or (kind == "c" and size <= 16)
        if exact and not (kind in "fc" and self.np.isnan(value)):
            return {"$": "npscalar", "dtype": value.dtype.str, "value": self.encode(value.item(), label)}
        return {**self._array(self.np.asarray(value), label), "scalar": True}

    def _array(self, value, label):
        np = self.np
        if value.dtype.hasobject:
            raise NotCarried(NOT_CARRIED["object-array"])
        import zlib

        # C or Fortran order is kept as it is (numpy.save records it); other strides become C order.
        array = value if value.flags.c_contiguous or value.flags.f_contiguous else np.ascontiguousarray(value)
        name = _safe_file(label) + f"-{self.files}.npy"
        self.files += 1
        raw = array.ravel(order="K").view(np.uint8)  # no copy: the array's bytes, for any shape and dtype
        fingerprint = [
            str(np.lib.format.dtype_to_descr(array.dtype)),
            list(array.shape),
            bool(array.flags.f_contiguous and not array.flags.c_contiguous),
            zlib.crc32(raw),
        ]
        path = os.path.join(self.folder, name)
        if self.fingerprints.get(path) != fingerprint or not os.path.exists(path):
            try:
                np.save(path, array, allow_pickle=False)
            except OSError:
                raise NotCarried(NOT_CARRIED["array-not-written"]) from None
            self.fingerprints[path] = fingerprint
        return {"$": "array", "file": name}

    def _model(self, value, label):
        name = _safe_file(label) + f"-{self.files}.keras"
        self.files += 1
        path = os.path.join(self.folder, name)
        try:
            value.save(path)
        except Exception:  # a layer of the student's own that Keras cannot save, say
            raise NotCarried(NOT_CARRIED["model-not-saved"]) from None
        _name_activations_by_behaviour(self.keras, value, path)
        return {"$": "keras_model", "file": name}

    def _callable(self, value):
        import inspect

        key = id(value)
        self.callables[key] = value
        name = getattr(value, "__name__", None) or type(value).__name__
        try:
            signature = str(inspect.signature(value))
        except (TypeError, ValueError):
            signature = "(...)"
        doc = value.__doc__ if isinstance(getattr(value, "__doc__", None), str) else None
        return {"$": "callable", "id": key, "name": str(name), "signature": signature, "doc": doc}

    def write(self, tree):
        """Write the manifest last and atomically: a reader never sees half of it."""
        tmp = os.path.join(self.folder, MANIFEST + ".tmp")
        with open(tmp, "w") as fh:
            json.dump(tree, fh)
        os.replace(tmp, os.path.join(self.folder, MANIFEST))


# Keras activations a model may use, by name: what an activation computes is matched
# against these when Keras cannot name it (tf.nn.softmax is `softmax_v2`, say).
KNOWN_ACTIVATIONS = (
    "linear", "relu", "softmax", "sigmoid", "tanh", "elu", "selu", "softplus", "softsign", "silu",
    "gelu", "exponential", "leaky_relu", "relu6", "hard_sigmoid", "hard_silu", "mish", "log_softmax",
)  # fmt: skip


def _name_activations_by_behaviour(keras, model, path):
    """Rewrite, in a saved .keras archive, each activation Keras cannot load by name
    (a TensorFlow function such as tf.nn.softmax) as the Keras activation that
    computes the same; the weights are untouched. The checker then loads the
    archive with safe_mode and measures what the model does."""
    import zipfile

    renamed = {}
    for layer in _all_layers(model):
        activation = getattr(layer, "activation", None)
        if callable(activation) and not isinstance(keras.activations.serialize(activation), str):
            match = _same_activation(keras, activation)
            if match:
                renamed[layer.name] = match
    if not renamed:
        return
    with zipfile.ZipFile(path) as archive:
        contents = {item.filename: archive.read(item.filename) for item in archive.infolist()}
    config = json.loads(contents["config.json"])
    _rename_in_config(config, renamed)
    contents["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for filename, data in contents.items():
            archive.writestr(filename, data)


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)


def _same_activation(keras, activation):
    import numpy as np

    probe = np.linspace(-6, 6, 40, dtype="float32").reshape(4, 10)
    try:
        got = np.asarray(activation(keras.ops.convert_to_tensor(probe)))
    except Exception:
        return None
    for name in KNOWN_ACTIVATIONS:
        try:
            want = np.asarray(keras.activations.get(name)(keras.ops.convert_to_tensor(probe)))
        except Exception:
            continue
        if want.shape == got.shape and np.allclose(want, got, atol=1e-5):
            return name
    return None


def _rename_in_config(node, renamed):
    if isinstance(node, dict):
        config = node.get("config")
        if isinstance(config, dict) and config.get("name") in renamed and "activation" in config:
            config["activation"] = renamed[config["name"]]
        for value in node.values():
            _rename_in_config(value, renamed)
    elif isinstance(node, list):
        for value in node:
            _rename_in_config(value, renamed)


def export_names(namespace, names, folder):
    """Student kernel: write each of `names` found in `namespace` into `folder`, plus a manifest."""
    state = namespace.setdefault("_grader_carrier_state", {"callables": {}, "fingerprints": {}})
    writer = Writer(folder, state["callables"], state["fingerprints"])
    tree = {}
    for name in names:
        if name not in namespace:
            tree[name] = {"$": "missing"}
            continue
        try:
            tree[name] = writer.encode(namespace[name], name)
        except Exception as exc:  # what the grader cannot carry is reported, not fatal
            tree[name] = _unsupported(namespace[name], exc)
    writer.write(tree)


def serve_call(namespace, key, args_folder, result_folder):
    """Student kernel: call callable `key` with the arguments in `args_folder`;
    write its result, or the exception it raised, into `result_folder`."""
    state = namespace.setdefault("_grader_carrier_state", {"callables": {}, "fingerprints": {}})
    os.makedirs(result_folder, exist_ok=True)
    _remove_earlier_results(result_folder)
    writer = Writer(result_folder, state["callables"])
    try:
        function = state["callables"][key]
        reader = Reader(args_folder, callables=state["callables"], trusted=True)
        call = reader.read()
        args, kwargs = reader.decode(call["args"]), reader.decode(call["kwargs"])
    except Exception as exc:
        writer.write({"error": f"the grader could not pass the arguments ({type(exc).__name__}: {exc})"[:500]})
        return
    import contextlib

    printed = _BoundedText()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            result = function(*args, **kwargs)
    except BaseException as exc:  # noqa: B036 - the student's exception is the result
        writer.write({"raised": _exception_record(exc), "printed": printed.text()})
        return
    try:
        writer.write({"result": writer.encode(result, "result"), "printed": printed.text()})
    except Exception as exc:
        writer.write({"unsupported": _unsupported(result, exc), "printed": printed.text()})


class _BoundedText:
    """What a called function prints, kept up to MAX_PRINTED characters."""

    def __init__(self):
        self.parts, self.size = [], 0

    def write(self, text):
        text = str(text)
        if self.size < MAX_PRINTED:
            self.parts.append(text[: MAX_PRINTED - self.size])
        self.size += len(text)
        return len(text)

    def flush(self):
        pass

    def text(self):
        more = self.size - MAX_PRINTED
        return "".join(self.parts) + (f"\n[... {more} more characters not shown]\n" if more > 0 else "")


def _remove_earlier_results(result_folder):
    """Calls are sequential: the checker has read every earlier result."""
    import shutil

    parent = os.path.dirname(result_folder)
    for name in os.listdir(parent):
        if name.startswith("call-") and os.path.join(parent, name) != result_folder:
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _unsupported(value, exc):
    """The record of a value not carried: a fixed reason, never the value's type name or text."""
    return {"$": "unsupported", "reason": not_carried_reason(str(exc) if isinstance(exc, NotCarried) else "")}


def _exception_record(exc):
    return {
        "types": [t.__name__ for t in type(exc).__mro__],
        "message": str(exc)[:2000],
    }


def _importable_object(value):
    if not isinstance(value, type) and not callable(value):
        return False
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    return (
        isinstance(module, str)
        and isinstance(qualname, str)
        and module.split(".")[0] in IMPORTABLE_PACKAGES
        and "<" not in qualname
    )


def _is_library_tensor(keras, value):
    """A TensorFlow (or other backend) tensor, by its type: not anything that claims to be one."""
    module = getattr(type(value), "__module__", "") or ""
    return module.split(".")[0] in ("tensorflow", "keras", "jax", "torch") and keras.ops.is_tensor(value)


def _sort_key(value):
    return (type(value).__name__, repr(value))


def _safe_file(label):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in str(label))[:60] or "value"


_INFINITIES = (float("inf"), float("-inf"))


# -- decoding (checker for variables and results; student kernel for call arguments) --------
class UngradableValue:
    """Stands in for a student variable the grader could not carry over.

    Any use of it (attributes, calls, comparisons, truth, iteration) raises a
    NotCarried error that names the variable and why.
    """

    def __init__(self, name, explanation):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_explanation", explanation)

    def _refuse(self, *args, **kwargs):
        raise NotCarried(f"`{self._name}` cannot be checked: {self._explanation}; tests can read {SUPPORTED_KINDS}")

    def __getattr__(self, attr):
        self._refuse()

    @property
    def __class__(self):  # isinstance() asks for it: a type check is a use too
        self._refuse()

    __call__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __len__ = __iter__ = __getitem__ = __contains__ = _refuse
    __float__ = __int__ = __index__ = __array__ = __add__ = __sub__ = __mul__ = __truediv__ = _refuse
    __hash__ = None

    def __repr__(self):
        return f"<{self._name}: cannot be checked: {self._explanation}>"


class TrainingHistory:
    """The parts of keras.callbacks.History that tests read."""

    def __init__(self, history, params, epoch):
        self.history = history
        self.params = params
        self.epoch = epoch


class CallableProxy:
    """In the checker: a student's callable. Calling it runs it in the student's kernel."""

    def __init__(self, bridge, key, name, signature="(...)", doc=None):
        self._grader_bridge = bridge
        self._grader_id = key
        self.__name__ = self.__qualname__ = name
        self.__doc__ = doc
        self._grader_signature = signature

    def __getattr__(self, attr):
        if attr.startswith("__") or attr.startswith("_grader"):
            raise AttributeError(attr)
        raise AttributeError(
            f"`{self.__name__}` is a function (or another callable) of the student's code: "
            f"tests can call it, but it has no attribute {attr!r}"
        )

    def __call__(self, *args, **kwargs):
        if self._grader_bridge is None:
            raise NotCarried(f"`{self.__name__}` is a function the grader cannot call here")
        return self._grader_bridge.call(self, args, kwargs)

    def __repr__(self):
        return f"<student function {self.__name__}{self._grader_signature}>"


class Reader:
    """Decode a tree written by Writer in `folder`.

    `trusted` is False for folders the student can write: then every entry is
    checked and a bad one becomes an UngradableValue.
    """

    def __init__(self, folder, bridge=None, callables=None, trusted=False):
        self.folder = folder
        self.bridge = bridge
        self.callables = callables
        self.trusted = trusted

    def read(self):
        """The raw tree; decode its parts with `decode`."""
        with open(os.path.join(self.folder, MANIFEST)) as fh:
            return json.load(fh)

    def decode(self, node, depth=0):
        if depth > MAX_DEPTH + 2:
            raise ValueError("nested too deeply")
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, depth + 1) for v in node]
        if not isinstance(node, dict):
            raise ValueError(f"unexpected {type(node).__name__}")
        kind = node.get("$")
        items = node.get("items", [])
        if kind == "tuple":
            return tuple(self.decode(v, depth + 1) for v in items)
        if kind in ("set", "frozenset"):
            return {"set": set, "frozenset": frozenset}[kind](self.decode(v, depth + 1) for v in items)
        if kind == "dict":
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in items}
        if kind == "float":
            return float(str(node["value"]))
        if kind == "bytes":
            return bytes.fromhex(str(node["hex"]))
        if kind == "complex":
            return complex(float(self.decode(node["real"])), float(self.decode(node["imag"])))
        if kind == "npscalar":
            import numpy as np

            dtype = np.dtype(str(node["dtype"]))
            if dtype.kind not in "biufc":
                raise ValueError(f"unexpected dtype {dtype}")
            return dtype.type(self.decode(node["value"], depth + 1))
        if kind == "array":
            import numpy as np

            # Memory-mapped: large arrays cost no copy and tests only read them. A plain ndarray
            # view of the map, so a result is an ndarray as the student's was, not a memmap.
            array = np.load(self._inside(node["file"]), mmap_mode="r", allow_pickle=False).view(np.ndarray)
            if array.dtype.hasobject:
                raise ValueError("an array of objects")
            return array[()] if node.get("scalar") is True and array.ndim == 0 else array
        if kind == "keras_model":
            import keras

            path = self._inside(node["file"])
            if not self.trusted:
                check_keras_archive(keras, path)
            # safe_mode and no custom objects: the archive may name Keras's own parts only.
            return keras.saving.load_model(path, safe_mode=not self.trusted)
        if kind == "history":
            return TrainingHistory(
                _plain(self.decode(node["history"], depth + 1), dict),
                _plain(self.decode(node["params"], depth + 1), dict),
                _plain(self.decode(node["epoch"], depth + 1), list),
            )
        if kind == "module":
            import importlib

            return importlib.import_module(_allowed_module(node["name"]))
        if kind == "object":
            return _resolve_object(node["module"], node["qualname"])
        if kind == "callable":
            if self.callables is not None:  # in the student's kernel: the real callable
                return self.callables[node["id"]]
            if not isinstance(node["id"], int):
                raise ValueError("bad callable id")
            return CallableProxy(
                self.bridge,
                node["id"],
                _identifier(node.get("name")),
                _signature(node.get("signature")),
                _text(node.get("doc")),
            )
        raise ValueError(f"unknown kind {kind!r}")

    def _inside(self, filename):
        path = os.path.realpath(os.path.join(self.folder, os.path.basename(str(filename))))
        if os.path.dirname(path) != os.path.realpath(self.folder):
            raise ValueError("file outside the export folder")
        return path


# What a .keras archive from the student's side may name: public Keras classes of these
# namespaces, and functions Keras registers as losses, metrics, activations, initializers,
# regularizers or constraints; nothing else (keras.config, keras.utils, a student's own
# classes and functions, ...). Layers that run arbitrary code are refused even when public.
KERAS_NAMESPACES = (
    "keras", "keras.layers", "keras.models", "keras.initializers", "keras.regularizers",
    "keras.constraints", "keras.optimizers", "keras.optimizers.schedules", "keras.losses",
    "keras.metrics", "keras.activations",
)  # fmt: skip
# Keras's registries of functions: `keras.<kind>.get(name)` resolves a name in one. Keras
# writes its own functions as {"module": "builtins", "class_name": "function", "config": name}
# and loads them as `keras.<kind>.<name>` from the first of these that has it.
KERAS_FUNCTION_REGISTRIES = ("losses", "metrics", "activations", "initializers", "regularizers", "constraints")
KERAS_REFUSED = ("Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer")
KERAS_ARCHIVE_FILES = ("config.json", "metadata.json", "model.weights.h5")
MAX_KERAS_CONFIG_BYTES = 5_000_000


class ArchiveRefused(ValueError):
    """A .keras archive the checker does not load; the message is fixed grader text."""


def check_keras_archive(keras, path):
    """Refuse a .keras archive that names anything but Keras's own classes and registered functions."""
    import importlib
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if any(name not in KERAS_ARCHIVE_FILES and not name.startswith("assets/") for name in names):
            raise ArchiveRefused("the model file holds more than a Keras model")
        info = archive.getinfo("config.json")
        if info.file_size > MAX_KERAS_CONFIG_BYTES:
            raise ArchiveRefused("the model's configuration is too large")
        config = json.loads(archive.read(info))
    refused = ArchiveRefused(NOT_CARRIED["model-refused"])
    for entry in _named_objects(config):
        module, name = entry.get("module"), entry.get("class_name")
        target = entry.get("config") if name == "function" else name
        if not isinstance(target, str) or not target.isidentifier() or target.startswith("_"):
            raise refused
        if target in KERAS_REFUSED or entry.get("registered_name") not in (None, name):
            raise refused
        if name == "function":
            if _registered_keras_function(keras, module, target) is None:
                raise refused
            continue
        found = getattr(importlib.import_module(module), target, None) if module in KERAS_NAMESPACES else None
        if not isinstance(found, type):
            raise refused


def _registered_keras_function(keras, module, name):
    """The function Keras loads for a config's function entry, if Keras registers it as a
    loss, metric, activation, ... under that name (keras.losses.get(name), ...); else None.

    Every namespace Keras may take it from must hold a registered function by that name, so
    public helpers such as keras.losses.get or keras.activations.serialize are refused.
    """
    if module == "builtins":  # Keras also looks in keras.optimizers, whose registry holds no functions
        kinds = (*KERAS_FUNCTION_REGISTRIES, "optimizers")
    elif isinstance(module, str) and module.startswith("keras.") and module[6:] in KERAS_FUNCTION_REGISTRIES:
        kinds = (module[6:],)
    else:
        return None
    found = []
    for kind in kinds:
        namespace = getattr(keras, kind)
        function = getattr(namespace, name, None)
        if function is None:
            continue
        if isinstance(function, type) or not callable(function):
            return None
        try:
            namespace.get(name)  # resolved through the kind's registry, or refused
        except (ValueError, TypeError):
            return None
        if keras.saving.get_registered_name(function) != name:
            return None
        found.append(function)
    # An object registered under the name would be loaded first (Keras's custom objects).
    registered = keras.saving.get_registered_object(name)
    if not found or (registered is not None and registered not in found):
        return None
    return found[0]


def _named_objects(node, depth=0):
    if depth > 200:
        raise ValueError("the model's configuration is nested too deeply")
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _named_objects(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _named_objects(value, depth + 1)


def load_names(names, folder, namespace, protected=(), bridge=None):
    """Checker: define `names` in `namespace` from what export_names wrote to `folder`."""
    try:
        manifest = Reader(folder).read()
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    reader = Reader(folder, bridge=bridge)
    for name in names:
        if name in protected:
            continue
        entry = manifest.get(name)
        if name not in manifest or (isinstance(entry, dict) and entry.get("$") == "missing"):
            namespace.pop(name, None)
            continue
        namespace[name] = decode_or_explain(reader, entry, f"`{name}`", name)


def decode_or_explain(reader, entry, what, name):
    """The decoded value, or an UngradableValue saying why there is none, in fixed words."""
    if isinstance(entry, dict) and entry.get("$") == "unsupported":
        return UngradableValue(name, not_carried_reason(entry.get("reason")))
    try:
        value = reader.decode(entry)
    except KeyboardInterrupt:
        raise
    except ArchiveRefused as exc:
        return UngradableValue(name, str(exc))
    except BaseException:  # noqa: B036 - a crafted entry must not stop the checker; its text is the student's
        return UngradableValue(name, NOT_CARRIED["not-loaded"])
    if isinstance(value, CallableProxy):  # named as the test names it, not as the student's code says
        value.__name__ = value.__qualname__ = name
    return value


def raise_recorded(record, function_name):
    """Re-raise, in the checker, an exception the student's function raised."""
    types = record.get("types") if isinstance(record, dict) else None
    message = _text(record.get("message")) if isinstance(record, dict) else ""
    for type_name in types if isinstance(types, list) else []:
        builtin = getattr(builtins, str(type_name), None)
        if isinstance(builtin, type) and issubclass(builtin, Exception):
            try:
                error = builtin(message)
            except Exception:
                continue
            raise error
    raise RuntimeError(f"{function_name} raised {str((types or ['an exception'])[0])[:80]}: {message}")


def _plain(value, kind):
    if not isinstance(value, kind):
        raise ValueError(f"expected a {kind.__name__}")
    return value


def _text(value):
    return str(value)[:2000] if isinstance(value, str) else None


def _identifier(value):
    """A function's name from a manifest, if it is a plain identifier: no markup, no message."""
    return value if isinstance(value, str) and value.isidentifier() and len(value) <= 100 else "function"


def _signature(value):
    """A signature from a manifest, if it is only parameter names and simple defaults."""
    import re

    plain = isinstance(value, str) and len(value) <= 300 and re.fullmatch(r"\([\w\s,=*/.\-]*\)", value)
    return value if plain else "(...)"


def _allowed_module(module):
    module = str(module)
    parts = module.split(".")
    if parts[0] not in IMPORTABLE_PACKAGES or any(not p.isidentifier() or p.startswith("__") for p in parts):
        raise ValueError(f"module {module!r} is not one the tests may use")
    return module


def _resolve_object(module, qualname):
    """An allowlisted package's class or function, verified to be what its name says."""
    import importlib

    obj = importlib.import_module(_allowed_module(module))
    parts = str(qualname).split(".")
    if any(not p.isidentifier() or p.startswith("__") for p in parts):
        raise ValueError(f"{qualname!r} is not a public name")
    for part in parts:
        obj = getattr(obj, part)
    # Attribute paths can reach other modules' objects (numpy's `os`, say): refuse them.
    if getattr(obj, "__module__", None) != module or getattr(obj, "__qualname__", None) != qualname:
        raise ValueError(f"{module}.{qualname} is not a {module} object")
    return obj
