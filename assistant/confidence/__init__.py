"""How sure an answer is: signals read off the model and the evidence, and a small fitted model over them."""

from assistant.confidence.model import ConfidenceModel, fit, load_model
from assistant.confidence.signals import after_answer, before_answer

__all__ = ["ConfidenceModel", "after_answer", "before_answer", "fit", "load_model"]
