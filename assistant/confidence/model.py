"""One confidence in [0, 1] per answer: two small logistic models over the signals, fitted on labelled answers.

`before` reads only the signals known before the answer's first token: below its
refusal threshold the question is refused unanswered. `after` reads them all: below
its doubt threshold the answer is shown with a low-confidence notice. The fitted
coefficients ship as `fitted.json`, with when, on what and by which command.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ConfigError, InputError

BEFORE = ("p_sufficient", "top_similarity", "names_held")
# min_logprob is read but not modelled: beside max_entropy its fitted weight takes the wrong sign
AFTER = ("p_sufficient", "first_logprob", "max_entropy")
FITTED = Path(__file__).with_name("fitted.json")
MAX_FALSE_REFUSALS = 0.05  # of the correct answers made with the evidence, refused at the default threshold
MAX_FALSE_DOUBTS = 0.20  # ... shown as low confidence
MIN_AUROC = 0.6  # cross-validated, for a model's threshold to act: below it, it refuses and doubts nothing


@dataclass(frozen=True)
class Logistic:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float

    def score(self, signals: dict[str, float]) -> float:
        """P(correct); a signal missing (a server without probabilities) counts as its mean in the fit."""
        z = self.intercept + sum(
            c * ((signals[f] - m) / s if f in signals else 0.0)
            for f, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
        )
        return float(1 / (1 + np.exp(-z)))

    @classmethod
    def fit(cls, features: Sequence[str], rows: Sequence[dict[str, float]], labels: Sequence[bool]) -> Logistic:
        """Ridge-penalised logistic regression (Newton's method) on standardised features."""
        x = np.array([[row.get(f, np.nan) for f in features] for row in rows], dtype=float)
        seen = ~np.isnan(x)
        count = np.maximum(seen.sum(axis=0), 1)
        mean = np.where(seen, x, 0.0).sum(axis=0) / count  # a signal no answer had: mean 0, scale 1, no weight
        scale = np.sqrt(np.where(seen, (x - mean) ** 2, 0.0).sum(axis=0) / count)
        scale[scale == 0] = 1.0
        x = np.nan_to_num((x - mean) / scale)  # missing: the mean
        x = np.hstack([np.ones((len(x), 1)), x])
        y = np.asarray(labels, dtype=float)
        w = np.zeros(x.shape[1])
        penalty = np.eye(x.shape[1]) * 1.0
        penalty[0, 0] = 0.0  # the intercept is not shrunk
        for _ in range(50):
            p = 1 / (1 + np.exp(-x @ w))
            gradient = x.T @ (p - y) + penalty @ w
            hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(tuple(features), tuple(mean.round(6)), tuple(scale.round(6)), tuple(w[1:].round(6)), float(w[0]))


@dataclass(frozen=True)
class ConfidenceModel:
    before: Logistic
    after: Logistic
    refuse_below: float  # before the answer: refused under this
    doubt_below: float  # after it: shown with a low-confidence notice under this
    fitted: dict[str, Any]  # when, on what, by which command

    def to_json(self) -> dict[str, Any]:
        return {
            "fitted": self.fitted,
            "refuse_below": self.refuse_below,
            "doubt_below": self.doubt_below,
            "before": vars(self.before),
            "after": vars(self.after),
        }


def load_model(path: Path | None = None) -> ConfidenceModel:
    path = path or FITTED
    try:
        data = json.loads(path.read_text())
        return ConfidenceModel(
            before=_logistic(data["before"]),
            after=_logistic(data["after"]),
            refuse_below=float(data["refuse_below"]),
            doubt_below=float(data["doubt_below"]),
            fitted=dict(data.get("fitted", {})),
        )
    except FileNotFoundError:
        raise ConfigError(
            f"no confidence model at {path}: fit one with `assistant eval QUESTIONS --corpus CORPUS "
            "--fit-confidence FILE` (ASSISTANT_CONFIDENCE_MODEL)"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"unreadable confidence model {path}: {error}") from None


def _logistic(data: dict[str, Any]) -> Logistic:
    return Logistic(
        tuple(data["features"]),
        tuple(map(float, data["mean"])),
        tuple(map(float, data["scale"])),
        tuple(map(float, data["coef"])),
        float(data["intercept"]),
    )


def fit(
    records: Sequence[dict[str, Any]], fitted: dict[str, Any], validation: dict[str, Any] | None = None
) -> ConfidenceModel:
    """Fit on eval records (answers made with and without the gold articles), thresholds from the curve.

    A record needs `signals`, `correct` and `without_gold`. The refusal threshold is the
    highest that refuses at most MAX_FALSE_REFUSALS of the correct answers made with
    the evidence; the doubt threshold the highest that flags at most MAX_FALSE_DOUBTS. Each
    is 0 (acts on nothing) unless its model ranks answers it was not fitted on with an AUROC
    of MIN_AUROC or more (`validation`: what `validate` gave for these records, if already known).
    """
    rows = _fittable(records)
    signals = [r["signals"] for r in rows]
    labels = [bool(r["correct"]) for r in rows]
    before = Logistic.fit(BEFORE, signals, labels)
    after = Logistic.fit(AFTER, signals, labels)
    right = [r["signals"] for r in rows if r["correct"] and not r.get("without_gold")]
    validation = validation or validate(rows)[0]
    # a model that does not rank answers better than MIN_AUROC on answers it was not fitted on acts on none
    refuse = doubt = 0.0
    if (validation["auroc_before_cross_validated"] or 0) >= MIN_AUROC:
        refuse = _threshold([before.score(s) for s in right], MAX_FALSE_REFUSALS)
    if (validation["auroc_after_cross_validated"] or 0) >= MIN_AUROC:
        doubt = max(refuse, _threshold([after.score(s) for s in right], MAX_FALSE_DOUBTS))
    return ConfidenceModel(before, after, refuse, doubt, fitted | {"answers": len(rows), "validation": validation})


def labelled(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a model can be fitted on: answers with signals, judged right or wrong."""
    return [r for r in records if r.get("signals") and r.get("correct") is not None]


def _fittable(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = labelled(records)
    if len(rows) < 20 or len({bool(r["correct"]) for r in rows}) < 2:
        raise InputError("too few answers to fit a confidence model (need right and wrong ones, 20 or more)")
    return rows


def _threshold(scores: list[float], share: float) -> float:
    """The highest threshold with at most `share` of `scores` under it."""
    if not scores:
        return 0.0
    ordered = sorted(scores)
    return math.floor(float(ordered[int(share * len(ordered))]) * 1e4) / 1e4  # rounded down: none more under it


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """The probability that a right answer scores above a wrong one (ties half)."""
    right = [s for s, y in zip(scores, labels, strict=True) if y]
    wrong = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not right or not wrong:
        return None
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return round(wins / (len(right) * len(wrong)), 4)


def validate(records: Sequence[dict[str, Any]], folds: int = 5) -> tuple[dict[str, Any], list[float]]:
    """AUROC of each signal alone and of both models cross-validated (fitted on the other folds; in-sample
    aside), and the cross-validated `after` score of each of the `labelled` records."""
    rows = _fittable(records)
    labels = [bool(r["correct"]) for r in rows]
    found: dict[str, Any] = {"answers": len(rows), "correct": sum(labels)}
    for feature in dict.fromkeys((*BEFORE, *AFTER, "min_logprob", "held_share")):  # those read, modelled or not
        having = [(r["signals"][feature], y) for r, y in zip(rows, labels, strict=True) if feature in r["signals"]]
        found[f"auroc_{feature}"] = auroc([s for s, _ in having], [y for _, y in having]) if having else None
    fold_of = [zlib.crc32(str(r.get("id")).encode()) % folds for r in rows]  # a question's answers together
    scores: list[float] = []
    for name, features in (("before", BEFORE), ("after", AFTER)):
        scores = [0.0] * len(rows)
        for fold in range(folds):
            train = [i for i in range(len(rows)) if fold_of[i] != fold]
            model = Logistic.fit(features, [rows[i]["signals"] for i in train], [labels[i] for i in train])
            for i in range(len(rows)):
                if fold_of[i] == fold:
                    scores[i] = model.score(rows[i]["signals"])
        found[f"auroc_{name}_cross_validated"] = auroc(scores, labels)
        whole = Logistic.fit(features, [r["signals"] for r in rows], labels)
        found[f"auroc_{name}_in_sample"] = auroc([whole.score(r["signals"]) for r in rows], labels)
    return found, scores
