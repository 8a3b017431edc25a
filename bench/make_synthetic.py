"""Generate a synthetic transformers-5-style package of N modules, for measuring how cost grows with size.

Layout (what importgraph sees in transformers 5.x): a top-level lazy init that merges a small
``_import_structure`` dict into ``define_import_structure(models/)``, the fixture's real ``utils`` (its
``_LazyModule``, ``define_import_structure`` and ``requires``, so the package really imports), a lazy
``models/__init__.py``, and one package per model with a ``define_import_structure`` init and
``configuration_``/``modeling_``/``tokenization_`` modules of realistic shape (a few hundred lines: classes,
methods, function-level imports, ``@requires``, ``__all__``, imports of sibling models).

    python bench/make_synthetic.py 5000 /tmp/synthetic   # -> /tmp/synthetic/synth5000/synth5000/
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

SKELETON = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "packages" / "hf5_structure" / \
    "hf5_structure"
FILES_PER_MODEL = 4  # __init__, configuration_, modeling_, tokenization_

MODEL_INIT = '''# coding=utf-8
# Copyright 2026 The Synthetic Team. Licensed under the Apache License, Version 2.0.
from typing import TYPE_CHECKING

from ...utils import _LazyModule
from ...utils.import_utils import define_import_structure

if TYPE_CHECKING:
    from .configuration_{m} import *
    from .modeling_{m} import *
    from .tokenization_{m} import *
else:
    import sys

    _file = globals()["__file__"]
    sys.modules[__name__] = _LazyModule(__name__, _file, define_import_structure(_file), module_spec=__spec__)
'''

CONFIGURATION = '''# coding=utf-8
"""{C} model configuration."""

from ...configuration_utils import PretrainedConfig


class {C}Config(PretrainedConfig):
    r"""
    Configuration of a {C} model. Instantiating a configuration with the defaults yields a configuration
    similar to that of the reference checkpoint.

    Args:
        vocab_size (`int`, *optional*, defaults to 32000): vocabulary size.
        hidden_size (`int`, *optional*, defaults to 768): dimension of the hidden states.
    """

    model_type = "{m}"
    keys_to_ignore_at_inference = ["past_key_values"]

    def __init__(self, vocab_size=32000, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, hidden_act="gelu", dropout=0.1, **kwargs):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_act = hidden_act
        self.dropout = dropout
        super().__init__(**kwargs)

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads


__all__ = ["{C}Config"]
'''

MODELING_HEAD = '''# coding=utf-8
"""PyTorch {C} model (synthetic)."""

import math
from typing import Optional

from ...utils import fake_backend_import, requires
from .configuration_{m} import {C}Config
{sibling}
fake_backend_import("torch")


class {C}PreTrainedModel:
    config_class = {C}Config
    base_model_prefix = "{m}"

    def _init_weights(self, module):
        std = self.config.initializer_range if hasattr(self, "config") else 0.02
        for name, value in vars(module).items():
            if name.endswith("weight") and value is not None:
                value = value * std
        return module
'''

MODELING_LAYER = '''

class {C}Layer{i}({C}PreTrainedModel):
    """Layer {i} of the {C} stack."""

    def __init__(self, config: {C}Config, layer_idx: Optional[int] = None):
        self.config = config
        self.layer_idx = layer_idx
        self.scale = 1 / math.sqrt(config.head_dim) if config.num_attention_heads else 1.0
        self.cache = {{}}

    def forward(self, hidden_states, attention_mask=None, position_ids=None, output_attentions=False):
        residual = hidden_states
        scores = [h * self.scale for h in hidden_states]
        if attention_mask is not None:
            scores = [s + m for s, m in zip(scores, attention_mask)]
        weights = [math.exp(s) for s in scores]
        total = sum(weights) or 1.0
        outputs = [w / total for w in weights]
        if output_attentions:
            return outputs, weights
        return [o + r for o, r in zip(outputs, residual)]

    def load_adapter(self, path):
        import json

        with open(path) as handle:
            self.cache.update(json.load(handle))
        return self
'''

MODELING_TAIL = '''

class {C}Model({C}PreTrainedModel):
    def __init__(self, config):
        self.layers = [{layers}]

    def forward(self, hidden_states, **kwargs):
        for layer in self.layers:
            hidden_states = layer.forward(hidden_states, **kwargs)
        return hidden_states


@requires(backends=("vision",))
class {C}VisionModel({C}Model):
    pass


__all__ = ["{C}Model", "{C}PreTrainedModel"]
'''

TOKENIZATION = '''# coding=utf-8
"""Tokenization classes for {C}."""

import os
import re
from typing import Optional

VOCAB_FILES_NAMES = {{"vocab_file": "vocab.txt"}}


class {C}Tokenizer:
    vocab_files_names = VOCAB_FILES_NAMES
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file: Optional[str] = None, do_lower_case: bool = True, **kwargs):
        self.vocab = {{}}
        if vocab_file is not None and os.path.isfile(vocab_file):
            with open(vocab_file, encoding="utf-8") as handle:
                for index, token in enumerate(handle.read().splitlines()):
                    self.vocab[token] = index
        self.do_lower_case = do_lower_case

    def tokenize(self, text: str) -> list[str]:
        if self.do_lower_case:
            text = text.lower()
        return re.findall(r"\\w+|[^\\w\\s]", text)

    def convert_tokens_to_ids(self, tokens):
        return [self.vocab.get(token, 0) for token in tokens]

    def save_vocabulary(self, directory: str, prefix: Optional[str] = None):
        import json

        path = os.path.join(directory, (prefix or "") + "vocab.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.vocab, handle)
        return (path,)


__all__ = ["{C}Tokenizer"]
'''


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def generate(modules: int, out: Path, layers: int = 8) -> Path:
    """Write the package; returns its directory (its parent is the sys.path entry)."""
    name = f"synth{modules}"
    root = out / name / name
    if root.parent.exists():
        shutil.rmtree(root.parent)
    shutil.copytree(SKELETON, root, ignore=shutil.ignore_patterns("__pycache__", "models"))
    import_utils = root / "utils" / "import_utils.py"
    import_utils.write_text(import_utils.read_text().replace('"hf5_structure"', f'"{name}"'))
    init = root / "__init__.py"
    init.write_text(init.read_text().replace("    from .models.foo import *\n", ""))
    skeleton_files = sum(1 for _ in root.rglob("*.py")) + 1  # + models/__init__.py
    models = root / "models"
    models.mkdir()
    (models / "__init__.py").write_text((SKELETON / "models" / "__init__.py").read_text()
                                        .replace("from .foo import *", "pass"))
    count = max(1, (modules - skeleton_files) // FILES_PER_MODEL)
    names = [f"model{index:05d}" for index in range(count)]
    for index, m in enumerate(names):
        C = camel(m)
        package = models / m
        package.mkdir()
        sibling = ""
        if index:  # models import from earlier ones, as transformers' copies and composites do
            other = names[index // 2]
            sibling = f"from ..{other}.configuration_{other} import {camel(other)}Config  # noqa: F401\n"
        (package / "__init__.py").write_text(MODEL_INIT.format(m=m))
        (package / f"configuration_{m}.py").write_text(CONFIGURATION.format(m=m, C=C))
        body = MODELING_HEAD.format(m=m, C=C, sibling=sibling)
        body += "".join(MODELING_LAYER.format(C=C, i=i) for i in range(layers))
        body += MODELING_TAIL.format(C=C, layers=", ".join(f"{C}Layer{i}(config, {i})" for i in range(layers)))
        (package / f"modeling_{m}.py").write_text(body)
        (package / f"tokenization_{m}.py").write_text(TOKENIZATION.format(C=C))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", type=int, help="approximate number of modules (files)")
    parser.add_argument("out", type=Path, help="directory to write <out>/synthN/synthN/ into")
    args = parser.parse_args()
    root = generate(args.modules, args.out)
    print(root, sum(1 for _ in root.rglob("*.py")), "files")


if __name__ == "__main__":
    main()
