"""Predictions for raw texts from a trained model."""
from __future__ import annotations

import keras
import numpy as np

from .config import CLASS_NAMES
from .errors import check_text
from .models import token_model, vectorize
from .evaluation import predict_encoded


class Predictor:
    """Wraps a text model with its token model, built once and reused for every call."""

    def __init__(self, model: keras.Model):
        self.model = model
        self.tokens = token_model(model)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        for text in texts:
            check_text(text)
        # Text that cleans to nothing (only punctuation, say) is read as a single [UNK].
        ids = [np.asarray(row or [1], dtype=np.int64) for row in vectorize(self.model, list(texts))]
        return predict_encoded(self.tokens, ids)

    def predict(self, texts: list[str]) -> list[dict]:
        probs = self.probabilities(texts)
        return [{"text": text, "predicted_class": CLASS_NAMES[int(p.argmax())],
                 "probabilities": [round(float(x), 6) for x in p]} for text, p in zip(texts, probs)]
