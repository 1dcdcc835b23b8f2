"""How sure an answer is: signals read off the model and the evidence, and a small fitted model over them."""

from assistant.confidence.model import ConfidenceModel, fit, load_model
from assistant.confidence.signals import after_answer, before_answer, judged_signals

__all__ = ["ConfidenceModel", "after_answer", "before_answer", "fit", "judged_signals", "load_model"]
