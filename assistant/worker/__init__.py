"""The embedded model in a worker process: recycled before it grows, restarted when it dies (`WorkerModel`)."""

from assistant.worker.supervisor import ModelCrashed, ModelUnavailable, WorkerModel, WorkerState

__all__ = ["ModelCrashed", "ModelUnavailable", "WorkerModel", "WorkerState"]
