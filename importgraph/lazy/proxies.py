"""Module proxies: names bound at import time to an object that imports a module on first attribute access.

TensorFlow's ``estimator = _LazyLoader("estimator", globals(), "tensorflow_estimator...")``, mlflow's (and
wandb's) ``pyfunc = LazyLoader("mlflow.pyfunc", globals(), "mlflow.pyfunc")``, optuna's
``_dataframe = _LazyImport("optuna.study._dataframe")``: a ``types.ModuleType`` subclass of the package whose
``__getattr__`` (through a ``_load`` method) calls ``importlib.import_module`` on the name it was built with. The
name is bound for certain (a proxy, not the module); the module is imported when the proxy is first used, so a
proxy naming a module that does not exist fails then, with ModuleNotFoundError, as a lazy key would.

The class is recognised by what it does, not by its name: a ``ModuleType`` subclass (an object proxy standing for a
class, as sglang's ``LazyImport(module, class_name)``, is not one) calling ``import_module(self.__name__)`` where
``__init__`` hands a parameter to ``super().__init__`` (ModuleType's name), or ``import_module(self.<attribute>)``
where ``__init__`` assigns a parameter to that attribute. That parameter, by position or keyword, is the module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .spelling import calls_import_module


@dataclass(frozen=True)
class ProxyClass:
    """A module-proxy class: which argument of its constructor names the module it imports."""

    parameter: str
    position: int
    """The parameter's position among the constructor's arguments (``self`` excluded)."""

    def module(self, args: list, kwargs: dict) -> object:
        """The module argument of a constructor call (whatever the evaluator made of it)."""
        if self.parameter in kwargs:
            return kwargs[self.parameter]
        return args[self.position] if len(args) > self.position else None

    @staticmethod
    def read(node: ast.ClassDef) -> ProxyClass | None:
        if not any(_is_module_type(base) for base in node.bases):
            return None  # an object proxy (sglang's ``LazyImport(module, class_name)``) stands for a class
        init = next((item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"),
                    None)
        if init is None or not init.args.args:
            return None
        parameters = [a.arg for a in init.args.args[1:]]
        for attribute in _imported_attributes(node):
            parameter = _init_parameter(init, attribute, parameters)
            if parameter is not None:
                return ProxyClass(parameter, parameters.index(parameter))
        return None


def _is_module_type(base: ast.expr) -> bool:
    """``types.ModuleType`` or ``ModuleType``."""
    return (isinstance(base, ast.Attribute) and base.attr == "ModuleType"
            or isinstance(base, ast.Name) and base.id == "ModuleType")


def _imported_attributes(node: ast.ClassDef) -> list[str]:
    """``X`` of every ``import_module(self.X)`` in the class's methods."""
    found = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and call.args and calls_import_module(call.func):
            argument = call.args[0]
            if (isinstance(argument, ast.Attribute) and isinstance(argument.value, ast.Name)
                    and argument.value.id == "self"):
                found.append(argument.attr)
    return found


def _init_parameter(init: ast.FunctionDef, attribute: str, parameters: list[str]) -> str | None:
    """The ``__init__`` parameter that ends up in ``self.<attribute>``: handed to ``super().__init__`` (ModuleType's
    ``__name__``), or assigned (``self._name = name``), possibly through ``str(...)``."""
    for node in ast.walk(init):
        if attribute == "__name__" and isinstance(node, ast.Call) and _is_super_init(node.func) and node.args:
            value = node.args[0] if not _calls_super_init_unbound(node.func) else (node.args[1:2] or [None])[0]
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)
              and node.targets[0].attr == attribute and isinstance(node.targets[0].value, ast.Name)
              and node.targets[0].value.id == "self"):
            value = node.value
        else:
            continue
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "str" \
                and len(value.args) == 1:
            value = value.args[0]
        if isinstance(value, ast.Name) and value.id in parameters:
            return value.id
    return None


def _is_super_init(func: ast.expr) -> bool:
    """``super().__init__`` or ``types.ModuleType.__init__`` / ``ModuleType.__init__``."""
    if not (isinstance(func, ast.Attribute) and func.attr == "__init__"):
        return False
    owner = func.value
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
        return True
    return _calls_super_init_unbound(func)


def _calls_super_init_unbound(func: ast.expr) -> bool:
    """``ModuleType.__init__(self, name)``: the name is the second argument."""
    owner = func.value if isinstance(func, ast.Attribute) else None
    return (isinstance(owner, ast.Attribute) and owner.attr == "ModuleType"
            or isinstance(owner, ast.Name) and owner.id == "ModuleType")
