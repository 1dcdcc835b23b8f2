"""Evaluation reports: JSON (every question), Markdown summary, PNG plot, and comparisons."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Report = dict[str, Any]

# The headline figures, in the order tables show them.
RETRIEVAL_HEADLINE = [
    "hits@1",
    "hits@4",
    "hits@10",
    "mrr@10",
    "map@10",
    "evidence_recall@10",
    "all_evidence@10",
    "article_hits@10",
    "article_recall@10",
]
ANSWER_HEADLINE = [
    "accuracy_answerable",
    "accuracy_short_text",
    "accuracy_yes_no",
    "judge_accuracy_answerable",
    "judge_agreement_with_match",
    "refusal_rate_unanswerable",
    "false_refusal_rate",
    "refusal_without_evidence",
    "citation_validity",
    "citation_precision",
    "answers_with_citation",
    "attribution",
    "quote_precision",
    "quote_recall",
    "corrected_rate",
    "unsupported_rate",
    "unverified_mark_wrong",
    "unverified_on_correct",
    "unverified_on_wrong",
    "median_verify_s",
    "confidence_auroc",
    "low_confidence_rate",
    "accuracy_answered",
    "median_signals_s",
    "median_retrieval_s",
    "median_first_token_s",
    "median_generation_s",
    "mean_prompt_tokens",
]
HEADLINE = RETRIEVAL_HEADLINE + ANSWER_HEADLINE


def rows(report: Report) -> list[tuple[str, list[float | None]]]:
    """(metric, value per pipeline) for the headline metrics any pipeline has."""
    overall = [p["summary"]["overall"] for p in report["pipelines"].values()]
    return [(key, [o.get(key) for o in overall]) for key in HEADLINE if any(o.get(key) is not None for o in overall)]


def ratio(values: list[float | None]) -> str:
    if len(values) == 2 and values[0] is not None and values[1]:
        return f"{values[0] / values[1]:.2f}x"
    return ""


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def markdown(report: Report) -> str:
    names = list(report["pipelines"])
    chunk_sizes = ", ".join(f"{name}: {p['chunk_size']}" for name, p in report["pipelines"].items())
    lines = [
        f"# Evaluation: {report['questions_file']}",
        "",
        f"{report['questions']} questions; corpus {report.get('corpus') or '(the configured index)'}; "
        f"chunk size in characters: {chunk_sizes}; {report['seconds']:.0f} s.",
        "",
        "| metric | " + " | ".join(names) + (" | ratio |" if len(names) == 2 else ""),
        "|---|" + "---|" * len(names) + ("---|" if len(names) == 2 else ""),
    ]
    for key, values in rows(report):
        ratio_cell = f" {ratio(values)} |" if len(names) == 2 else ""
        lines.append(f"| {key} | " + " | ".join(_cell(v) for v in values) + " |" + ratio_cell)
    for name, pipeline in report["pipelines"].items():
        lines += [
            "",
            f"## {name}: by question type",
            "",
            "| type | questions | hits@10 | evidence_recall@10 | all_evidence@10 | accuracy |",
            "|---|---|---|---|---|---|",
        ]
        for kind, group in pipeline["summary"]["by_type"].items():
            accuracy = group.get("accuracy_answerable", group.get("refusal_rate_unanswerable"))
            cells = [group.get(key) for key in ("hits@10", "evidence_recall@10", "all_evidence@10")] + [accuracy]
            lines.append(f"| {kind} | {group['questions']} | " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def risk_coverage(records: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(coverage, accuracy) as answers are kept most confident first; a refusal counts as least confident.

    The confidence is the answer's own, or the cross-validated one a `--fit-confidence` run gives it.
    """
    scored = [r for r in records if r.get("answerable") and "correct" in r]
    scores = [r["confidence"] if r.get("confidence") is not None else r.get("confidence_cv") for r in scored]
    if not scored or all(s is None for s in scores):
        return []
    ranked = sorted(
        zip(scores, scored, strict=True), key=lambda pair: 1.0 if pair[0] is None or pair[1]["refused"] else -pair[0]
    )
    curve, right = [], 0
    for k, (_, record) in enumerate(ranked, 1):
        right += bool(record["correct"])
        curve.append((k / len(ranked), right / k))
    return curve


def plot(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {name: risk_coverage(p["records"]) for name, p in report["pipelines"].items()}
    curves = {name: curve for name, curve in curves.items() if curve}
    figure, axes = plt.subplots(1, 3 if curves else 2, figsize=(18 if curves else 12, 4.5))
    hits_axis, accuracy_axis = axes[0], axes[1]
    if curves:
        for name, curve in curves.items():
            axes[2].plot([c for c, _ in curve], [a for _, a in curve], label=name)
        axes[2].set(
            title="Risk-coverage: accuracy of the answers kept, most confident first",
            xlabel="share of answerable questions answered",
            ylabel="accuracy of those answered",
            ylim=(0, 1.02),
        )
        axes[2].grid(alpha=0.3)
        axes[2].legend()
    for name, pipeline in report["pipelines"].items():
        overall = pipeline["summary"]["overall"]
        ks = [k for k in range(1, 21) if overall.get(f"hits@{k}") is not None]
        hits_axis.plot(ks, [overall[f"hits@{k}"] for k in ks], marker="o", label=name)
    hits_axis.set(title="Hits@k (answerable questions)", xlabel="k", ylabel="Hits@k", ylim=(0, 1.02))
    hits_axis.grid(alpha=0.3)
    hits_axis.legend()
    names = list(report["pipelines"])
    kinds = sorted({k for p in report["pipelines"].values() for k in p["summary"]["by_type"]})
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        groups = report["pipelines"][name]["summary"]["by_type"]
        values = [
            groups.get(k, {}).get("accuracy_answerable") or groups.get(k, {}).get("refusal_rate_unanswerable") or 0
            for k in kinds
        ]
        accuracy_axis.bar([x + i * width for x in range(len(kinds))], values, width, label=name)
    accuracy_axis.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(kinds))], kinds, rotation=15)
    accuracy_axis.set(title="Accuracy per question type (null: refusal rate)", ylim=(0, 1.02))
    accuracy_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write(report: Report, path: Path) -> list[Path]:
    """The JSON report at `path`, with its .md summary and .png plot beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    summary = path.with_suffix(".md")
    summary.write_text(markdown(report))
    picture = path.with_suffix(".png")
    plot(report, picture)
    return [path, summary, picture]


def compare(new: Report, old: Report) -> list[tuple[str, str, float | None, float | None]]:
    """(pipeline, metric, old, new) for every headline metric both reports have."""
    result = []
    for name, pipeline in new["pipelines"].items():
        if name not in old["pipelines"]:
            continue
        before, after = old["pipelines"][name]["summary"]["overall"], pipeline["summary"]["overall"]
        for key in HEADLINE:
            if before.get(key) is not None or after.get(key) is not None:
                result.append((name, key, before.get(key), after.get(key)))
    return result
